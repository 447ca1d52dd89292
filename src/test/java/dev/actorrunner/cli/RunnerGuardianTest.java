package dev.actorrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerEvent.Stopped.Reason;
import dev.actorrunner.config.RunnerSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The guardian against fake runners: no processes. */
class RunnerGuardianTest {

    private static ActorTestKit testKit;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create();
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    /** A runner that, once subscribed to, publishes {@code event} and then behaves as {@code then}. */
    private static Behavior<ActorRunner.Command> publishing(RunnerEvent event, Behavior<ActorRunner.Command> then) {
        return Behaviors.receive(ActorRunner.Command.class)
                .onMessage(ActorRunner.Subscribe.class, s -> {
                    s.subscriber().tell(event);
                    return then;
                })
                .build();
    }

    private static int exitCodeOf(Behavior<ActorRunner.Command> runner) throws Exception {
        CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        ActorRef<RunnerGuardian.Command> guardian = testKit.spawn(RunnerGuardian.create(runner, exitCode));
        TestProbe<Object> probe = testKit.createTestProbe();
        probe.expectTerminated(guardian, Duration.ofSeconds(5));
        return exitCode.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aRequestedStopExitsZero() throws Exception {
        assertEquals(ExitCodes.OK, exitCodeOf(publishing(new RunnerEvent.Stopped(Reason.REQUESTED), Behaviors.stopped())));
    }

    @Test
    void aBootFailureExitsThree() throws Exception {
        assertEquals(ExitCodes.BOOT_FAILED,
                exitCodeOf(publishing(new RunnerEvent.Stopped(Reason.BOOT_FAILED), Behaviors.stopped())));
    }

    @Test
    void aRunnerThatStopsWithoutSayingWhyExitsOne() throws Exception {
        assertEquals(ExitCodes.SOFTWARE, exitCodeOf(publishing(new RunnerEvent.BootFailed("x"), Behaviors.stopped())));
    }

    @Test
    void aRunnerThatFailsExitsOne() throws Exception {
        Behavior<ActorRunner.Command> failing = Behaviors.receive(ActorRunner.Command.class)
                .onMessage(ActorRunner.Subscribe.class, s -> {
                    throw new IllegalStateException("expected by the test");
                })
                .build();
        assertEquals(ExitCodes.SOFTWARE, exitCodeOf(failing));
    }

    @Test
    void signalCommandsReachTheRunner() {
        TestProbe<ActorRunner.Command> received = testKit.createTestProbe();
        Behavior<ActorRunner.Command> recording = Behaviors.receive(ActorRunner.Command.class)
                .onMessage(ActorRunner.Subscribe.class, s -> Behaviors.same())
                .onAnyMessage(command -> {
                    received.ref().tell(command);
                    return Behaviors.same();
                })
                .build();
        CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        ActorRef<RunnerGuardian.Command> guardian = testKit.spawn(RunnerGuardian.create(recording, exitCode));
        guardian.tell(new RunnerGuardian.ToRunner(ActorRunner.Reload.INSTANCE));
        guardian.tell(new RunnerGuardian.ToRunner(ActorRunner.Scale.by(-1)));
        received.expectMessage(ActorRunner.Reload.INSTANCE);
        received.expectMessage(ActorRunner.Scale.by(-1));
        assertFalse(exitCode.isDone());
        testKit.stop(guardian);
    }

    @Test
    void theCliSystemLogsThroughSlf4jAndLeavesTheJvmToTheCli() {
        Config config = RunnerHost.systemConfig();
        assertEquals("akka.event.slf4j.Slf4jLogger", config.getStringList("akka.loggers").get(0));
        assertEquals("akka.event.slf4j.Slf4jLoggingFilter", config.getString("akka.logging-filter"));
        assertFalse(config.getBoolean("akka.coordinated-shutdown.exit-jvm"));
        assertFalse(config.getBoolean("akka.jvm-shutdown-hooks"));
        assertEquals("OFF", config.getString("akka.stdout-loglevel"));
    }

    /** The system starts before the settings are read: its phase outlasts any graceful stop they allow. */
    @Test
    void theCliSystemGivesWorkersTheirFullKillTimeoutIfItEndsWhileTheyRun() {
        RunnerSettings settings = RunnerSettings.builder(List.of("app"))
                .drainTimeout(Duration.ofDays(24)).killTimeout(Duration.ofDays(24)).build();
        Duration phase = RunnerHost.systemConfig().getDuration("akka.coordinated-shutdown.phases.service-stop.timeout");
        assertTrue(phase.compareTo(settings.drainTimeout().plus(settings.killTimeout()).plusSeconds(5)) > 0, phase::toString);
    }
}
