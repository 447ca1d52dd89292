package dev.actorrunner.supervisor;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.actorrunner.probe.ReadinessProbe;
import dev.actorrunner.process.ExitStatus;
import dev.actorrunner.process.LaunchSpec;
import dev.actorrunner.process.ProcessLauncher;
import dev.actorrunner.process.WorkerProcess;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Owns one worker process from fork to exit: Launching -> Starting -> Ready -> Draining ->
 * Stopping -> gone.
 * It tells its parent what happened ({@link Event}) and stops itself after {@link Exited}. It is
 * never restarted: a restart would lose the process handle and orphan the child, so if it fails
 * it kills its process on the way out and the Master replaces it.
 */
public final class Worker {

    public sealed interface Command {}

    /**
     * Leave service. Sent by the Master once the worker is out of rotation; {@code drained}
     * completes when the front holds no connection to it any more. A ready worker waits for that
     * (or drain-timeout), then gets SIGTERM, then SIGKILL after kill-timeout. Idempotent.
     */
    public record Stop(CompletionStage<Integer> drained) implements Command {}

    /** SIGKILL now (a second StopAll). Sent by the Master. */
    public enum KillNow implements Command { INSTANCE }

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

    /** The process is gone (or never started: pid -1); the Worker actor stops right after. */
    public record Exited(int workerId, long pid, ExitStatus status, Cause cause, String reason)
            implements Event {}

    /** Why a worker's process ended. Only STOPPED was asked for. */
    public enum Cause { STOPPED, CRASHED, NOT_READY, LAUNCH_FAILED }

    /** Timings a worker needs. */
    public record Timing(Duration readyTimeout, Duration probeInterval, Duration drainTimeout,
                         Duration killTimeout) {}

    public static Behavior<Command> create(LaunchSpec spec, ProcessLauncher launcher,
                                           ReadinessProbe probe, Timing timing,
                                           ActorRef<Event> parent) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new Worker(context, timers, spec, probe, timing, parent).launching(launcher)));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final LaunchSpec spec;
    private final ReadinessProbe probe;
    private final Timing timing;
    private final ActorRef<Event> parent;
    private final int id;
    private WorkerProcess process;

    private Worker(ActorContext<Command> context, TimerScheduler<Command> timers, LaunchSpec spec,
                   ReadinessProbe probe, Timing timing, ActorRef<Event> parent) {
        this.context = context;
        this.timers = timers;
        this.spec = spec;
        this.probe = probe;
        this.timing = timing;
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
        parent.tell(new Listening(id));
        return ready();
    }

    // A replacement that never becomes ready must not block a reload forever (the ancestor did).
    private Behavior<Command> onReadyTimeout() {
        timers.cancel(Probe.INSTANCE);
        process.kill();
        return withExit(Cause.NOT_READY)
                .onMessage(Stop.class, m -> Behaviors.same())
                .onMessageEquals(KillNow.INSTANCE, this::killNow)
                .build();
    }

    // Ready: in rotation; only the Master's Stop or the process's death ends it.
    private Behavior<Command> ready() {
        return withExit(Cause.CRASHED)
                .onMessage(Stop.class, this::draining)
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
            process.kill();
        }
        return Behaviors.same();
    }

    private Behavior<Command> killNow() {
        process.kill();
        return Behaviors.same();
    }

    /** The part every state with a live process shares: its exit ends the actor. */
    private BehaviorBuilder<Command> withExit(Cause cause) {
        return Behaviors.receive(Command.class)
                .onMessage(ProcessExited.class, m -> onExited(m, cause))
                .onSignal(PostStop.class, s -> onPostStop());
    }

    private Behavior<Command> onExited(ProcessExited m, Cause cause) {
        parent.tell(new Exited(id, process.pid(), m.status(), cause, m.status().describe()));
        process = null;
        return Behaviors.stopped();
    }

    // Only reached with a live process when this actor failed (or its parent stopped): never
    // orphan the child, and tell the parent, which otherwise would wait for an Exited forever.
    private Behavior<Command> onPostStop() {
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
