package dev.actorrunner.it;

import static dev.actorrunner.it.FleetNodes.FORM;
import static dev.actorrunner.it.FleetNodes.awaitFleet;
import static dev.actorrunner.it.FleetNodes.cli;
import static dev.actorrunner.it.FleetNodes.sha256;
import static dev.actorrunner.it.FleetNodes.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.FleetNodes.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three runner JVMs on loopback form a fleet (issue 15), each with two workers of the demo, with
 * failure detection relaxed for a loaded 2-core machine. FleetRollIT has the operator's roll
 * (canary, abort, failing releases), FleetFaultsIT and FleetPartitionIT the failures;
 * bench/fleet.sh the same by hand, and the scale figures.
 */
class FleetIT {
    private static final int NODES = 3;

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    /** Relaxed failure detection: a JVM starting beside five others may miss heartbeats for seconds. */
    private Path config(String extra) throws IOException {
        return Files.writeString(dir.resolve("runner.conf"), """
                actor-runner.fleet {
                  heartbeat-pause = 15s
                  stable-after = 20s
                  min-healthy-time = 2s
                  machine-deadline = 90s
                  progress-deadline = 5m
                """ + extra + "\n}\n");
    }

    /** When each runner's local reloads started and completed, from its log: [start, end] in ms of the day. */
    private static List<long[]> reloadIntervals(RunnerProcess runner) {
        Map<String, Long> started = new HashMap<>();
        List<long[]> intervals = new ArrayList<>();
        for (String line : runner.lines()) {
            Matcher s = RELOAD_STARTED.matcher(line);
            if (s.find()) started.put(s.group(2), millis(s.group(1)));
            Matcher c = RELOAD_COMPLETED.matcher(line);
            if (c.find() && started.containsKey(c.group(2))) intervals.add(new long[] {started.get(c.group(2)), millis(c.group(1))});
        }
        return intervals;
    }

    private static final Pattern RELOAD_STARTED = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*reload (\\d+) started");
    private static final Pattern RELOAD_COMPLETED = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*reload (\\d+) completed");

    private static long millis(String time) {
        return java.time.LocalTime.parse(time).toNanoOfDay() / 1_000_000;
    }

    @Test
    void aFleetFormsShowsEveryNodeAndReloadsMachineByMachine() throws Exception {
        FleetNodes fleet = new FleetNodes(dir, reaper, NODES);
        Path r1 = fleet.release(1);
        Path r2 = fleet.release(2);
        List<Node> nodes = fleet.start(2, config(""), FleetNodes.jarApp(r1));
        awaitFleet(nodes, NODES, 2L * NODES);
        for (Node node : nodes) {
            Map<String, Object> s = status(node);
            assertEquals(node.name(), s.get("self"));
            assertEquals(1L, s.get("releases"), "one release: " + s);
            Cli.Result table = cli(node, "fleet", "status");
            assertEquals(0, table.code(), table.err());
            assertEquals("3 node(s), 6 worker(s) ready, 1 release(s)", table.outLines().get(0));
            for (Node other : nodes) {
                assertEquals(1, table.outLines().stream().filter(l -> l.startsWith(other.name() + " ") && l.contains(" up ")
                        && l.contains(" 2/2 ") && l.contains(sha256(r1).substring(0, 12))).count(), table.out());
            }
        }

        // A jar that is not there: refused by the pre-check, before any machine is touched.
        Cli.Result missing = cli(nodes.get(0), "fleet", "reload", "--jar", dir.resolve("releases/9/app.jar").toString(), "--wait");
        assertEquals(2, missing.code(), missing.out() + missing.err());
        assertTrue(missing.err().contains("refused, nothing reloaded") && missing.err().contains("no such file"), missing.err());
        // A SHA-256 that is not the jar's: refused too.
        Cli.Result wrongSha = cli(nodes.get(1), "fleet", "reload", "--jar", r2.toString(), "--sha256", sha256(r1), "--wait");
        assertEquals(2, wrongSha.code(), wrongSha.out() + wrongSha.err());
        assertTrue(wrongSha.err().contains("SHA-256 is " + sha256(r2)), wrongSha.err());
        for (Node node : nodes) assertEquals(List.of(), reloadIntervals(node.runner()), node.name() + " reloaded nothing");

        Cli.Result reload = cli(nodes.get(1), "fleet", "reload", "--jar", r2.toString(), "--sha256", sha256(r2), "--wait");
        assertEquals(0, reload.code(), reload.out() + reload.err());
        assertTrue(reload.out().contains("completed, 3 of 3 done"), reload.out());
        for (Node node : nodes) {
            node.runner().await(() -> {
                Map<String, Object> s = status(node);
                return Long.valueOf(1).equals(s.get("releases")) && Long.valueOf(6).equals(s.get("readyWorkers"))
                        && s.get("roll") == null && status(node).toString().contains(sha256(r2));
            }, FORM, node.name() + " to see every node on release 2");
        }
        // No two machines reloading at once: each runner's reload began after the previous one's had completed.
        List<long[]> intervals = new ArrayList<>();
        for (Node node : nodes) {
            List<long[]> own = reloadIntervals(node.runner());
            assertEquals(1, own.size(), node.name() + " reloaded once:\n" + node.runner().output());
            intervals.addAll(own);
        }
        intervals.sort(java.util.Comparator.comparingLong(i -> i[0]));
        for (int i = 1; i < intervals.size(); i++) {
            assertTrue(intervals.get(i)[0] >= intervals.get(i - 1)[1], "reload " + i + " began at " + intervals.get(i)[0]
                    + " before the previous one completed at " + intervals.get(i - 1)[1]);
        }

        // Through a symlink (releases/current) and without --sha256: the machines publish the real
        // path; the roll must settle, not bring every machine "up to date" again and again.
        Path r3 = fleet.release(3);
        Path current = Files.createSymbolicLink(dir.resolve("releases/current"), r3.getParent());
        Cli.Result viaLink = cli(nodes.get(2), "fleet", "reload", "--jar", current.resolve("app.jar").toString(), "--wait");
        assertEquals(0, viaLink.code(), viaLink.out() + viaLink.err());
        for (Node node : nodes) {
            node.runner().await(() -> status(node).toString().contains(sha256(r3)) && status(node).get("roll") == null,
                    FORM, node.name() + " to see release 3");
        }
        // A loop shows within a refresh of the entries (15 s) and a catch-up look (5 s): watch longer.
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
            for (Node node : nodes) {
                assertEquals(2, node.runner().lines().stream().filter(l -> RELOAD_STARTED.matcher(l).find()).count(),
                        node.name() + " reloaded to release 3 once, and"
                        + " not again:\n" + node.runner().output());
            }
            Thread.sleep(500); // polling interval of an observation window
        }
    }
}
