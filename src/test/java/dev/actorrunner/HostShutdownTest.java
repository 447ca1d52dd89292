package dev.actorrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.PostStop;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The facade's CoordinatedShutdown task against scripted runners: no processes. Each test owns a
 * host ActorSystem and terminates it, as a host application would.
 */
class HostShutdownTest {

    private static final Duration LONG_GRACE = Duration.ofSeconds(60);

    private ActorTestKit host;
    /** What the scripted runner saw, with the time since the host began to terminate. */
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile long terminateStarted;

    @AfterEach
    void stopHost() {
        if (host != null) host.shutdownTestKit();
    }

    private void host(Duration serviceStopTimeout) {
        host = ActorTestKit.create("host", ConfigFactory.parseString(
                "akka.coordinated-shutdown.phases.service-stop.timeout = " + serviceStopTimeout.toMillis() + "ms")
                .withFallback(ConfigFactory.load()));
    }

    /**
     * The scripted runner's own timer. The runner's protocol is sealed, so it borrows a public
     * message that it never gets otherwise.
     */
    private static final ActorRunner.Command FINISH = ActorRunner.Scale.by(0);

    /**
     * A runner that takes {@code stopTakes} to stop after its first StopAll and stops at once on a
     * second one (as the real one kills then), recording both; it fails on Reload.
     */
    private Behavior<ActorRunner.Command> scripted(Duration stopTakes) {
        return Behaviors.withTimers(timers -> Behaviors.receive(ActorRunner.Command.class)
                .onMessageEquals(ActorRunner.StopAll.INSTANCE, () -> {
                    if (timers.isTimerActive(FINISH)) {
                        record("kill");
                        return Behaviors.stopped();
                    }
                    record("StopAll");
                    timers.startSingleTimer(FINISH, stopTakes);
                    return Behaviors.same();
                })
                .onMessageEquals(FINISH, Behaviors::stopped)
                .onMessageEquals(ActorRunner.Reload.INSTANCE, () -> {
                    throw new IllegalStateException("a bug in the runner (expected by the test)");
                })
                .onMessage(ActorRunner.GetStatus.class, p -> { // a ping: the runner (and so its task) is set up
                    p.replyTo().tell(new RunnerStatus("scripted", 0, 1, false, false, 0, List.of()));
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, s -> {
                    record("PostStop");
                    return Behaviors.same();
                })
                .build());
    }

    private void record(String what) {
        seen.add(what + (terminateStarted == 0 ? "" : " at " + (System.nanoTime() - terminateStarted) / 1_000_000));
    }

    private ActorRef<ActorRunner.Command> spawnReady(Behavior<ActorRunner.Command> runner, Duration grace) {
        ActorRef<ActorRunner.Command> ref = host.spawn(HostShutdown.around(runner, grace));
        TestProbe<RunnerStatus> probe = host.createTestProbe();
        ref.tell(new ActorRunner.GetStatus(probe.ref()));
        assertEquals("scripted", probe.receiveMessage().app());
        return ref;
    }

    /** Terminates the host as an application would; returns how long that took, in ms. */
    private long terminateHost() throws Exception {
        terminateStarted = System.nanoTime();
        host.system().terminate();
        host.system().getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
        return (System.nanoTime() - terminateStarted) / 1_000_000;
    }

    private List<String> seenWithoutTimes() {
        return seen.stream().map(s -> s.replaceAll(" at \\d+$", "")).toList();
    }

    private long timeOf(String what) {
        return seen.stream().filter(s -> s.startsWith(what + " at "))
                .mapToLong(s -> Long.parseLong(s.substring(s.lastIndexOf(' ') + 1))).findFirst().orElseThrow();
    }

    @Test
    void hostTerminationStopsTheRunnerAndWaitsUntilItHasStopped() throws Exception {
        host(Duration.ofSeconds(5));
        spawnReady(scripted(Duration.ofMillis(300)), Duration.ofSeconds(1));
        long took = terminateHost();
        assertEquals(List.of("StopAll", "PostStop"), seenWithoutTimes());
        assertTrue(timeOf("PostStop") >= 300, "the host waited for the runner: " + seen);
        assertTrue(took < 4000, "and no longer than the runner needed: " + took + " ms");
    }

    @Test
    void aStopLongerThanTheShutdownPhaseEndsInAKillBeforeThePhaseTimesOut() throws Exception {
        // 5 s, not 1 s: the kill is due 1 s before the phase's end, which leaves a loaded machine
        // a whole second of slack on each side.
        host(Duration.ofSeconds(5));
        spawnReady(scripted(LONG_GRACE), LONG_GRACE);
        terminateHost();
        assertEquals(List.of("StopAll", "kill", "PostStop"), seenWithoutTimes());
        long kill = timeOf("kill") - timeOf("StopAll");
        assertTrue(kill >= 3000 && kill < 5000, "killed 1 s before the phase's end, not at it: " + seen);
    }

    @Test
    void aStopAlreadyUnderWayKeepsItsGraceWhenTheHostTerminates() throws Exception {
        host(Duration.ofSeconds(5));
        ActorRef<ActorRunner.Command> runner = spawnReady(scripted(Duration.ofMillis(500)), Duration.ofSeconds(1));
        runner.tell(ActorRunner.StopAll.INSTANCE);
        terminateHost();
        assertEquals(List.of("StopAll", "PostStop"), seenWithoutTimes(), "no second StopAll, which would kill");
    }

    @Test
    void severalRunnersAreAllStoppedByOneHostShutdown() throws Exception {
        host(Duration.ofSeconds(5));
        spawnReady(scripted(Duration.ofMillis(200)), Duration.ofSeconds(1));
        spawnReady(scripted(Duration.ofMillis(200)), Duration.ofSeconds(1));
        terminateHost();
        assertEquals(List.of("StopAll", "StopAll", "PostStop", "PostStop"), seenWithoutTimes());
    }

    /** A host actor that owns a runner and answers pings of its own. */
    private record ToRunner(ActorRunner.Command command) {}

    private record HostPing(ActorRef<String> replyTo) {}

    @Test
    void aRunnerThatFailsStopsAloneAndDoesNotHoldUpTheHostsShutdown() throws Exception {
        host(Duration.ofSeconds(5));
        TestProbe<String> watcher = host.createTestProbe();
        Behavior<Object> owner = Behaviors.setup(context -> {
            ActorRef<ActorRunner.Command> runner =
                    context.spawn(HostShutdown.around(scripted(LONG_GRACE), LONG_GRACE), "runner");
            context.watch(runner);
            return Behaviors.receive(Object.class)
                    .onMessage(ToRunner.class, m -> {
                        runner.tell(m.command());
                        return Behaviors.same();
                    })
                    .onMessage(HostPing.class, m -> {
                        m.replyTo().tell("alive");
                        return Behaviors.same();
                    })
                    .onSignal(Terminated.class, t -> {
                        watcher.ref().tell(t instanceof ChildFailed ? "runner failed" : "runner stopped");
                        return Behaviors.same();
                    })
                    .build();
        });
        ActorRef<Object> ownerRef = host.spawn(owner, "owner");
        ownerRef.tell(new ToRunner(ActorRunner.Reload.INSTANCE));
        watcher.expectMessage("runner failed");
        ownerRef.tell(new HostPing(watcher.ref()));
        watcher.expectMessage("alive");
        long took = terminateHost();
        assertEquals(List.of("PostStop"), seenWithoutTimes());
        assertTrue(took < 3000, "the failed runner's task was removed, not waited for: " + took + " ms");
    }
}
