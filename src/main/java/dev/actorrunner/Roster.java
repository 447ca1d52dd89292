package dev.actorrunner;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Router;
import dev.actorrunner.probe.ReadinessProbe;
import dev.actorrunner.process.ProcessLauncher;
import dev.actorrunner.supervisor.Entry;
import dev.actorrunner.supervisor.Worker;
import dev.actorrunner.supervisor.WorkerSpecs;
import dev.actorrunner.supervisor.WorkerState;
import dev.actorrunner.supervisor.Workers;
import java.time.Duration;
import java.util.List;

/**
 * The runner's workers: it forks each one (a {@link Worker} actor, child of the runner, that owns
 * the process) and keeps the table ({@link Workers}). Each change goes to the front's routing
 * table when it changes who is in rotation, and is announced (log and event) in the same step, so
 * that rotation, log and events never disagree. Used on the runner's thread only.
 */
final class Roster {
    private final Workers table = new Workers();
    private final ActorContext<?> context;
    private final ProcessLauncher launcher;
    private final ActorRef<Worker.Event> events;
    private final Router router;
    private final Announcer announce;
    private int lastId;

    /**
     * What the settings of one generation make of each worker it forks: the process, the
     * readiness probe, and how a ready one is watched.
     */
    record Spec(RunnerSettings settings, ReadinessProbe probe, Worker.Watch watch) {}

    /** @param events where the workers report (the runner's adapter) */
    Roster(ActorContext<?> context, ProcessLauncher launcher, ActorRef<Worker.Event> events, Router router,
           Announcer announce) {
        this.context = context;
        this.launcher = launcher;
        this.events = events;
        this.router = router;
        this.announce = announce;
    }

    /** The table itself, for the decisions ({@link dev.actorrunner.supervisor.Rollout}, counts). */
    Workers table() {
        return table;
    }

    /** Forks a worker of {@code generation} as {@code spec} says, the next in a line of {@code restarts} crashed ones. */
    void fork(int generation, int restarts, Spec spec) {
        int id = ++lastId;
        ActorRef<Worker.Command> ref = context.spawn(Worker.create(WorkerSpecs.launch(spec.settings(), id, generation),
                launcher, spec.probe(), WorkerSpecs.timing(spec.settings()), spec.watch(), events), "worker-" + id);
        table.add(new Entry(id, generation, ref, restarts));
    }

    void started(Entry w, Worker.Started e) {
        w.started(e.pid(), e.port());
        announce.workerStarted(w);
    }

    /** Listening: into rotation. */
    void ready(Entry w, int desired) {
        table.setState(w, WorkerState.READY);
        router.publish(table.routes());
        announce.workerListening(w, table.count(WorkerState.READY), desired);
    }

    /**
     * Takes a worker out of rotation at once and tells it to stop: a ready one drains its
     * connections first, then gets SIGTERM. It no longer counts toward capacity (Disconnected).
     */
    void retire(Entry w) {
        boolean wasRouted = w.state() == WorkerState.READY;
        table.setState(w, wasRouted ? WorkerState.DRAINING : WorkerState.STOPPING);
        if (wasRouted) router.publish(table.routes());
        announce.workerLeaves(w, wasRouted, router.openConnections(w.id));
        w.ref.tell(new Worker.Stop(router.drain(w.id)));
    }

    /**
     * Takes a ready worker that failed its checks out of rotation at once: no drain (its
     * connections hang anyway), its threads are dumped, and it is stopped.
     */
    void retireUnhealthy(Entry w, String reason) {
        table.setState(w, WorkerState.UNHEALTHY);
        router.publish(table.routes());
        int open = router.openConnections(w.id);
        router.abandon(w.id); // before the event: whoever hears of it finds the requests given up on
        announce.workerUnhealthy(w, reason, open);
        w.ref.tell(new Worker.Stop(router.drain(w.id), true));
    }

    /** Drained, or drain-timeout passed: SIGTERM is on its way. */
    void terminating(Entry w, Worker.Terminating e, Duration drainTimeout) {
        boolean unhealthy = w.state() == WorkerState.UNHEALTHY;
        table.setState(w, WorkerState.STOPPING);
        if (unhealthy) {
            announce.terminatingUnhealthy(w, router.openConnections(w.id));
        } else {
            announce.terminating(w, e.timedOut(), router.openConnections(w.id), drainTimeout);
        }
    }

    /** Its process is gone: out of the table (and of rotation, if it was still in it). */
    void exited(Entry w, Worker.Exited e, String description) {
        table.remove(w);
        router.forget(w.id);
        if (w.state() == WorkerState.READY) router.publish(table.routes());
        announce.workerExited(w, e, description);
    }

    List<RunnerStatus.Worker> snapshot() {
        return table.all().stream().map(w -> new RunnerStatus.Worker(w.id, w.generation, w.pid(), w.port(),
                state(w.state()), w.since(), w.startedAt(), w.restarts, router.openConnections(w.id),
                w.state() == WorkerState.READY ? router.sharePercent(w.id) : 0)).toList();
    }

    /** The one place where a worker's state becomes the public one. */
    static RunnerStatus.State state(WorkerState s) {
        return switch (s) {
            case STARTING -> RunnerStatus.State.STARTING;
            case READY -> RunnerStatus.State.READY;
            case DRAINING -> RunnerStatus.State.DRAINING;
            case UNHEALTHY -> RunnerStatus.State.UNHEALTHY;
            case STOPPING -> RunnerStatus.State.STOPPING;
        };
    }
}
