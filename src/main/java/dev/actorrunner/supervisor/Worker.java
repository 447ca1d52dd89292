package dev.actorrunner.supervisor;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.actorrunner.probe.HealthProbe;
import dev.actorrunner.probe.ReadinessProbe;
import dev.actorrunner.process.ExitStatus;
import dev.actorrunner.process.LaunchSpec;
import dev.actorrunner.process.ProcessLauncher;
import dev.actorrunner.process.WorkerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Owns one worker process from fork to exit: Launching -> Starting -> Ready -> Draining ->
 * Stopping -> gone.
 * It tells its parent what happened ({@link Event}) and stops itself after {@link Exited}. It is
 * never restarted: a restart would lose the process handle and orphan the child, so if it fails
 * it kills its process on the way out and the Master replaces it.
 *
 * <p>Once ready it is watched ({@link Watch}): liveness checks, whose failures in a row make it
 * {@link Unhealthy}, and the limits of recycling, which make it {@link Due}; the parent decides
 * what follows. Before any SIGKILL but the one a second stop asks for, it is sent the dump signal
 * and given the dump grace to print its threads.
 */
public final class Worker {

    public sealed interface Command {}

    /**
     * Leave service. Sent by the Master once the worker is out of rotation; {@code drained}
     * completes when the front holds no connection to it any more. A ready worker waits for that
     * (or drain-timeout), then gets SIGTERM, then SIGKILL after kill-timeout. Idempotent.
     */
    public record Stop(CompletionStage<Integer> drained, boolean unhealthy) implements Command {
        /** A worker leaving in good health: it drains first. */
        public Stop(CompletionStage<Integer> drained) {
            this(drained, false);
        }
    }

    /** SIGKILL now (a second StopAll). Sent by the Master. */
    public enum KillNow implements Command { INSTANCE }

    /**
     * The front saw its requests fail ({@code suspicion} says how): check it now, out of turn. If
     * that check fails too, it is {@link Unhealthy} at once; if it passes, nothing happens (a
     * worker that is only slow stays). Ignored unless it is ready and checked.
     */
    public record Confirm(String suspicion) implements Command {}

    private record Launched(WorkerProcess process) implements Command {}

    private record LaunchFailed(String reason) implements Command {}

    private enum Probe implements Command { INSTANCE }

    private record ProbeResult(boolean ready) implements Command {}

    private enum ReadyTimeout implements Command { INSTANCE }

    /** The ancestor's 60 s kill timer: the grace after SIGTERM has run out. */
    private enum Kill implements Command { INSTANCE }

    private record ProcessExited(ExitStatus status) implements Command {}

    private enum Drained implements Command { INSTANCE }

    private enum DrainTimeout implements Command { INSTANCE }

    /** Time for the next liveness check of a ready worker. */
    private enum Check implements Command { INSTANCE }

    /** A liveness check's outcome: empty when the worker answered as it should. */
    private record Checked(Optional<String> problem) implements Command {}

    /** Time to measure a ready worker's memory (recycling). */
    private enum Measure implements Command { INSTANCE }

    private record Measured(long rssBytes) implements Command {}

    /** A ready worker reached its lifetime (recycling). */
    private enum Expired implements Command { INSTANCE }

    /** The dump grace is over: stop recording, and go on with what the dump preceded. */
    private enum DumpOver implements Command { INSTANCE }

    /** What a worker tells its parent, in this order: Started, Listening, then Exited. */
    public sealed interface Event {
        int workerId();
    }

    /** The process runs on {@code port}; it is not ready yet. */
    public record Started(int workerId, long pid, int port) implements Event {}

    /** The readiness probe passed. */
    public record Listening(int workerId) implements Event {}

    /** Drained (or drain-timeout passed, {@code timedOut}): SIGTERM is being sent now. */
    public record Terminating(int workerId, boolean timedOut) implements Event {}

    /**
     * Its liveness checks failed health-failures times in a row, or one failed right after the
     * front's requests did; {@code reason} says which check, how often and what it met.
     */
    public record Unhealthy(int workerId, String reason) implements Event {}

    /** It should be recycled: {@code reason} says which limit it reached ("RSS 612 MiB above 512 MiB"). */
    public record Due(int workerId, String reason) implements Event {}

    /** The process is gone (or never started: pid -1); the Worker actor stops right after. */
    public record Exited(int workerId, long pid, ExitStatus status, Cause cause, String reason)
            implements Event {}

    /** Why a worker's process ended. Only STOPPED was asked for. */
    public enum Cause { STOPPED, CRASHED, NOT_READY, LAUNCH_FAILED }

    /** Timings a worker needs. */
    public record Timing(Duration readyTimeout, Duration probeInterval, Duration drainTimeout,
                         Duration killTimeout) {}

    /**
     * How a ready worker is watched, and what it is sent before a SIGKILL.
     *
     * @param health         the liveness check, null for none
     * @param check          how the check is named in log lines ("tcp check", "GET /health")
     * @param interval       time between two checks (and two memory measurements)
     * @param failures       checks failed in a row that make the worker {@link Unhealthy}
     * @param dumpSignal     sent before a SIGKILL so that the worker prints its threads; empty for none
     * @param dumpGrace      how long it may print before the SIGKILL
     * @param dumpDir        where the process layer writes each dump whole
     * @param maxMemoryBytes RSS of the worker's tree above which it is {@link Due}; 0 for no limit
     * @param maxLifetime    time in service after which it is {@link Due} (less up to a tenth); zero for none
     */
    public record Watch(HealthProbe health, String check, Duration interval, int failures,
                        Optional<String> dumpSignal, Duration dumpGrace, Path dumpDir,
                        long maxMemoryBytes, Duration maxLifetime) {
        /** Nothing watched, nothing dumped. */
        public static final Watch NONE = new Watch(null, "", Duration.ofSeconds(5), 3, Optional.empty(),
                Duration.ZERO, Path.of("dumps"), 0, Duration.ZERO);
    }

    public static Behavior<Command> create(LaunchSpec spec, ProcessLauncher launcher,
                                           ReadinessProbe probe, Timing timing,
                                           ActorRef<Event> parent) {
        return create(spec, launcher, probe, timing, Watch.NONE, parent);
    }

    public static Behavior<Command> create(LaunchSpec spec, ProcessLauncher launcher, ReadinessProbe probe,
                                           Timing timing, Watch watch, ActorRef<Event> parent) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new Worker(context, timers, spec, probe, timing, watch, parent).launching(launcher)));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final LaunchSpec spec;
    private final ReadinessProbe probe;
    private final Timing timing;
    private final Watch watch;
    private final ActorRef<Event> parent;
    private final int id;
    private WorkerProcess process;
    /** Liveness checks failed in a row. */
    private int failedChecks;
    /** A check is on its way: the next one waits for it (it answers within its bound). */
    private boolean checking;
    /** What the front reported, while the check that confirms it runs. */
    private String suspicion;
    /** Unhealthy or Due was said: once is enough, the parent decides. */
    private boolean reportedUnhealthy;
    private boolean reportedDue;
    /** The dump being recorded, if any, and whether a SIGKILL (else a SIGTERM) follows it. */
    private WorkerProcess.Dump dump;
    private boolean killAfterDump;

    private Worker(ActorContext<Command> context, TimerScheduler<Command> timers, LaunchSpec spec,
                   ReadinessProbe probe, Timing timing, Watch watch, ActorRef<Event> parent) {
        this.context = context;
        this.timers = timers;
        this.spec = spec;
        this.probe = probe;
        this.timing = timing;
        this.watch = watch;
        this.parent = parent;
        this.id = spec.workerId();
        context.setLoggerName(Worker.class);
    }

    /** What was asked of a worker whose process does not exist yet. */
    private enum Pending { NOTHING, STOP, KILL }

    // Launching: the fork runs on the launcher's thread; a Stop or KillNow that arrives now is kept for later.
    private Behavior<Command> launching(ProcessLauncher launcher) {
        CompletionStage<WorkerProcess> launch = launcher.launch(spec);
        context.pipeToSelf(launch, (p, failure) -> failure == null
                ? new Launched(p) : new LaunchFailed(rootMessage(failure)));
        return launching(launch, Pending.NOTHING);
    }

    private Behavior<Command> launching(CompletionStage<WorkerProcess> launch, Pending pending) {
        return Behaviors.receive(Command.class)
                .onMessage(Launched.class, m -> onLaunched(m, pending))
                .onMessage(LaunchFailed.class, this::onLaunchFailed)
                .onMessage(Stop.class, m -> pending == Pending.KILL ? Behaviors.same() : launching(launch, Pending.STOP))
                .onMessageEquals(KillNow.INSTANCE, () -> launching(launch, Pending.KILL))
                .onSignal(PostStop.class, s -> onStoppedWhileLaunching(launch))
                .build();
    }

    private Behavior<Command> onLaunched(Launched m, Pending pending) {
        process = m.process();
        context.pipeToSelf(process.exited(), (status, failure) -> new ProcessExited(status));
        if (pending != Pending.NOTHING) {
            parent.tell(new Started(id, process.pid(), process.port()));
            return stopping(Cause.STOPPED, pending == Pending.KILL); // KILL: a second StopAll came meanwhile
        }
        timers.startSingleTimer(ReadyTimeout.INSTANCE, timing.readyTimeout());
        timers.startSingleTimer(Probe.INSTANCE, timing.probeInterval());
        parent.tell(new Started(id, process.pid(), process.port()));
        return starting();
    }

    // Stopped before its process existed (its parent stopped): the process, once there, is killed
    // at once, and the parent, if it still listens, must not wait for an Exited that never comes.
    private Behavior<Command> onStoppedWhileLaunching(CompletionStage<WorkerProcess> launch) {
        launch.thenAccept(WorkerProcess::kill);
        parent.tell(new Exited(id, -1, new ExitStatus(-1), Cause.CRASHED, "its supervising actor failed"));
        return Behaviors.same();
    }

    private Behavior<Command> onLaunchFailed(LaunchFailed m) {
        parent.tell(new Exited(id, -1, new ExitStatus(-1), Cause.LAUNCH_FAILED, m.reason()));
        return Behaviors.stopped();
    }

    // Starting: the process runs; probes are scheduled one at a time until one passes.
    private Behavior<Command> starting() {
        return withExit(Cause.CRASHED)
                .onMessageEquals(Probe.INSTANCE, this::onProbe)
                .onMessage(ProbeResult.class, this::onProbeResult)
                .onMessageEquals(ReadyTimeout.INSTANCE, this::onReadyTimeout)
                .onMessage(Stop.class, m -> stopping(Cause.STOPPED))
                .onMessageEquals(KillNow.INSTANCE, this::killNow)
                .build();
    }

    private Behavior<Command> onProbe() {
        context.pipeToSelf(probe.check(process), (ok, failure) -> new ProbeResult(failure == null && ok));
        return Behaviors.same();
    }

    private Behavior<Command> onProbeResult(ProbeResult m) {
        if (!m.ready()) {
            timers.startSingleTimer(Probe.INSTANCE, timing.probeInterval());
            return Behaviors.same();
        }
        timers.cancel(ReadyTimeout.INSTANCE);
        Behavior<Command> ready = ready(); // its watch is set before anyone hears it is ready
        parent.tell(new Listening(id));
        return ready;
    }

    // A replacement that never becomes ready must not block a reload forever (the ancestor did).
    private Behavior<Command> onReadyTimeout() {
        timers.cancel(Probe.INSTANCE);
        killAfterDumping();
        return withExit(Cause.NOT_READY)
                .onMessage(Stop.class, m -> Behaviors.same())
                .onMessageEquals(KillNow.INSTANCE, this::killNow)
                .build();
    }

    // Ready: in rotation, and watched; only the Master's Stop or the process's death ends it.
    // Checks start every interval (not interval after the last answer): a hung worker whose
    // checks each take the whole timeout is found after failures x interval, not more.
    private Behavior<Command> ready() {
        if (watch.health() != null) timers.startSingleTimer(Check.INSTANCE, watch.interval());
        if (watch.maxMemoryBytes() > 0) timers.startSingleTimer(Measure.INSTANCE, watch.interval());
        if (!watch.maxLifetime().isZero()) {
            // Less up to a tenth, at random: workers started together do not leave together.
            long nanos = watch.maxLifetime().toNanos();
            timers.startSingleTimer(Expired.INSTANCE, Duration.ofNanos(nanos - ThreadLocalRandom.current().nextLong(nanos / 10 + 1)));
        }
        return withExit(Cause.CRASHED)
                .onMessage(Stop.class, this::leaving)
                .onMessageEquals(KillNow.INSTANCE, this::killNow)
                .onMessageEquals(Check.INSTANCE, this::onCheck)
                .onMessage(Confirm.class, this::onConfirm)
                .onMessage(Checked.class, this::onChecked)
                .onMessageEquals(Measure.INSTANCE, this::onMeasure)
                .onMessage(Measured.class, this::onMeasured)
                .onMessageEquals(Expired.INSTANCE, () -> due("up " + Human.duration(watch.maxLifetime())
                        + " (max-lifetime)"))
                .build();
    }

    private Behavior<Command> onCheck() {
        timers.startSingleTimer(Check.INSTANCE, watch.interval());
        if (!checking) check();
        return Behaviors.same();
    }

    private Behavior<Command> onConfirm(Confirm m) {
        if (watch.health() == null || reportedUnhealthy) return Behaviors.same();
        suspicion = m.suspicion();
        if (!checking) check();
        return Behaviors.same();
    }

    private void check() {
        checking = true;
        context.pipeToSelf(watch.health().check(process), (problem, failure) ->
                new Checked(failure == null ? problem : Optional.of(String.valueOf(failure.getMessage()))));
    }

    // A check that passes clears the count: only failures in a row make a worker unhealthy, or
    // one that agrees with what the front saw.
    private Behavior<Command> onChecked(Checked m) {
        checking = false;
        String suspected = suspicion;
        suspicion = null;
        if (m.problem().isEmpty()) {
            failedChecks = 0;
            return Behaviors.same();
        }
        failedChecks++;
        if (reportedUnhealthy) return Behaviors.same();
        String problem = m.problem().get();
        if (suspected != null) {
            return unhealthy(suspected + ", then " + watch.check() + " failed: " + problem);
        }
        if (failedChecks >= watch.failures()) {
            return unhealthy(watch.check() + " failed " + failedChecks + " time(s) in a row, last: " + problem);
        }
        return Behaviors.same();
    }

    /** Said once; the parent takes it out of rotation and stops it. */
    private Behavior<Command> unhealthy(String reason) {
        reportedUnhealthy = true;
        timers.cancel(Check.INSTANCE);
        parent.tell(new Unhealthy(id, reason));
        return Behaviors.same();
    }

    private Behavior<Command> onMeasure() {
        context.pipeToSelf(process.rssBytes(), (rss, failure) -> new Measured(failure == null ? rss : -1));
        return Behaviors.same();
    }

    private Behavior<Command> onMeasured(Measured m) {
        if (m.rssBytes() > watch.maxMemoryBytes()) {
            return due("RSS " + mib(m.rssBytes()) + " above " + mib(watch.maxMemoryBytes()) + " (max-memory)");
        }
        timers.startSingleTimer(Measure.INSTANCE, watch.interval());
        return Behaviors.same();
    }

    private Behavior<Command> due(String reason) {
        if (!reportedDue) {
            reportedDue = true;
            parent.tell(new Due(id, reason));
        }
        return Behaviors.same();
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    // A healthy worker drains; an unhealthy one is dumped first (while it is stuck), then stopped.
    private Behavior<Command> leaving(Stop m) {
        if (!m.unhealthy()) return draining(m);
        timers.cancelAll();
        if (watch.dumpSignal().isEmpty()) return terminating(false);
        startDump(false);
        return withExit(Cause.STOPPED)
                .onMessage(Stop.class, s -> Behaviors.same())
                .onMessageEquals(KillNow.INSTANCE, this::killNow)
                .build();
    }

    // Draining: out of rotation; the connections it has go on until they close or drain-timeout.
    // Only then SIGTERM: apps such as Spring Boot drop a kept-alive request that meets their shutdown.
    private Behavior<Command> draining(Stop m) {
        // The timer before anything it bounds, here and below: whoever sees the effect (a test's
        // clock among them) may count on the deadline being set.
        timers.startSingleTimer(DrainTimeout.INSTANCE, timing.drainTimeout());
        context.pipeToSelf(m.drained(), (n, failure) -> Drained.INSTANCE);
        return withExit(Cause.STOPPED)
                .onMessageEquals(Drained.INSTANCE, () -> terminating(false))
                .onMessageEquals(DrainTimeout.INSTANCE, () -> terminating(true))
                .onMessage(Stop.class, s -> Behaviors.same())
                .onMessageEquals(KillNow.INSTANCE, this::killNow)
                .build();
    }

    private Behavior<Command> terminating(boolean timedOut) {
        parent.tell(new Terminating(id, timedOut));
        return stopping(Cause.STOPPED);
    }

    // Stopping: SIGTERM sent (or SIGKILL, if asked for before the process existed); Kill fires
    // after kill-timeout if the process is still there.
    private Behavior<Command> stopping(Cause cause) {
        return stopping(cause, false);
    }

    private Behavior<Command> stopping(Cause cause, boolean kill) {
        timers.cancelAll();
        timers.startSingleTimer(Kill.INSTANCE, timing.killTimeout());
        if (kill) process.kill(); else process.terminate();
        return withExit(cause)
                .onMessageEquals(Kill.INSTANCE, this::onKill)
                .onMessage(Stop.class, m -> Behaviors.same())
                .onMessageEquals(Drained.INSTANCE, Behaviors::same)
                .onMessageEquals(DrainTimeout.INSTANCE, Behaviors::same)
                .onMessageEquals(KillNow.INSTANCE, this::killNow)
                .build();
    }

    private Behavior<Command> onKill() {
        if (process.isAlive()) {
            context.getLog().error("worker {} (pid {}, gen {}) still running {} after SIGTERM: SIGKILL",
                    id, process.pid(), spec.generation(), Human.duration(timing.killTimeout()));
            killAfterDumping();
        }
        return Behaviors.same();
    }

    /** The SIGKILL that a timeout or a failed check calls for: after a dump, when there is a dump signal. */
    private void killAfterDumping() {
        if (watch.dumpSignal().isEmpty() || !process.isAlive()) {
            process.kill();
        } else {
            startDump(true);
        }
    }

    /** Sends the dump signal and records what the worker prints for the dump grace; {@code kill}: SIGKILL after, else SIGTERM. */
    private void startDump(boolean kill) {
        killAfterDump = kill;
        context.getLog().warn("worker {} (pid {}, gen {}): SIG{} for its threads, {} in {}", id, process.pid(),
                spec.generation(), watch.dumpSignal().get(), kill ? "SIGKILL" : "SIGTERM", Human.duration(watch.dumpGrace()));
        timers.startSingleTimer(DumpOver.INSTANCE, watch.dumpGrace());
        dump = process.dump(watch.dumpSignal().get(), watch.dumpDir());
    }

    private Behavior<Command> onDumpOver() {
        finishDump();
        if (killAfterDump) {
            process.kill();
            return Behaviors.same();
        }
        return terminating(false);
    }

    private void finishDump() {
        if (dump != null) dump.finish();
        dump = null;
    }

    private Behavior<Command> killNow() {
        process.kill();
        return Behaviors.same();
    }

    /** The part every state with a live process shares: its exit ends the actor; a dump ends in time. */
    private BehaviorBuilder<Command> withExit(Cause cause) {
        return Behaviors.receive(Command.class)
                .onMessage(ProcessExited.class, m -> onExited(m, cause))
                .onMessageEquals(DumpOver.INSTANCE, this::onDumpOver)
                .onSignal(PostStop.class, s -> onPostStop());
    }

    private Behavior<Command> onExited(ProcessExited m, Cause cause) {
        finishDump(); // what it printed before it went is written all the same
        parent.tell(new Exited(id, process.pid(), m.status(), cause, m.status().describe()));
        process = null;
        return Behaviors.stopped();
    }

    // Only reached with a live process when this actor failed (or its parent stopped): never
    // orphan the child, and tell the parent, which otherwise would wait for an Exited forever.
    private Behavior<Command> onPostStop() {
        finishDump();
        if (process != null) {
            process.kill();
            parent.tell(new Exited(id, process.pid(), new ExitStatus(-1), Cause.CRASHED,
                    "its supervising actor failed"));
        }
        return Behaviors.same();
    }

    private static String rootMessage(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && (t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException)) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }
}
