package dev.actorrunner;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.actorrunner.ActorRunner.Command;
import dev.actorrunner.ActorRunner.GetStatus;
import dev.actorrunner.ActorRunner.Reload;
import dev.actorrunner.ActorRunner.Scale;
import dev.actorrunner.ActorRunner.StopAll;
import dev.actorrunner.RunnerEvent.ReloadStep;
import dev.actorrunner.RunnerEvent.Stopped;
import dev.actorrunner.config.InvalidSettingsException;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Router;
import dev.actorrunner.probe.HealthProbe;
import dev.actorrunner.probe.ReadinessProbe;
import dev.actorrunner.process.AppJar;
import dev.actorrunner.process.ProcessLauncher;
import dev.actorrunner.supervisor.Entry;
import dev.actorrunner.supervisor.EventLog;
import dev.actorrunner.supervisor.Plan;
import dev.actorrunner.supervisor.Recycling;
import dev.actorrunner.supervisor.Restarts;
import dev.actorrunner.supervisor.Rollout;
import dev.actorrunner.supervisor.Worker;
import dev.actorrunner.supervisor.WorkerSpecs;
import dev.actorrunner.supervisor.WorkerState;
import dev.actorrunner.supervisor.Workers;
import dev.actorrunner.supervisor.Wording;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The runner actor: keeps {@code desired} workers ready and replaces them on Reload, one at a time.
 * It carries out what the pure classes of {@code supervisor} decide ({@link Plan}, {@link Rollout},
 * {@link Restarts}): it forks and retires workers, runs the timers, logs and publishes.
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
 */
final class Master {

    /** The runner's own messages: its timers and what its workers and subscribers tell it. */
    sealed interface Private extends Command {}

    private record WorkerEvent(Worker.Event event) implements Private {}

    /** Backoff timer after a crash: fork what is missing again. */
    private enum ForkMissing implements Private { INSTANCE }

    /** A worker stayed up for backoff-reset: the crash backoff starts over. */
    private record Stable(int workerId) implements Private {}

    /** A new worker of a reload stayed ready for reload-settle: an old one may stop for it. */
    private record Settled(int workerId) implements Private {}

    private record SubscriberGone(ActorRef<RunnerEvent> subscriber) implements Private {}

    /** The front could not connect to a worker it had in rotation (and tried another). */
    private record ConnectFailed(int workerId) implements Private {}

    /** The front's requests to a worker failed health-failures times in a row (passive checks). */
    private record Unresponsive(int workerId, String reason) implements Private {}

    /**
     * What a Reload asked for, read off the runner's thread: the settings (null: those read last)
     * and the app jar they run, or the failure that refuses the reload. {@code request} numbers
     * the Reloads in their order of arrival.
     */
    private record Prepared(ActorRef<ActorRunner.ReloadReply> replyTo, long request, Read read, Throwable failure)
            implements Private {}

    /** A reload's settings as read (null: those read last) and the app jar they run, hashed. */
    private record Read(RunnerSettings settings, Optional<AppJar> jar) {}

    /** The first generation's app jar, hashed after its workers were forked. */
    private record Hashed(Optional<AppJar> jar) implements Private {}

    /**
     * A runner whose launcher and router are built once the actor starts (and closed when it
     * stops); {@code subscribers} receive events from the very first one on.
     */
    static Behavior<Command> create(RunnerSettings settings,
                                    Function<RunnerSettings.PortRange, ProcessLauncher> launcher,
                                    ReadinessProbe probe, Collection<ActorRef<RunnerEvent>> subscribers,
                                    Function<RunnerSettings, Router> router) {
        return create(settings, launcher, probe, null, subscribers, router);
    }

    /** @param health the liveness check of ready workers; null for none */
    static Behavior<Command> create(RunnerSettings settings,
                                    Function<RunnerSettings.PortRange, ProcessLauncher> launcher,
                                    ReadinessProbe probe, HealthProbe health,
                                    Collection<ActorRef<RunnerEvent>> subscribers,
                                    Function<RunnerSettings, Router> router) {
        return perGeneration(settings, launcher, s -> probe, s -> health, subscribers, router);
    }

    /**
     * @param probe  the readiness probe for a generation's settings
     * @param health the liveness check for a generation's settings; null for none
     */
    static Behavior<Command> perGeneration(RunnerSettings settings,
                                    Function<RunnerSettings.PortRange, ProcessLauncher> launcher,
                                    Function<RunnerSettings, ReadinessProbe> probe,
                                    Function<RunnerSettings, HealthProbe> health,
                                    Collection<ActorRef<RunnerEvent>> subscribers,
                                    Function<RunnerSettings, Router> router) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new Master(context, timers, settings, launcher.apply(settings.workerPorts()), probe, health,
                        subscribers, router.apply(settings)).running()));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final Function<RunnerSettings, ReadinessProbe> probes;
    private final Function<RunnerSettings, HealthProbe> healthProbes;
    private final Generations generations = new Generations();
    /** The newest generation's settings: what every fork from now on runs with. */
    private RunnerSettings settings;
    private Roster.Spec spec;
    /** What the next reload runs with: the reads the Reloads brought, and the restart-only settings of the start. */
    private final ReloadSettings reloads;
    private final ProcessLauncher launcher;
    private final Router router;
    private final Roster roster;
    private final Workers workers;
    private final Subscribers subscribers;
    private final Announcer announce;
    private final Restarts restarts;
    private final Rollout rollout;
    private final Recycling recycling = new Recycling();
    private final ReloadHistory history = new ReloadHistory();
    private final Instant startedAt = Instant.now();
    private int desired;

    private Master(ActorContext<Command> context, TimerScheduler<Command> timers, RunnerSettings settings,
                   ProcessLauncher launcher, Function<RunnerSettings, ReadinessProbe> probes,
                   Function<RunnerSettings, HealthProbe> healthProbes,
                   Collection<ActorRef<RunnerEvent>> initialSubscribers, Router router) {
        this.context = context;
        this.timers = timers;
        this.settings = settings;
        this.reloads = new ReloadSettings(settings);
        this.probes = probes;
        this.healthProbes = healthProbes;
        this.spec = spec(settings);
        this.launcher = launcher;
        this.router = router;
        this.subscribers = new Subscribers(context, SubscriberGone::new);
        this.restarts = new Restarts(settings.backoffMin(), settings.backoffMax(), settings.bootFailureLimit());
        // A new worker of a reload settles through its slow-start ramp too: the old one it replaces
        // keeps its share until the new one takes a full share, so capacity never dips.
        this.rollout = new Rollout(settings.reloadStrategy(), max(settings.reloadSettle(), settings.slowStart()),
                System::nanoTime);
        this.announce = new Announcer(new EventLog(context, Master.class), subscribers);
        this.roster = new Roster(context, launcher, context.messageAdapter(Worker.Event.class, WorkerEvent::new),
                router, announce);
        this.workers = roster.table();
        this.desired = settings.workers();
        initialSubscribers.forEach(subscribers::add);
        ActorRef<Command> self = context.getSelf();
        router.onConnectFailed(id -> self.tell(new ConnectFailed(id)));
        router.onUnresponsive((id, why) -> self.tell(new Unresponsive(id, why)));
        router.slowStart(settings.slowStart());
        announce.starting(desired, settings.appName(), settings.reloadStrategy().setting());
        generations.began(1, settings.appName(), Optional.empty());
        forkMissing();
        // Hashed after the forks, off this thread: the start does not wait for a big jar's bytes.
        context.pipeToSelf(AppJar.of(settings.command()), (jar, failure) -> new Hashed(jar == null ? Optional.empty() : jar));
    }

    // Running: keeps the desired number of workers ready; reloads and scales.
    private Behavior<Command> running() {
        return always(false)
                .onMessage(Reload.class, this::onReload)
                .onMessage(StopAll.class, m -> stop(m.replyTo(), Stopped.Reason.REQUESTED))
                .onMessage(Scale.class, this::onScale)
                .onMessage(WorkerEvent.class, this::onWorkerEvent)
                .onMessageEquals(ForkMissing.INSTANCE, this::onForkMissing)
                .onMessage(Stable.class, this::onStable)
                .onMessage(Settled.class, this::onSettled)
                .onMessage(ConnectFailed.class, this::onConnectFailed)
                .onMessage(Unresponsive.class, this::onUnresponsive)
                .onMessage(Prepared.class, this::onPrepared)
                .build();
    }

    // Stopping: every worker was told to stop and nothing new starts; the last exit ends the runner.
    private Behavior<Command> stopping(Stopped.Reason reason) {
        return always(true)
                .onMessage(Reload.class, m -> refused(m.replyTo()))
                .onMessage(Prepared.class, m -> refused(m.replyTo()))
                .onMessage(StopAll.class, this::killAll)
                .onMessage(Scale.class, m -> refused(m.replyTo()))
                .onMessage(WorkerEvent.class, m -> onWorkerEventWhileStopping(m, reason))
                .onAnyMessage(timerOrFront -> Behaviors.same())
                .build();
    }

    /** What the runner answers in every state. */
    private BehaviorBuilder<Command> always(boolean stopping) {
        return Behaviors.receive(Command.class)
                .onMessage(GetStatus.class, m -> onGetStatus(m, stopping))
                .onMessage(ActorRunner.Subscribe.class, m -> keep(() -> subscribers.add(m.subscriber())))
                .onMessage(ActorRunner.Unsubscribe.class, m -> keep(() -> subscribers.remove(m.subscriber())))
                .onMessage(SubscriberGone.class, m -> keep(() -> subscribers.remove(m.subscriber())))
                .onMessage(Hashed.class, m -> keep(() -> announce.firstApp(generations.hashed(1, m.jar()))))
                .onSignal(PostStop.class, s -> onPostStop());
    }

    // ---- requests ----

    /**
     * Reload: first its settings and the app jar they run are read, off this thread (at once when
     * both are at hand); then {@link #onPrepared} starts the reload, queues it, or refuses it.
     */
    private Behavior<Command> onReload(Reload m) {
        long request = reloads.request();
        CompletionStage<RunnerSettings> read = m.settings() == null
                ? CompletableFuture.completedFuture(null) : m.settings();
        RunnerSettings same = reloads.lastRead(); // read here: the stage below may complete on another thread
        CompletableFuture<Read> next = read.thenCompose(s -> AppJar.of((s == null ? same : s).command())
                .thenApply(jar -> new Read(s, jar))).toCompletableFuture();
        if (next.isDone()) {
            // Already complete: handle() runs here and now, so a reload with settings at hand
            // starts in this very message, as one with the same settings always did.
            return onPrepared(next.handle((n, failure) -> new Prepared(m.replyTo(), request, n, failure)).getNow(null));
        }
        context.pipeToSelf(next, (n, failure) -> new Prepared(m.replyTo(), request, n, failure));
        return Behaviors.same();
    }

    private Behavior<Command> onPrepared(Prepared m) {
        if (m.failure() != null) return refuseReload(m.replyTo(), m.failure());
        reloads.read(m.request(), m.read().settings(), m.read().jar());
        if (!rollout.running()) return keep(() -> startReload(m.replyTo()));
        // Any number of requests during a reload is one more reload: log the first only, or a
        // burst of signals would be a burst of identical lines.
        if (!rollout.queued()) announce.reloadQueued(rollout.generation());
        rollout.queueAnother();
        reply(m.replyTo(), new ActorRunner.ReloadAccepted(rollout.generation() + 1, true, 0));
        return Behaviors.same();
    }

    /** The settings could not be read: nothing starts, the workers serve on. */
    private Behavior<Command> refuseReload(ActorRef<ActorRunner.ReloadReply> replyTo, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        List<String> problems = cause instanceof InvalidSettingsException invalid ? invalid.problems()
                : List.of("cannot read the settings: " + cause);
        // The event first: a reload --wait that asked stops once answered, and must not miss it.
        announce.reloadRefused(problems);
        reply(replyTo, new ActorRunner.ReloadRefused(problems));
        return Behaviors.same();
    }

    /** Starts the reload to the newest settings read (or queued reload: those read by then). */
    private void startReload(ActorRef<ActorRunner.ReloadReply> replyTo) {
        ReloadSettings.Next next = reloads.take(settings, desired);
        int count = next.settings().workers();
        announce.restartOnly(next.restartOnly());
        use(next.settings());
        if (count < desired) {
            // Fewer workers: the surplus leaves first, as a scale down would; the rest are replaced.
            desired = count;
            while (Plan.surplus(desired, surge(), workers.active().size()) > 0) retire(rollout.scaleDownVictim(workers));
        }
        int generation = rollout.start(workers.active());
        desired = count;
        generations.began(generation, settings.appName(), next.jar());
        recycling.reloadStarted();
        history.started();
        // The answer before the events: whoever asked learns which reload the events are about.
        reply(replyTo, new ActorRunner.ReloadAccepted(generation, false, rollout.toReplace()));
        announce.reloadStarted(generation, rollout.toReplace(), settings.reloadStrategy().setting(), next.changes(),
                generations.jar(generation));
        List<Entry> first = stopNext(); // stop-first: an old worker leaves before its replacement starts
        if (!first.isEmpty()) step(ReloadStep.Kind.DRAINING, null, first);
        forkMissing();
        checkReload();
    }

    /** From now on every fork, timer and reload runs with {@code next}. */
    private void use(RunnerSettings next) {
        settings = next;
        spec = spec(next);
        restarts.use(next.backoffMin(), next.backoffMax(), next.bootFailureLimit());
        rollout.use(next.reloadStrategy(), max(next.reloadSettle(), next.slowStart()));
        router.slowStart(next.slowStart());
    }

    private Roster.Spec spec(RunnerSettings s) {
        return new Roster.Spec(s, probes.apply(s), WorkerSpecs.watch(s, healthProbes.apply(s)));
    }

    private Behavior<Command> stop(ActorRef<ActorRunner.StopAccepted> replyTo, Stopped.Reason reason) {
        timers.cancel(ForkMissing.INSTANCE);
        if (rollout.abort()) history.aborted(rollout, "the runner is stopping");
        router.stopAccepting();
        reply(replyTo, new ActorRunner.StopAccepted(workers.size(), false));
        announce.stopping(workers.size(), settings.killTimeout());
        workers.all().stream().filter(w -> w.state() != WorkerState.STOPPING).forEach(this::retire);
        return workers.size() > 0 ? stopping(reason) : stopped(reason);
    }

    /** A second StopAll: the workers still alive are killed now. */
    private Behavior<Command> killAll(StopAll m) {
        announce.killingAll(workers.size());
        workers.all().forEach(w -> w.ref.tell(Worker.KillNow.INSTANCE));
        reply(m.replyTo(), new ActorRunner.StopAccepted(workers.size(), true));
        return Behaviors.same();
    }

    private Behavior<Command> onScale(Scale m) {
        int from = desired;
        desired = Plan.scaled(desired, m.relative(), m.amount());
        announce.scaled(from, desired);
        // Counted again after each stop: taking the last queued old worker ends the reload's surge,
        // and the worker it allowed is then one too many.
        while (Plan.surplus(desired, surge(), workers.active().size()) > 0) {
            retire(rollout.scaleDownVictim(workers));
        }
        forkMissing();
        checkReload();
        reply(m.replyTo(), new ActorRunner.ScaleAccepted(from, desired));
        return Behaviors.same();
    }

    private Behavior<Command> refused(ActorRef<? super ActorRunner.Refused> replyTo) {
        reply(replyTo, new ActorRunner.Refused("the runner is stopping"));
        return Behaviors.same();
    }

    private Behavior<Command> onGetStatus(GetStatus m, boolean stopping) {
        m.replyTo().tell(new RunnerStatus(settings.appName(), desired, rollout.generation(), rollout.running(),
                stopping, restarts.crashes(), roster.snapshot(), startedAt, ReloadHistory.progress(rollout), rollout.queued(),
                history.last(), history.totals(), generations.snapshot(workers, rollout.generation())));
        return Behaviors.same();
    }

    // ---- worker events ----

    private Behavior<Command> onWorkerEvent(WorkerEvent m) {
        Entry w = workers.get(m.event().workerId());
        if (w == null) return Behaviors.same();
        if (m.event() instanceof Worker.Started e) return keep(() -> roster.started(w, e));
        if (m.event() instanceof Worker.Listening) return onListening(w);
        if (m.event() instanceof Worker.Terminating e) return keep(() -> roster.terminating(w, e, settings.drainTimeout()));
        if (m.event() instanceof Worker.Unhealthy e) return onUnhealthy(w, e.reason());
        if (m.event() instanceof Worker.Due e) return keep(() -> due(w, e.reason()));
        return onExited(w, (Worker.Exited) m.event());
    }

    private Behavior<Command> onWorkerEventWhileStopping(WorkerEvent m, Stopped.Reason reason) {
        Entry w = workers.get(m.event().workerId());
        if (w == null) return Behaviors.same();
        if (m.event() instanceof Worker.Started e) roster.started(w, e);
        if (m.event() instanceof Worker.Terminating e) roster.terminating(w, e, settings.drainTimeout());
        if (!(m.event() instanceof Worker.Exited e)) return Behaviors.same();
        exited(w, e);
        return workers.size() > 0 ? Behaviors.same() : stopped(reason);
    }

    // Listening -> StopNext: a new worker is ready, so an old one may leave.
    private Behavior<Command> onListening(Entry w) {
        if (w.state() != WorkerState.STARTING) return Behaviors.same();
        roster.ready(w, desired);
        restarts.ready();
        timers.startSingleTimer(new Stable(w.id), settings.backoffReset());
        Optional<Duration> settle = rollout.settleFor(w);
        if (settle.isEmpty()) return keep(() -> stopNextFor(w, ReloadStep.Kind.READY));
        // It serves meanwhile; an old worker stops for it only if it is still up by then.
        timers.startSingleTimer(new Settled(w.id), settle.get());
        step(ReloadStep.Kind.SETTLING, w, List.of());
        return Behaviors.same();
    }

    // Settled -> StopNext: the new worker stayed up through reload-settle.
    private Behavior<Command> onSettled(Settled m) {
        Entry w = workers.get(m.workerId());
        if (!rollout.settled(m.workerId()) || w == null || w.state() != WorkerState.READY) return Behaviors.same();
        stopNextFor(w, ReloadStep.Kind.SETTLED);
        return Behaviors.same();
    }

    /** StopNext now that {@code w} counts as ready; a step of the reload if it is one of its workers. */
    private void stopNextFor(Entry w, ReloadStep.Kind kind) {
        boolean ofTheReload = rollout.brings(w);
        List<Entry> retired = stopNext();
        if (ofTheReload) step(kind, w, retired);
        recycling.stopNext(workers, desired).ifPresent(this::retire);
        forkMissing();
        checkReload();
        recycle();
    }

    /** Passive checks: the front's requests to it keep failing. Its own check, now, decides. */
    private Behavior<Command> onUnresponsive(Unresponsive m) {
        Entry w = workers.get(m.workerId());
        if (w != null && w.state() == WorkerState.READY) w.ref.tell(new Worker.Confirm(m.reason()));
        return Behaviors.same();
    }

    /**
     * A ready worker failed its checks (active, or confirming what the front saw): out of rotation at
     * once, dumped and stopped. A worker that had served for backoff-reset is replaced now; one that
     * failed sooner is a crash loop in the making (an app that dies or hangs soon after each start,
     * often seen by the front a moment before its exit is), so its replacement waits for the backoff
     * as a crashed worker's would. A new worker of a reload that fails so aborts the reload.
     */
    private Behavior<Command> onUnhealthy(Entry w, String reason) {
        if (w == null || w.state() != WorkerState.READY) return Behaviors.same();
        boolean ofTheReload = rollout.brings(w);
        boolean young = timers.isTimerActive(new Stable(w.id));
        rollout.left(w.id);
        recycling.left(w.id);
        roster.retireUnhealthy(w, reason);
        if (young) {
            restarts.replacing(w.restarts);
            replaceAfterBackoff(w);
        }
        if (ofTheReload) abortReload(w + " unhealthy: " + reason);
        forkMissing();
        checkReload();
        return Behaviors.same();
    }

    /** Recycling: {@code w} reached a limit; it is replaced in its turn. */
    private void due(Entry w, String reason) {
        announce.workerDue(w, reason);
        w.due(reason);
        recycling.due(w.id);
        recycle();
    }

    /** Starts the next recycling, if one is due and nothing else is being replaced. */
    private void recycle() {
        recycling.start(workers, rollout.running()).ifPresent(w -> {
            announce.workerRecycled(w, w.due());
            forkMissing();
        });
    }

    private Behavior<Command> onExited(Entry w, Worker.Exited e) {
        // One the runner had already let go of (draining, unhealthy, stopping) was replaced when it
        // was let go: if it dies on its own before its SIGTERM, that is no second failure to back
        // off for, nor a worker to replace again.
        boolean letGo = w.state() != WorkerState.STARTING && w.state() != WorkerState.READY;
        if (!exited(w, e) && !letGo) return crashed(w, e);
        checkReload();
        return Behaviors.same();
    }

    /** Forgets a worker whose process is gone and says so; true if the runner had asked it to stop. */
    private boolean exited(Entry w, Worker.Exited e) {
        recycling.left(w.id);
        roster.exited(w, e, describe(e));
        timers.cancel(new Stable(w.id));
        return e.cause() == Worker.Cause.STOPPED;
    }

    /** A worker we did not stop is gone: a reload it was new in is aborted; replaced, unless the app never boots. */
    private Behavior<Command> crashed(Entry w, Worker.Exited e) {
        boolean bootFailed = restarts.crashed(w.restarts);
        boolean ofTheReload = rollout.brings(w);
        rollout.left(w.id);
        // The backoff first: a reload queued behind the aborted one starts at once, and its forks
        // must wait for the timer like any replacement, or a queue of bad deploys would crash-loop.
        if (!bootFailed) replaceAfterBackoff(w);
        if (ofTheReload) abortReload(w + " " + describe(e));
        checkReload();
        if (!bootFailed) return Behaviors.same();
        announce.bootFailed(Wording.bootFailed(restarts.bootFailures(), describe(e)));
        return stop(null, Stopped.Reason.BOOT_FAILED);
    }

    /** Disconnected -> ForkMissing, after the backoff so a crash loop cannot eat the machine. */
    private void replaceAfterBackoff(Entry w) {
        Duration delay = restarts.nextDelay();
        // A replacement already due forks every missing worker, this one too. Restarting its timer
        // would postpone it, and a crash every few seconds would starve the runner.
        boolean due = timers.isTimerActive(ForkMissing.INSTANCE);
        announce.backoff(w, due ? null : delay, restarts.failuresInRow());
        if (!due) timers.startSingleTimer(ForkMissing.INSTANCE, delay);
    }

    private Behavior<Command> onStable(Stable m) {
        if (workers.get(m.workerId()) != null && restarts.stable()) announce.stable(m.workerId(), settings.backoffReset());
        return Behaviors.same();
    }

    private Behavior<Command> onConnectFailed(ConnectFailed m) {
        Entry w = workers.get(m.workerId());
        if (w != null && w.firstRefusal()) announce.refused(w);
        return Behaviors.same();
    }

    private Behavior<Command> onPostStop() {
        router.close();
        launcher.close();
        return Behaviors.same();
    }

    // ---- the protocol steps ----

    private Behavior<Command> onForkMissing() {
        forkMissing();
        return Behaviors.same();
    }

    /** ForkMissing: start workers until desired (+1 during a surge reload) are active, unless a backoff is due. */
    private void forkMissing() {
        if (timers.isTimerActive(ForkMissing.INSTANCE)) return;
        int missing = Plan.missing(desired, surge(), workers.active().size());
        for (int i = 0; i < missing; i++) roster.fork(rollout.generation(), restarts.nextFork(), spec);
        restarts.forkedAll();
    }

    /** StopNext: during a reload, retire the queued old workers the strategy lets go now. */
    private List<Entry> stopNext() {
        List<Entry> next = rollout.stopNext(workers, desired);
        next.forEach(this::retire);
        return next;
    }

    /** Out of rotation and told to stop; the caller forks what is missing (Disconnected -> ForkMissing). */
    private void retire(Entry w) {
        rollout.left(w.id);
        recycling.left(w.id);
        roster.retire(w);
    }

    /** One event and one line per reload step: "reload 3: worker 5 ready in 2.1s, draining worker 2 (1 of 2 replaced)". */
    private void step(ReloadStep.Kind kind, Entry w, List<Entry> retired) {
        ReloadStep step = new ReloadStep(rollout.generation(), kind, w == null ? 0 : w.id,
                w == null ? Duration.ZERO : w.age(),
                kind == ReloadStep.Kind.SETTLING ? rollout.settle() : Duration.ZERO,
                retired.stream().map(r -> r.id).toList(), rollout.replaced(), rollout.toReplace());
        announce.reloadStep(step, w);
    }

    /** After anything that may let the reload serve or complete: says so, and starts a queued reload. */
    private void checkReload() {
        int generation = rollout.generation();
        if (rollout.reachedServing(workers, desired)) {
            announce.reloadServing(generation, rollout.servingAfter().orElseThrow(), workers.count(WorkerState.READY),
                    workers.olderThan(generation));
        }
        if (!rollout.reachedCompletion(workers)) return;
        history.completed(rollout);
        Duration took = rollout.elapsed();
        announce.reloadCompleted(new RunnerEvent.ReloadCompleted(generation, took, rollout.servingAfter().orElse(took),
                rollout.replaced()), workers.count(WorkerState.READY));
        if (rollout.takeQueued()) startReload(null);
        recycle();
    }

    private void abortReload(String reason) {
        if (!rollout.abort()) return;
        history.aborted(rollout, reason);
        announce.reloadAborted(rollout.generation(), rollout.elapsed(), reason, rollout.replaced());
        if (rollout.takeQueued()) startReload(null);
    }

    /** The last worker is gone. */
    private Behavior<Command> stopped(Stopped.Reason reason) {
        announce.stopped(reason);
        return Behaviors.stopped();
    }

    // ---- helpers ----

    /** Workers allowed above the desired count now: a surge reload's replacement, or a recycled worker's. */
    private int surge() {
        return Math.max(rollout.surge(), recycling.surge());
    }

    private static <T> void reply(ActorRef<? super T> replyTo, T answer) {
        if (replyTo != null) replyTo.tell(answer);
    }

    private static Behavior<Command> keep(Runnable action) {
        action.run();
        return Behaviors.same();
    }

    private String describe(Worker.Exited e) {
        return Wording.exit(e, settings.readyTimeout());
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
