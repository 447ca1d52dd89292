package dev.actorrunner.it;

import static dev.actorrunner.it.RunnerProcess.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.control.Json;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow start over real processes: in a reload, the new worker's share of new connections ramps up
 * from small to full while the old workers keep serving, status shows the share, and the old
 * worker it replaces leaves only once the ramp is over.
 */
class SlowStartIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final Duration RAMP = Duration.ofSeconds(6);

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    /** One request at a time, each on a new connection: every one is a pick of the front. */
    private static final class Client implements AutoCloseable {
        record Answer(LocalTime at, long pid) {}

        final List<Answer> answers = new CopyOnWriteArrayList<>();
        final AtomicInteger failures = new AtomicInteger();
        final List<String> why = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Client(int port) {
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        // 10 s, not Http's 2 s: a loaded CI machine can stall a request that long
                        // without anything failing; a refusal, a reset or a non-200 still counts.
                        long pid = Long.parseLong(Http.get(port, Duration.ofSeconds(10)).trim().replace("hello from pid ", ""));
                        answers.add(new Answer(LocalTime.now(), pid));
                    } catch (IOException | RuntimeException e) {
                        failures.incrementAndGet();
                        why.add(LocalTime.now() + " " + e);
                    }
                }
            }, "slow-start-client");
            thread.start();
        }

        /** Of the answers between {@code from} and {@code to}, the share (0..1) that {@code pid} gave. */
        double share(long pid, LocalTime from, LocalTime to) {
            List<Answer> in = answers.stream().filter(a -> !a.at.isBefore(from) && a.at.isBefore(to)).toList();
            assertTrue(in.size() >= 30, "enough answers between " + from + " and " + to + ": " + in.size());
            return in.stream().filter(a -> a.pid == pid).count() / (double) in.size();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }
    }

    private static LocalTime timeOf(RunnerProcess r, String fragment) {
        String line = r.lines().stream().filter(l -> l.contains(fragment)).findFirst()
                .orElseThrow(() -> new AssertionError("no line with " + fragment + ":\n" + r.output()));
        return LocalTime.parse(line.substring(0, 12));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aReloadsNewWorkerRampsUpWhileTheOldOnesServeAndTheOldLeavesOnlyAfterTheRamp() throws Exception {
        Path socket = dir.resolve("c.sock");
        List<String> args = new ArrayList<>(List.of("-p", "0", "-w", "2", "--mode", "tcp", "--slow-start", RAMP.toSeconds() + "s",
                "--control-socket", socket.toString()));
        args.addAll(fixture("serve"));
        RunnerProcess r = reaper.closeLater(RunnerProcess.start(args));
        List<Worker> old = r.awaitInRotation(2, BOOT);
        // A worker ramps only beside one that has served for the whole window (at boot none does).
        long warmAt = System.nanoTime() + RAMP.toNanos();
        r.await(() -> System.nanoTime() > warmAt, RAMP.plusSeconds(5), "the first workers to have served for " + RAMP);
        Client client = reaper.closeLater(new Client(r.publicPort(BOOT)));

        r.signal("HUP");
        r.awaitLine(l -> l.contains("reload 2: worker 3 ready in"), BOOT, "worker 3 ready and ramping");
        Worker fresh = r.everListening().stream().filter(w -> w.id() == 3).findFirst().orElseThrow();
        Cli.Result status = Cli.run(Map.of(), "status", "--json", "--control-socket", socket.toString());
        assertEquals(0, status.code(), status.err());
        Map<String, Object> json = (Map<String, Object>) Json.parse(status.out().strip());
        Map<String, Object> row = ((List<Map<String, Object>>) json.get("workers")).stream()
                .filter(w -> ((Number) w.get("id")).intValue() == 3).findFirst().orElseThrow();
        long share = ((Number) row.get("sharePercent")).longValue();
        assertTrue(share >= 10 && share < 100, "status shows the ramping worker's share: " + row);

        r.awaitLine(l -> l.contains("reload 2 completed"), BOOT, "the reload to complete");
        client.close();
        assertEquals(0, client.failures.get(), () -> "no request failed: " + client.why + "\n" + r.output());

        LocalTime ready = timeOf(r, "reload 2: worker 3 ready in");
        LocalTime firstLeaves = timeOf(r, "(pid " + old.get(0).pid() + ", gen 1) leaves rotation");
        assertTrue(Duration.between(ready, firstLeaves).compareTo(RAMP.minusMillis(500)) >= 0, // log and timer ticks apart
                "the first old worker left " + Duration.between(ready, firstLeaves) + " after the new one was ready, before the ramp ended");
        // Three workers in rotation meanwhile: a full share would be a third of the picks. In the
        // ramp's first third the new one's weight is 0.1-0.33, in its last 0.67-1.
        Duration third = RAMP.dividedBy(3);
        double early = client.share(fresh.pid(), ready, ready.plus(third));
        double late = client.share(fresh.pid(), ready.plus(third.multipliedBy(2)), ready.plus(RAMP));
        System.out.printf("slow start: the new worker took %.0f%% of %s's picks in the ramp's first third, %.0f%% in its last%n",
                early * 100, RAMP, late * 100);
        assertTrue(early < 0.2, "the new worker took " + Math.round(early * 100) + "% at first");
        assertTrue(late > early + 0.05, "its share grew: " + Math.round(early * 100) + "% -> " + Math.round(late * 100) + "%");
    }
}
