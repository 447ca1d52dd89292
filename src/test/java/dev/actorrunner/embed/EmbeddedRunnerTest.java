package dev.actorrunner.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerEvent.ReloadCompleted;
import dev.actorrunner.RunnerEvent.ReloadStarted;
import dev.actorrunner.RunnerEvent.Stopped;
import dev.actorrunner.RunnerEvent.WorkerDraining;
import dev.actorrunner.RunnerEvent.WorkerExited;
import dev.actorrunner.RunnerEvent.WorkerListening;
import dev.actorrunner.RunnerEvent.WorkerStarted;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.config.InvalidSettingsException;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.config.RunnerSettings.PortRange;
import dev.actorrunner.config.SettingsLoader;
import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.fixtures.Reaper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A runner embedded in a host ActorSystem, as a host application uses it: real worker processes
 * (the demo app's JVMs, or {@code sleep} where any process will do), driven by messages only.
 */
class EmbeddedRunnerTest {

    /** A JVM starts in about a second here; several at once on a loaded CI machine take longer. */
    private static final Duration BOOT = Duration.ofSeconds(30);

    private static final ActorTestKit kit = ActorTestKit.create("host");

    @RegisterExtension
    final Reaper reaper = new Reaper();
    private final List<ActorRef<ActorRunner.Command>> runners = new ArrayList<>();

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    /** Stops what a failed test left running; the Reaper then SIGKILLs any worker left over. */
    @AfterEach
    void stopRunners() {
        runners.forEach(kit::stop);
    }

    // ---- the apps ----

    /** The demo HTTP app, ready when its port accepts a connection. */
    private static RunnerSettings.Builder hello(int workers, PortRange ports) {
        return quick(RunnerSettings.builder(Processes.javaCommand("dev.actorrunner.demo.HelloServer")), ports)
                .appName("hello").workers(workers);
    }

    /** Any process will do: {@code sleep}, ready once started, gone on SIGTERM. */
    private static RunnerSettings.Builder sleeper(int workers, PortRange ports) {
        return quick(RunnerSettings.builder(List.of("sleep", "600")), ports)
                .appName("sleeper").workers(workers).ready(new RunnerSettings.Readiness.None());
    }

    private static RunnerSettings.Builder quick(RunnerSettings.Builder b, PortRange ports) {
        return b.workerPorts(ports)
                .port(0)
                .probeInterval(Duration.ofMillis(50))
                .readyTimeout(BOOT)
                .drainTimeout(Duration.ofSeconds(1))
                // The demo's shutdown takes a second on JDK 17 (HttpServer.stop waits it out): 15 s
                // keeps a loaded machine far from a SIGKILL that would turn "exit code 0" into a signal.
                .killTimeout(Duration.ofSeconds(15))
                .backoffMin(Duration.ofMillis(200))
                .backoffMax(Duration.ofSeconds(1))
                .slowStart(Duration.ZERO);
    }

    // ---- helpers ----

    /** Registers every worker's pid with the reaper, whatever the test does with the events. */
    private Behavior<RunnerEvent> pidsToReaper() {
        return Behaviors.receive(RunnerEvent.class)
                .onMessage(WorkerStarted.class, e -> {
                    reaper.register(e.pid());
                    return Behaviors.same();
                })
                .onAnyMessage(e -> Behaviors.same())
                .build();
    }

    private ActorRef<ActorRunner.Command> spawn(ActorTestKit host, RunnerSettings settings, String name,
                                                ActorRef<RunnerEvent> events) {
        ActorRef<RunnerEvent> reaping = kit.spawn(pidsToReaper());
        ActorRef<ActorRunner.Command> runner = host.spawn(ActorRunner.create(settings, List.of(reaping, events)), name);
        if (host == kit) runners.add(runner);
        return runner;
    }

    private static <T extends RunnerEvent> T expect(TestProbe<RunnerEvent> events, Class<T> type) {
        return events.expectMessageClass(type, BOOT);
    }

    private static RunnerStatus status(ActorRef<ActorRunner.Command> runner) {
        TestProbe<RunnerStatus> reply = kit.createTestProbe();
        runner.tell(new ActorRunner.GetStatus(reply.ref()));
        return reply.receiveMessage(Duration.ofSeconds(5));
    }

    /** StopAll, then every remaining event up to Stopped, which must say REQUESTED. */
    private static List<RunnerEvent> stop(ActorRef<ActorRunner.Command> runner, TestProbe<RunnerEvent> events) {
        runner.tell(ActorRunner.StopAll.INSTANCE);
        List<RunnerEvent> seen = new ArrayList<>();
        RunnerEvent e;
        do {
            e = events.receiveMessage(BOOT);
            seen.add(e);
        } while (!(e instanceof Stopped));
        assertEquals(new Stopped(Stopped.Reason.REQUESTED), e);
        events.expectTerminated(runner, Duration.ofSeconds(5));
        return seen;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static String httpGet(int port) throws IOException {
        try (InputStream in = new URL("http://127.0.0.1:" + port + "/").openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }

    // ---- tests ----

    @Test
    void reloadEventsArriveInOrder() {
        TestProbe<RunnerEvent> events = kit.createTestProbe();
        ActorRef<ActorRunner.Command> runner = spawn(kit, hello(1, new PortRange(23500, 23509)).build(), "reload", events.ref());
        WorkerStarted first = expect(events, WorkerStarted.class);
        assertEquals(new WorkerListening(1, 1, first.pid(), first.port()), expect(events, WorkerListening.class));

        runner.tell(ActorRunner.Reload.INSTANCE);
        assertEquals(new ReloadStarted(2), expect(events, ReloadStarted.class));
        WorkerStarted second = expect(events, WorkerStarted.class);
        assertEquals(List.of(2, 2), List.of(second.workerId(), second.generation()));
        assertEquals(new WorkerListening(2, 2, second.pid(), second.port()), expect(events, WorkerListening.class));
        assertEquals(new WorkerDraining(1, 1, first.pid()), expect(events, WorkerDraining.class));
        RunnerEvent.ReloadStep step = expect(events, RunnerEvent.ReloadStep.class);
        assertEquals(List.of(2, 2, List.of(1), 1, 1),
                List.of(step.generation(), step.workerId(), step.draining(), step.replaced(), step.toReplace()));
        RunnerEvent.ReloadServing serving = expect(events, RunnerEvent.ReloadServing.class);
        assertEquals(List.of(2, 1), List.of(serving.generation(), serving.oldWorkers()), "serving, worker 1 still to exit");
        WorkerExited exited = expect(events, WorkerExited.class);
        assertEquals(List.of(1, true, "exit code 0"), List.of(exited.workerId(), exited.expected(), exited.description()),
                "the old worker drained and exited by itself after SIGTERM");
        ReloadCompleted completed = expect(events, ReloadCompleted.class);
        assertEquals(List.of(2, 1), List.of(completed.generation(), completed.replaced()),
                "completed once the old worker has exited");
        assertTrue(completed.serving().compareTo(completed.took()) <= 0, completed.toString());

        assertEquals(List.of(new WorkerDraining(2, 2, second.pid()),
                        new WorkerExited(2, 2, second.pid(), 0, "exit code 0", true),
                        new Stopped(Stopped.Reason.REQUESTED)),
                stop(runner, events));
        assertFalse(alive(first.pid()) || alive(second.pid()));
    }

    @Test
    void getStatusAnswersWithEveryWorker() {
        TestProbe<RunnerEvent> events = kit.createTestProbe();
        PortRange ports = new PortRange(23510, 23519);
        ActorRef<ActorRunner.Command> runner = spawn(kit, sleeper(2, ports).build(), "status", events.ref());
        // Workers start side by side: worker 2 may be ready before worker 1, so wait for both.
        Set<Integer> listening = new HashSet<>();
        events.fishForMessage(BOOT, e -> e instanceof WorkerListening l && listening.add(l.workerId())
                        && listening.size() == 2
                ? FishingOutcomes.complete()
                : FishingOutcomes.continueAndIgnore());

        RunnerStatus status = status(runner);
        assertEquals(List.of("sleeper", 2, 1, false, false, 0),
                List.of(status.app(), status.desiredWorkers(), status.generation(), status.reloading(),
                        status.stopping(), status.crashes()));
        assertEquals(2, status.readyCount());
        for (RunnerStatus.Worker w : status.workers()) {
            assertTrue(alive(w.pid()), "worker " + w.id() + " pid " + w.pid());
            assertTrue(w.port() >= ports.from() && w.port() <= ports.to(), "port " + w.port() + " in " + ports);
        }
        stop(runner, events);
        status.workers().forEach(w -> assertFalse(alive(w.pid())));
    }

    @Test
    void twoRunnersWorkSideBySideAndStopIndependently() throws Exception {
        TestProbe<RunnerEvent> helloEvents = kit.createTestProbe();
        TestProbe<RunnerEvent> sleeperEvents = kit.createTestProbe();
        PortRange helloPorts = new PortRange(23520, 23529);
        ActorRef<ActorRunner.Command> hello = spawn(kit, hello(1, helloPorts).build(), "hello", helloEvents.ref());
        ActorRef<ActorRunner.Command> sleeper =
                spawn(kit, sleeper(1, new PortRange(23530, 23539)).build(), "sleeper", sleeperEvents.ref());
        WorkerStarted helloWorker = expect(helloEvents, WorkerStarted.class);
        expect(helloEvents, WorkerListening.class);
        WorkerStarted sleeperWorker = expect(sleeperEvents, WorkerStarted.class);
        expect(sleeperEvents, WorkerListening.class);

        assertTrue(helloWorker.port() >= helloPorts.from() && helloWorker.port() <= helloPorts.to());
        assertEquals("hello from pid " + helloWorker.pid(), httpGet(helloWorker.port()));
        assertEquals("hello", status(hello).app());
        assertEquals("sleeper", status(sleeper).app());

        stop(hello, helloEvents);
        assertFalse(alive(helloWorker.pid()));
        sleeperEvents.expectNoMessage(Duration.ofMillis(200));
        assertTrue(alive(sleeperWorker.pid()), "the other runner's worker is untouched");
        sleeper.tell(ActorRunner.Reload.INSTANCE);
        sleeperEvents.fishForMessage(BOOT, e -> e instanceof ReloadCompleted
                ? FishingOutcomes.complete()
                : FishingOutcomes.continueAndIgnore());
        assertEquals(1, status(sleeper).readyCount());
        stop(sleeper, sleeperEvents);
    }

    @Test
    void aSubscriberThatFailsDoesNotBreakTheRunner() {
        TestProbe<RunnerEvent> events = kit.createTestProbe();
        ActorRef<RunnerEvent> failing = kit.spawn(Behaviors.receive(RunnerEvent.class)
                .onAnyMessage(e -> {
                    throw new IllegalStateException("a subscriber's bug (expected by the test)");
                })
                .build());
        ActorRef<ActorRunner.Command> runner = spawn(kit, sleeper(1, new PortRange(23540, 23549)).build(), "subscribers",
                events.ref());
        runner.tell(new ActorRunner.Subscribe(failing));
        expect(events, WorkerStarted.class);
        expect(events, WorkerListening.class);
        events.expectTerminated(failing, BOOT);

        runner.tell(ActorRunner.Scale.to(2));
        assertEquals(2, expect(events, WorkerStarted.class).workerId());
        assertEquals(2, expect(events, WorkerListening.class).workerId());
        assertEquals(2, status(runner).readyCount());
        stop(runner, events);
    }

    @Test
    void hostTerminationStopsEveryWorkerGracefullyAndLeavesNoneAlive() throws Exception {
        ActorTestKit host = ActorTestKit.create("host-to-terminate", ConfigFactory.parseString(
                "akka.coordinated-shutdown.phases.service-stop.timeout = 10s").withFallback(ConfigFactory.load()));
        try {
            // The probe lives in the test's own system, so that it hears the events to the very end.
            TestProbe<RunnerEvent> events = kit.createTestProbe();
            spawn(host, hello(2, new PortRange(23550, 23559)).build(), "runner", events.ref());
            List<Long> pids = new ArrayList<>();
            while (pids.size() < 2) {
                if (events.receiveMessage(BOOT) instanceof WorkerListening l) pids.add(l.pid());
            }

            host.system().terminate();
            host.system().getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);

            pids.forEach(pid -> assertFalse(alive(pid), "worker pid " + pid + " outlived the host system"));
            List<RunnerEvent> rest = new ArrayList<>();
            for (int i = 0; i < 5; i++) rest.add(events.receiveMessage(Duration.ofSeconds(5)));
            assertEquals(2, rest.stream().filter(e -> e instanceof WorkerExited x && x.expected()
                    && x.description().equals("exit code 0")).count(), "both drained after SIGTERM: " + rest);
            assertEquals(new Stopped(Stopped.Reason.REQUESTED), rest.get(4));
        } finally {
            host.shutdownTestKit();
        }
    }

    /** An actor of the host that owns a runner and fails on "fail". */
    private static Behavior<String> owner(RunnerSettings settings, ActorRef<RunnerEvent> events) {
        return Behaviors.setup(context -> {
            context.spawn(ActorRunner.create(settings, List.of(events)), "runner");
            return Behaviors.receive(String.class)
                    .onMessageEquals("fail", () -> {
                        throw new IllegalStateException("the owner's bug (expected by the test)");
                    })
                    .build();
        });
    }

    @Test
    void aRunnerStoppedWithItsFailingOwnerKillsItsWorkers() {
        TestProbe<RunnerEvent> events = kit.createTestProbe();
        ActorRef<String> owner = kit.spawn(owner(sleeper(1, new PortRange(23560, 23569)).build(), events.ref()));
        long pid = reaper.register(expect(events, WorkerStarted.class).pid());
        expect(events, WorkerListening.class);

        owner.tell("fail");
        events.expectTerminated(owner, Duration.ofSeconds(5));
        assertTrue(Processes.awaitDead(pid, Duration.ofSeconds(5)), "the worker died with its runner");
    }

    @Test
    void settingsComeFromTheActorRunnerBlockOfTheHostsConfig() throws Exception {
        RunnerSettings settings = SettingsLoader.fromConfig(ConfigFactory.parseString("""
                akka.loglevel = INFO
                my-service.port = 9000
                actor-runner {
                  command = [sleep, "600"]
                  workers = 3
                  worker-ports = "23570-23579"
                  kill-timeout = 5s
                }
                """).withFallback(ConfigFactory.load()));
        assertEquals(List.of(3, Duration.ofSeconds(5), new PortRange(23570, 23579)),
                List.of(settings.workers(), settings.killTimeout(), settings.workerPorts()));
        assertTrue(settings.command().get(0).endsWith("sleep"));

        InvalidSettingsException bad = assertThrows(InvalidSettingsException.class, () -> SettingsLoader.fromConfig(
                ConfigFactory.parseString("actor-runner { command = [sleep, \"1\"], wrokers = 3 }")));
        assertEquals(List.of("config: unknown key actor-runner.wrokers"), bad.problems());
    }
}
