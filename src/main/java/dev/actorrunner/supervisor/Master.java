package dev.actorrunner.supervisor;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.actorrunner.ActorRunner.Command;
import dev.actorrunner.ActorRunner.GetStatus;
import dev.actorrunner.ActorRunner.Reload;
import dev.actorrunner.ActorRunner.Scale;
import dev.actorrunner.ActorRunner.StopAll;
import dev.actorrunner.ActorRunner.Subscribe;
import dev.actorrunner.ActorRunner.Unsubscribe;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.RunnerStatus.State;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Router;
import dev.actorrunner.probe.ReadinessProbe;
import dev.actorrunner.process.ProcessLauncher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The runner: keeps {@code desired} workers ready and replaces them on Reload, one at a time.
 *
 * <p>Invariants: at most desired + 1 (surge) workers are active (starting or ready); only the
 * newest generation has a worker starting during a reload; a worker is in rotation only between
 * its Listening and the moment it is chosen to stop; with the surge strategy the number of ready
 * workers never drops below desired because of a reload; one reload runs at a time, and Reloads
 * that arrive meanwhile are coalesced into one more.
 *
 * <p>The protocol keeps the Node ancestor's steps: Reload queues the current workers;
 * Listening(new) triggers StopNext; the stopped worker's Disconnected triggers ForkMissing; a
 * Kill timer (in {@link Worker}) follows every SIGTERM.
 *
 * <p>Every log line carries an event name ({@link EventLog}); a reload logs one line per step
 * ({@code reload.progress}) and one at its end with the duration and the workers replaced.
 */
public final class Master extends AbstractBehavior<Command> {

    private record WrappedWorkerEvent(Worker.Event event) implements Command {}

    /** Backoff timer after a crash: fork what is missing again. */
    private enum ForkMissing implements Command { INSTANCE }

    /** A worker stayed up for backoff-reset: the crash backoff starts over. */
    private record Stable(int workerId) implements Command {}

    /** A new worker of a reload stayed ready for reload-settle: an old one may stop for it. */
    private record Settled(int workerId) implements Command {}

    private record SubscriberTerminated(ActorRef<RunnerEvent> subscriber) implements Command {}

    /** The front could not connect to a worker it had in rotation (and tried another). */
    private record ConnectFailed(int workerId) implements Command {}

    /** A runner without a public port (tests, embedding behind a front of the host's own). */
    public static Behavior<Command> create(RunnerSettings settings,
                                           Function<RunnerSettings.PortRange, ProcessLauncher> launcher,
                                           ReadinessProbe probe,
                                           Collection<ActorRef<RunnerEvent>> subscribers) {
        return create(settings, launcher, probe, subscribers, s -> Router.NONE);
    }

    /**
     * A runner whose launcher and router are built once the actor starts (and closed when it
     * stops); {@code subscribers} receive events from the very first one on.
     */
    public static Behavior<Command> create(RunnerSettings settings,
                                           Function<RunnerSettings.PortRange, ProcessLauncher> launcher,
                                           ReadinessProbe probe,
                                           Collection<ActorRef<RunnerEvent>> subscribers,
                                           Function<RunnerSettings, Router> router) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new Master(context, timers, settings, launcher.apply(settings.workerPorts()), probe,
                        subscribers, router.apply(settings))));
    }

    private final TimerScheduler<Command> timers;
    private final RunnerSettings settings;
    private final ProcessLauncher launcher;
    private final Router router;
    /** New workers of the running reload that are ready but not yet settled (reload-settle). */
    private final Set<Integer> settling = new HashSet<>();
    private final ReadinessProbe probe;
    private final ActorRef<Worker.Event> events;
    private final Workers workers = new Workers();
    private final Set<ActorRef<RunnerEvent>> subscribers = new HashSet<>();
    private final Restarts restarts;
    private final Reloads reloads;
    private final EventLog log;
    private final Instant startedAt = Instant.now();
    private int desired;
    private int nextId;
    private Optional<RunnerEvent.Stopped.Reason> stopping = Optional.empty();

    private Master(ActorContext<Command> context, TimerScheduler<Command> timers,
                   RunnerSettings settings, ProcessLauncher launcher, ReadinessProbe probe,
                   Collection<ActorRef<RunnerEvent>> initialSubscribers, Router router) {
        super(context);
        this.timers = timers;
        this.settings = settings;
        this.launcher = launcher;
        this.router = router;
        this.probe = probe;
        this.events = context.messageAdapter(Worker.Event.class, WrappedWorkerEvent::new);
        this.restarts = new Restarts(settings.backoffMin(), settings.backoffMax(), settings.bootFailureLimit());
        this.reloads = new Reloads();
        this.log = new EventLog(context, Master.class);
        this.desired = settings.workers();
        initialSubscribers.forEach(this::subscribe);
        ActorRef<Command> self = context.getSelf();
        router.onConnectFailed(id -> self.tell(new ConnectFailed(id)));
        log.info("runner.starting", "starting {} worker(s) of {}, reload strategy {}", desired,
                settings.appName(), settings.reloadStrategy().setting());
        forkMissing();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Reload.INSTANCE, this::onReload)
                .onMessageEquals(StopAll.INSTANCE, this::onStopAll)
                .onMessage(Scale.class, this::onScale)
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(Subscribe.class, this::onSubscribe)
                .onMessage(Unsubscribe.class, m -> { subscribers.remove(m.subscriber()); return this; })
                .onMessage(SubscriberTerminated.class, m -> { subscribers.remove(m.subscriber()); return this; })
                .onMessage(WrappedWorkerEvent.class, this::onWorkerEvent)
                .onMessageEquals(ForkMissing.INSTANCE, () -> { forkMissing(); return this; })
                .onMessage(Stable.class, this::onStable)
                .onMessage(Settled.class, this::onSettled)
                .onMessage(ConnectFailed.class, this::onConnectFailed)
                .onSignal(PostStop.class, s -> onPostStop())
                .build();
    }

    // ---- requests ----

    private Behavior<Command> onReload() {
        if (stopping.isPresent()) return this;
        if (reloads.running()) {
            // Any number of requests during a reload is one more reload: log the first only, or a
            // burst of signals would be a burst of identical lines.
            if (!reloads.queued()) {
                log.info("reload.queued", "reload requested during reload {}: one more will follow",
                        reloads.generation());
            }
            reloads.queueAnother();
            return this;
        }
        startReload();
        return this;
    }

    private void startReload() {
        int generation = reloads.start(workers.active());
        log.info("reload.started", "reload {} started: replacing {} worker(s), {}", generation,
                reloads.remaining(), settings.reloadStrategy().setting());
        publish(new RunnerEvent.ReloadStarted(generation));
        stopNext();
        forkMissing();
        completeReloadIfDone();
    }

    private Behavior<Command> onStopAll() {
        if (stopping.isPresent()) {
            log.warn("stop.kill", "second stop request: killing {} worker(s) now", workers.size());
            workers.all().forEach(w -> w.ref.tell(Worker.KillNow.INSTANCE));
            return this;
        }
        return stopAll(RunnerEvent.Stopped.Reason.REQUESTED);
    }

    private Behavior<Command> stopAll(RunnerEvent.Stopped.Reason reason) {
        stopping = Optional.of(reason);
        timers.cancel(ForkMissing.INSTANCE);
        reloads.abort("the runner is stopping");
        router.stopAccepting();
        log.info("stop.started", "stopping {} worker(s), SIGKILL after {}", workers.size(),
                Human.duration(settings.killTimeout()));
        workers.all().stream().filter(w -> w.state != State.STOPPING).toList().forEach(this::retire);
        return finishIfStopped();
    }

    private Behavior<Command> onScale(Scale m) {
        if (stopping.isPresent()) return this;
        int target = Plan.scaled(desired, m.relative(), m.amount());
        log.info("scale", "scale from {} to {} worker(s)", desired, target);
        desired = target;
        // Counted again after each stop: taking the last queued old worker ends the reload's surge,
        // and the worker it allowed is then one too many.
        while (Plan.surplus(desired, surge(), workers.active().size()) > 0) {
            retire(reloads.scaleDownVictim(workers));
        }
        forkMissing();
        completeReloadIfDone();
        return this;
    }

    private Behavior<Command> onGetStatus(GetStatus m) {
        m.replyTo().tell(new RunnerStatus(settings.appName(), desired, reloads.generation(),
                reloads.running(), stopping.isPresent(), restarts.crashes(), workers.snapshot(router::openConnections),
                startedAt, reloads.progress(), reloads.queued(), reloads.last(), reloads.totals()));
        return this;
    }

    private Behavior<Command> onSubscribe(Subscribe m) {
        subscribe(m.subscriber());
        return this;
    }

    private void subscribe(ActorRef<RunnerEvent> subscriber) {
        if (subscribers.add(subscriber)) {
            getContext().watchWith(subscriber, new SubscriberTerminated(subscriber));
        }
    }

    // ---- worker events ----

    private Behavior<Command> onWorkerEvent(WrappedWorkerEvent wrapped) {
        Entry w = workers.get(wrapped.event().workerId());
        if (w == null) return this;
        Worker.Event event = wrapped.event();
        if (event instanceof Worker.Started e) return onStarted(w, e);
        if (event instanceof Worker.Listening) return onListening(w);
        if (event instanceof Worker.Terminating e) return onTerminating(w, e);
        return onExited(w, (Worker.Exited) event);
    }

    private Behavior<Command> onStarted(Entry w, Worker.Started e) {
        w.pid = e.pid();
        w.port = e.port();
        w.startedAt = Instant.now();
        log.info("worker.started", w, "{} started on 127.0.0.1:{}", w, w.port);
        publish(new RunnerEvent.WorkerStarted(w.id, w.generation, w.pid, w.port));
        return this;
    }

    // Listening -> StopNext: a new worker is ready, so an old one may leave.
    private Behavior<Command> onListening(Entry w) {
        if (w.state != State.STARTING) return this;
        workers.setState(w, State.READY);
        publishRoutes();
        restarts.ready();
        timers.startSingleTimer(new Stable(w.id), new Stable(w.id), settings.backoffReset());
        log.info("worker.listening", w, "{} listening on 127.0.0.1:{} ({} of {} ready)", w, w.port,
                workers.count(State.READY), desired);
        publish(new RunnerEvent.WorkerListening(w.id, w.generation, w.pid, w.port));
        if (reloads.includes(w) && !settings.reloadSettle().isZero()) {
            settle(w);
        } else {
            stopNextFor(w, "ready in");
        }
        return this;
    }

    /** A new worker of the reload serves meanwhile; an old worker stops for it only if it is still up by then. */
    private void settle(Entry w) {
        settling.add(w.id);
        timers.startSingleTimer(new Settled(w.id), new Settled(w.id), settings.reloadSettle());
        log.info("reload.settling", w, "reload {}: worker {} ready in {}, settling for {}", reloads.generation(),
                w.id, Human.duration(w.age()), Human.duration(settings.reloadSettle()));
    }

    // Settled -> StopNext: the new worker stayed up through reload-settle.
    private Behavior<Command> onSettled(Settled m) {
        Entry w = workers.get(m.workerId());
        if (!settling.remove(m.workerId()) || w == null || w.state != State.READY) return this;
        stopNextFor(w, "settled, up");
        return this;
    }

    /** StopNext now that {@code w} counts as ready; a step of the reload if it is one of its workers. */
    private void stopNextFor(Entry w, String how) {
        boolean ofTheReload = reloads.includes(w);
        List<Entry> retired = stopNext();
        if (ofTheReload) logProgress(w, how, retired);
        completeReloadIfDone();
    }

    private Behavior<Command> onExited(Entry w, Worker.Exited e) {
        boolean wasRouted = w.state == State.READY;
        workers.remove(w);
        router.forget(w.id);
        if (wasRouted) publishRoutes();
        timers.cancel(new Stable(w.id));
        if (settling.remove(w.id)) timers.cancel(new Settled(w.id));
        boolean expected = e.cause() == Worker.Cause.STOPPED;
        publish(new RunnerEvent.WorkerExited(w.id, w.generation, w.pid, e.status().code(), e.reason(),
                expected));
        if (expected) {
            log.info("worker.exited", w, "{} exited after stop: {}", w, e.reason());
            return finishIfStopped();
        }
        Wording.Line line = Wording.crashed(e);
        log.at(line.level(), "worker.crashed", w, line.format(), w, describe(e));
        return stopping.isPresent() ? finishIfStopped() : crashed(w, e);
    }

    /** A worker we did not stop is gone: a reload it was new in is aborted; replaced, unless the app never boots. */
    private Behavior<Command> crashed(Entry w, Worker.Exited e) {
        boolean bootFailed = restarts.crashed(w.restarts);
        reloads.forget(w.id);
        boolean ofTheReload = reloads.includes(w);
        // The backoff first: a reload queued behind the aborted one starts at once, and its forks
        // must wait for the timer like any replacement, or a queue of bad deploys would crash-loop.
        if (!bootFailed) replaceAfterBackoff(w);
        if (ofTheReload) abortReload(w + " " + describe(e));
        if (bootFailed) {
            String reason = Wording.bootFailed(restarts.bootFailures(), describe(e));
            log.error("boot.failed", "boot failed: {}; stopping", reason);
            publish(new RunnerEvent.BootFailed(reason));
            return stopAll(RunnerEvent.Stopped.Reason.BOOT_FAILED);
        }
        return this;
    }

    /** Disconnected -> ForkMissing, after the backoff so a crash loop cannot eat the machine. */
    private void replaceAfterBackoff(Entry w) {
        Duration delay = restarts.nextDelay();
        if (timers.isTimerActive(ForkMissing.INSTANCE)) {
            // A replacement is already due: it forks every missing worker, this one too. Restarting
            // the timer would postpone it, and a crash every few seconds would starve the runner.
            log.warn("worker.backoff", w, "replacing {} with the replacement already due (failure {} in a row)",
                    w, restarts.failuresInRow());
        } else {
            log.warn("worker.backoff", w, "replacing {} in {} (failure {} in a row)", w, Human.duration(delay),
                    restarts.failuresInRow());
            timers.startSingleTimer(ForkMissing.INSTANCE, delay);
        }
    }

    private Behavior<Command> onStable(Stable m) {
        if (workers.get(m.workerId()) != null && restarts.stable()) {
            log.info("worker.stable", "worker {} up for {}: crash backoff reset", m.workerId(),
                    Human.duration(settings.backoffReset()));
        }
        return this;
    }

    // ---- the protocol steps ----

    /** ForkMissing: start workers until desired (+1 during a surge reload) are active. */
    private void forkMissing() {
        if (stopping.isPresent() || timers.isTimerActive(ForkMissing.INSTANCE)) return;
        int missing = Plan.missing(desired, surge(), workers.active().size());
        for (int i = 0; i < missing; i++) fork();
        restarts.forkedAll();
    }

    private void fork() {
        int id = ++nextId;
        int generation = reloads.generation();
        ActorRef<Worker.Command> ref = getContext().spawn(Worker.create(WorkerSpecs.launch(settings, id, generation),
                launcher, probe, WorkerSpecs.timing(settings), events), "worker-" + id);
        workers.add(new Entry(id, generation, ref, restarts.nextFork()));
    }

    /** StopNext: during a reload, retire queued old workers while the strategy allows it. */
    private List<Entry> stopNext() {
        List<Entry> retired = new ArrayList<>(1);
        while (reloads.running() && Plan.mayStopNext(settings.reloadStrategy(), desired,
                workers.count(State.READY), workers.count(State.STARTING), settling.size())) {
            Optional<Entry> next = reloads.pollNext(workers);
            if (next.isEmpty()) break;
            retire(next.get());
            retired.add(next.get());
        }
        return retired;
    }

    /** One line per reload step: "reload 3: worker 5 ready in 2.1s, draining worker 2 (1 of 2 replaced)". */
    private void logProgress(Entry ready, String how, List<Entry> retired) {
        RunnerStatus.ReloadProgress p = reloads.progress().orElseThrow();
        log.info("reload.progress", ready, "reload {}: worker {} {} {}{} ({} of {} replaced)", p.generation(),
                ready.id, how, Human.duration(ready.age()), Wording.draining(retired), p.replaced(), p.toReplace());
    }

    /**
     * Takes a worker out of rotation at once and stops it: a ready one drains its connections
     * first, then gets SIGTERM. It is Disconnected at once: it no longer counts toward capacity.
     */
    private void retire(Entry w) {
        if (settling.remove(w.id)) timers.cancel(new Settled(w.id));
        boolean wasRouted = w.state == State.READY;
        workers.setState(w, wasRouted ? State.DRAINING : State.STOPPING);
        if (wasRouted) publishRoutes();
        // Said before anything reaches the worker, so whoever reads the log never sees the stop first.
        if (wasRouted) {
            log.info("worker.draining", w, "{} leaves rotation: draining {} connection(s)", w,
                    router.openConnections(w.id));
        } else {
            log.info("worker.stopping", w, "{} leaves rotation: SIGTERM", w);
        }
        publish(new RunnerEvent.WorkerDraining(w.id, w.generation, w.pid));
        w.ref.tell(new Worker.Stop(router.drain(w.id)));
        disconnected();
    }

    private Behavior<Command> onTerminating(Entry w, Worker.Terminating e) {
        workers.setState(w, State.STOPPING);
        if (e.timedOut()) {
            log.warn("worker.drain-timeout", w, "{} still has {} connection(s) after {}: SIGTERM", w,
                    router.openConnections(w.id), Human.duration(settings.drainTimeout()));
        } else {
            log.info("worker.drained", w, "{} drained: SIGTERM", w);
        }
        return this;
    }

    private void publishRoutes() {
        router.publish(workers.routes());
    }

    private Behavior<Command> onConnectFailed(ConnectFailed m) {
        Entry w = workers.get(m.workerId());
        if (w != null && w.firstRefusal()) {
            log.warn("worker.refused", w, "{} refused a connection; the front retried another worker", w);
        }
        return this;
    }

    private Behavior<Command> onPostStop() {
        router.close();
        launcher.close();
        return this;
    }

    /** Disconnected -> ForkMissing: a worker no longer counts toward capacity. */
    private void disconnected() {
        forkMissing();
    }

    private void completeReloadIfDone() {
        if (!reloads.done(workers, desired, settling.size())) return;
        Duration took = reloads.complete();
        log.info("reload.completed", "reload {} completed in {}: {} worker(s) replaced, {} ready",
                reloads.generation(), Human.duration(took), reloads.replaced(), workers.count(State.READY));
        publish(new RunnerEvent.ReloadCompleted(reloads.generation(), took));
        if (reloads.takeQueued()) startReload();
    }

    private void abortReload(String reason) {
        settling.forEach(id -> timers.cancel(new Settled(id)));
        settling.clear();
        reloads.abort(reason);
        log.error("reload.aborted", "reload {} aborted after {}: {}; {} worker(s) replaced, the other workers keep serving",
                reloads.generation(), Human.duration(reloads.elapsed()), reason, reloads.replaced());
        publish(new RunnerEvent.ReloadAborted(reloads.generation(), reason));
        if (reloads.takeQueued()) startReload();
    }

    private Behavior<Command> finishIfStopped() {
        if (stopping.isEmpty() || workers.size() > 0) return this;
        log.info("runner.stopped", "all workers stopped");
        publish(new RunnerEvent.Stopped(stopping.get()));
        return Behaviors.stopped();
    }

    // ---- helpers ----

    private int surge() {
        return Plan.surge(settings.reloadStrategy(), reloads.running() && reloads.remaining() > 0);
    }

    private void publish(RunnerEvent event) {
        subscribers.forEach(s -> s.tell(event));
    }

    private String describe(Worker.Exited e) {
        return Wording.exit(e, settings.readyTimeout());
    }
}
