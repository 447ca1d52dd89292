package dev.actorrunner.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.examples.EmbeddingExample.Deployer;
import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.fixtures.Reaper;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's embedding example runs as written: two demo workers, a reload, status, stop. */
class EmbeddingExampleTest {

    private static final ActorTestKit kit = ActorTestKit.create("host", EmbeddingExample.hostConfig());

    @RegisterExtension
    final Reaper reaper = new Reaper();

    @AfterAll
    static void shutdown() {
        kit.shutdownTestKit();
    }

    @Test
    void deploysReloadsReportsAndStops() {
        TestProbe<Deployer.Report> reports = kit.createTestProbe();
        ActorRef<Deployer.Command> deployer =
                kit.spawn(Deployer.create(EmbeddingExample.settings(Processes.classpath()), reports.ref()));
        Deployer.Report report;
        try {
            report = reports.receiveMessage(Duration.ofSeconds(60));
        } finally {
            kit.stop(deployer); // a no-op when it stopped by itself; else its runner kills the workers
        }
        report.events().stream().filter(e -> e instanceof RunnerEvent.WorkerStarted)
                .forEach(e -> reaper.register(((RunnerEvent.WorkerStarted) e).pid()));

        assertTrue(report.stoppedAsAsked(), () -> "events: " + report.events());
        assertEquals(new ActorRunner.ReloadAccepted(2, false, 2), report.reload(), "the runner says which reload it started");
        RunnerStatus status = report.afterReload();
        assertEquals(List.of(2, 2, false), List.of(status.generation(), (int) status.readyCount(), status.reloading()));
        assertTrue(status.workers().stream().filter(w -> w.state() == RunnerStatus.State.READY)
                .allMatch(w -> w.generation() == 2), status::toString);
        assertTrue(report.events().contains(new RunnerEvent.ReloadStarted(2)));
        assertEquals(new RunnerEvent.Stopped(RunnerEvent.Stopped.Reason.REQUESTED),
                report.events().get(report.events().size() - 1));
        assertEquals(4, report.events().stream().filter(e -> e instanceof RunnerEvent.WorkerExited x
                && x.expected()).count(), "two workers replaced, two stopped: " + report.events());
        report.events().stream().filter(e -> e instanceof RunnerEvent.WorkerStarted)
                .map(e -> ((RunnerEvent.WorkerStarted) e).pid())
                .forEach(pid -> assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                        "pid " + pid + " still alive"));
    }
}
