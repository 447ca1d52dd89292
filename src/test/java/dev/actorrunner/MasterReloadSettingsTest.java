package dev.actorrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import dev.actorrunner.RunnerEvent.ReloadStarted;
import dev.actorrunner.RunnerEvent.WorkerDraining;
import dev.actorrunner.config.InvalidSettingsException;
import dev.actorrunner.config.RunnerSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A reload that brings settings: the new generation runs them, the restart-only ones stay, bad ones refuse it. */
class MasterReloadSettingsTest extends MasterHarness {

    @Test
    void aReloadWithNewSettingsForksTheNewGenerationWithTheNewCommandAndEnvironment() {
        startReady(2, b -> b.extraEnv(Map.of("GREETING", "hello")));
        RunnerSettings next = settings(2, List.of("app", "--v2"))
                .extraEnv(Map.of("GREETING", "hi"))
                .killTimeout(Duration.ofSeconds(7))
                .port(9999) // only a restart changes the public port
                .build();
        TestProbe<ActorRunner.ReloadReply> replies = kit.createTestProbe();
        LoggingTestKit.warn("port: 8080 -> 9999 (kept: only a restart changes it)").expect(kit.system(), () -> {
            runner.tell(ActorRunner.Reload.with(next).replyTo(replies.ref()));
            return null;
        });
        assertEquals(new ActorRunner.ReloadAccepted(2, false, 2), replies.receiveMessage());
        ReloadStarted started = events.expectMessageClass(ReloadStarted.class);
        assertEquals(List.of("command: [app] -> [app, --v2]", "kill-timeout: 5s -> 7s", "env: GREETING changed"),
                started.changes());
        assertEquals(3, expectStarted());
        assertEquals(List.of("app", "--v2"), launcher.worker(3).spec.command());
        assertEquals(Map.of("GREETING", "hi"), launcher.worker(3).spec.extraEnv());
        assertEquals(2, launcher.worker(3).spec.generation());
        assertEquals(List.of("app"), launcher.worker(1).spec.command(), "the old generation ran the old command");
        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
        expectInAnyOrder(exited(1), started(4));
        assertEquals(List.of("app", "--v2"), launcher.worker(4).spec.command());
    }

    /** Slow start is per generation: the front ramps over the new window, and the reload waits it out. */
    @Test
    void aReloadThatBringsSlowStartRampsItsOwnNewWorkers() {
        startReady(2, b -> {});
        runner.tell(ActorRunner.Reload.with(settings(2, List.of("app")).slowStart(Duration.ofSeconds(4)).build()));
        assertEquals(List.of("slow-start: 0s -> 4s"), events.expectMessageClass(ReloadStarted.class).changes());
        assertEquals(Duration.ofSeconds(4), router.slowStart, "the front ramps over the new window");
        assertEquals(3, expectStarted());
        probeFires();
        launcher.worker(3).becomeReady();
        expectListening(3);
        afterMaster(Duration.ofSeconds(3));
        events.expectNoMessage(Duration.ofMillis(100));
        assertEquals(List.of(1, 2, 3), router.current(), "the old workers serve while the new one ramps");
        time.timePasses(Duration.ofSeconds(1));
        assertEquals(1, events.expectMessageClass(WorkerDraining.class).workerId());
    }

    @Test
    void aReloadWithTheSameSettingsChangesNothingAndSaysSo() {
        startReady(2, b -> {});
        runner.tell(ActorRunner.Reload.INSTANCE);
        assertEquals(List.of(), events.expectMessageClass(ReloadStarted.class).changes());
        assertEquals(3, expectStarted());
        assertEquals(List.of("app"), launcher.worker(3).spec.command());
    }

    @Test
    void theFilesWorkerCountAppliesOnlyWhenTheFileChangedIt() {
        startReady(2, b -> {});
        runner.tell(ActorRunner.Scale.to(3)); // an operator's scale
        assertEquals(3, expectStarted());
        runner.tell(ActorRunner.Reload.with(settings(2, List.of("app")).build())); // the file still says 2
        assertEquals(List.of(), events.expectMessageClass(ReloadStarted.class).changes());
        assertEquals(3, status().desiredWorkers(), "a reload with an unchanged count keeps the scale");

        runner.tell(ActorRunner.Reload.with(settings(4, List.of("app")).build())); // queued behind the running one
        RunnerStatus s = status();
        assertTrue(s.reloadQueued());
        assertEquals(3, s.desiredWorkers(), "the queued reload's count applies when it starts");
    }

    @Test
    void aChangedFileCountAppliesWithTheReload() {
        startReady(2, b -> {});
        runner.tell(ActorRunner.Reload.with(settings(3, List.of("app")).build()));
        assertEquals(List.of("workers: 2 -> 3"), events.expectMessageClass(ReloadStarted.class).changes());
        assertEquals(3, status().desiredWorkers());
    }

    @Test
    void settingsThatCannotBeReadRefuseTheReloadAndNothingIsForked() {
        startReady(2, b -> {});
        TestProbe<ActorRunner.ReloadReply> replies = kit.createTestProbe();
        List<String> problems = List.of("config: /etc/runner.conf: 3: Expecting a value but got wrong token: '}'",
                "config: actor-runner.ready-timeout: expected a duration with a unit, like 60s or 500ms, got \"soon\"");
        CompletableFuture<RunnerSettings> reading = new CompletableFuture<>();
        runner.tell(ActorRunner.Reload.reading(reading).replyTo(replies.ref()));
        replies.expectNoMessage(Duration.ofMillis(100)); // it waits for the read, without blocking
        assertEquals(2, status().readyCount(), "it answers meanwhile");
        reading.completeExceptionally(new InvalidSettingsException(problems));

        assertEquals(new ActorRunner.ReloadRefused(problems), replies.receiveMessage());
        assertEquals(new RunnerEvent.ReloadRefused(problems), events.expectMessageClass(RunnerEvent.ReloadRefused.class));
        events.expectNoMessage(Duration.ofMillis(200));
        assertEquals(2, launcher.launched.size(), "no worker was forked");
        RunnerStatus s = status();
        assertEquals(1, s.generation());
        assertEquals(0, s.reloads().started());
        assertEquals(List.of(1, 2), router.current(), "the old workers serve on");

        // Fixed: the next reload is generation 2, as if the refused one had never been asked for.
        runner.tell(ActorRunner.Reload.reading(CompletableFuture.supplyAsync(() -> settings(2, List.of("app", "--fixed")).build()))
                .replyTo(replies.ref()));
        assertEquals(new ActorRunner.ReloadAccepted(2, false, 2), replies.receiveMessage());
        assertEquals(List.of("command: [app] -> [app, --fixed]"), events.expectMessageClass(ReloadStarted.class).changes());
        assertEquals(3, expectStarted());
        assertEquals(List.of("app", "--fixed"), launcher.worker(3).spec.command());
    }

    @Test
    void statusListsEachGenerationThatStillHasWorkers() {
        startReady(2, b -> {});
        RunnerStatus before = status();
        assertEquals(List.of(new RunnerStatus.Generation(1, "app", java.util.Optional.empty())), before.generations(),
                "a command that runs no jar has none to show");
        runner.tell(ActorRunner.Reload.INSTANCE);
        events.expectMessageClass(ReloadStarted.class);
        expectStarted();
        assertEquals(List.of(1, 2), status().generations().stream().map(RunnerStatus.Generation::generation).toList());
    }
}
