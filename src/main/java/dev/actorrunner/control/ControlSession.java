package dev.actorrunner.control;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.BehaviorBuilder;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.control.ControlProtocol.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One request on the control socket, carried out by an actor of its own: it asks the runner with
 * a {@code replyTo}, follows a reload or a stop through the runner's events, writes the answer
 * lines to its connection and stops once the last one is out or the client has gone. Nothing in it
 * waits or polls: the runner's answers, its events, its end (watched) and a timer are messages.
 */
final class ControlSession {

    sealed interface Command {}

    /** The client went away (Ctrl-C on {@code reload --wait}): the reload goes on without it. */
    enum ClientGone implements Command { INSTANCE }

    private record Event(RunnerEvent event) implements Command {}

    private record Status(RunnerStatus status) implements Command {}

    private record Measured(RunnerStatus status, ProcessStats.Sample sample) implements Command {}

    private record Reloaded(ActorRunner.ReloadReply reply) implements Command {}

    private record Scaled(ActorRunner.ScaleReply reply) implements Command {}

    private record Stopping(ActorRunner.StopAccepted reply) implements Command {}

    /** The runner did not answer within {@link #ASK_TIMEOUT}. */
    private enum NoAnswer implements Command { INSTANCE }

    /** The runner answers at once unless its mailbox is stuck; then say so rather than hang. */
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
    /** CPU% is measured over this window. */
    static final Duration CPU_WINDOW = Duration.ofMillis(250);

    /**
     * @param stats   where the /proc reads of {@code status} run (the control socket's event loop)
     * @param exiting whether the runner's host is closing the socket (for the "no answer" line)
     */
    static Behavior<Command> create(Request request, ActorRef<ActorRunner.Command> runner,
                                    Supplier<ActorRunner.Reload> reload, StatusView.HostInfo host,
                                    ControlConnection out, ScheduledExecutorService stats, BooleanSupplier exiting) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new ControlSession(context, timers, runner, reload, host, out, stats, exiting).start(request)));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final ActorRef<ActorRunner.Command> runner;
    private final Supplier<ActorRunner.Reload> reload;
    private final StatusView.HostInfo host;
    private final ControlConnection out;
    private final ScheduledExecutorService stats;
    private final BooleanSupplier exiting;
    private ActorRef<RunnerEvent> events;

    private ControlSession(ActorContext<Command> context, TimerScheduler<Command> timers,
                           ActorRef<ActorRunner.Command> runner, Supplier<ActorRunner.Reload> reload,
                           StatusView.HostInfo host, ControlConnection out, ScheduledExecutorService stats,
                           BooleanSupplier exiting) {
        this.context = context;
        this.timers = timers;
        this.runner = runner;
        this.reload = reload;
        this.host = host;
        this.out = out;
        this.stats = stats;
        this.exiting = exiting;
        context.watch(runner);
    }

    private Behavior<Command> start(Request request) {
        return switch (request.command()) {
            case STATUS -> askStatus(this::measure);
            case RELOAD -> reload(request.await());
            case SCALE -> scale(request);
            // Once: a StopAll while the runner stops kills every worker, which is what a second SIGTERM is for.
            case STOP -> askStatus(s -> s.stopping() ? alreadyStopping(request.await()) : stop(request.await()));
            // The server hands fleet requests to the fleet layer; a session gets one only without a fleet.
            case FLEET -> finish(ControlProtocol.error("this runner is in no fleet (start it with --fleet-bind)"));
            case UPGRADE -> finish(ControlProtocol.error("this runner cannot upgrade itself (an embedded runner: its host"
                    + " hands the socket over)"));
        };
    }

    // ---- status ----

    private Behavior<Command> askStatus(Function<RunnerStatus, Behavior<Command>> then) {
        runner.tell(new ActorRunner.GetStatus(context.messageAdapter(RunnerStatus.class, Status::new)));
        return awaiting().onMessage(Status.class, m -> {
            timers.cancel(NoAnswer.INSTANCE);
            return then.apply(m.status());
        }).build();
    }

    // The runner's status, then the RSS and CPU of each worker's tree over CPU_WINDOW.
    private Behavior<Command> measure(RunnerStatus s) {
        List<Long> pids = s.workers().stream().map(RunnerStatus.Worker::pid).filter(p -> p > 0).toList();
        context.pipeToSelf(ProcessStats.sample(pids, host.pid(), CPU_WINDOW, stats),
                (sample, failure) -> new Measured(s, sample));
        return common().onMessage(Measured.class, this::onMeasured).build();
    }

    private Behavior<Command> onMeasured(Measured m) {
        ProcessStats.Sample usage = m.sample() != null ? m.sample()
                : new ProcessStats.Sample(Map.of(), ProcessStats.Usage.UNKNOWN);
        Map<String, Object> json = StatusView.toJson(m.status(), host, usage.trees(), usage.self(), Instant.now());
        return finish(ControlProtocol.result(true, m.status().readyCount() + " of " + m.status().desiredWorkers()
                + " workers ready", Map.of("status", json)));
    }

    // ---- reload ----

    private Behavior<Command> reload(boolean wait) {
        if (wait) {
            subscribe();
            out.onRunnerGone(code -> ControlProtocol.result(false, "the runner exited before the reload ended"));
        }
        // Both answers come through this actor's own adapters, so the reply arrives before the
        // events of the reload it started: the runner sends it first.
        // The reload the host makes (the CLI's reads its config file again, off this thread).
        runner.tell(reload.get().replyTo(context.messageAdapter(ActorRunner.ReloadReply.class, Reloaded::new)));
        return awaiting().onMessage(Reloaded.class, m -> onReloaded(m, wait))
                .onMessage(Event.class, m -> Behaviors.same()) // before the answer: another reload's
                .build();
    }

    private Behavior<Command> onReloaded(Reloaded m, boolean wait) {
        timers.cancel(NoAnswer.INSTANCE);
        if (m.reply() instanceof ActorRunner.ReloadRefused r) {
            // Each problem as at start, a line each, then what it means; the client exits 1.
            return finish(ControlProtocol.result(false, String.join("\n", r.problems())
                    + "\nreload refused: nothing was started, the workers serve on"));
        }
        if (!(m.reply() instanceof ActorRunner.ReloadAccepted a)) {
            return finish(ControlProtocol.error("the runner is stopping: no reload"));
        }
        String line = a.queued()
                ? "reload " + a.generation() + " queued: it follows reload " + (a.generation() - 1) + ", now running"
                : "reload " + a.generation() + " started: replacing " + a.toReplace() + " worker(s)";
        if (!wait) return finish(ControlProtocol.result(true, line));
        out.progress(line);
        ReloadFollow follow = new ReloadFollow(a.generation(), !a.queued());
        out.onRunnerGone(code -> ControlProtocol.result(false, follow.runnerGone()));
        return common()
                .onMessage(Event.class, e -> {
                    if (e.event() instanceof RunnerEvent.Stopped) events = null; // nobody to unsubscribe from
                    return following(follow.on(e.event()));
                })
                .onSignal(Terminated.class, t -> runnerEnded(ControlProtocol.result(false, follow.runnerGone())))
                .build();
    }

    private Behavior<Command> following(ReloadFollow.Said said) {
        said.progress().ifPresent(p -> p.lines().forEach(out::progress));
        return said.outcome().map(o -> finish(ControlProtocol.result(o.ok(), o.message())))
                .orElse(Behaviors.same());
    }

    // ---- scale and stop ----

    private Behavior<Command> scale(Request request) {
        ActorRef<ActorRunner.ScaleReply> replyTo = context.messageAdapter(ActorRunner.ScaleReply.class, Scaled::new);
        runner.tell(new ActorRunner.Scale(request.workers(), request.relative(), replyTo));
        return awaiting().onMessage(Scaled.class, m -> {
            timers.cancel(NoAnswer.INSTANCE);
            if (!(m.reply() instanceof ActorRunner.ScaleAccepted a)) {
                return finish(ControlProtocol.error("the runner is stopping: no scale"));
            }
            return finish(ControlProtocol.result(true, a.from() == a.to() ? "already " + a.to() + " worker(s)"
                    : "scaling from " + a.from() + " to " + a.to() + " worker(s)"));
        }).build();
    }

    private Behavior<Command> stop(boolean wait) {
        if (wait) subscribe();
        out.onRunnerGone(ControlSession::runnerStopped);
        runner.tell(new ActorRunner.StopAll(context.messageAdapter(ActorRunner.StopAccepted.class, Stopping::new)));
        return awaiting().onMessage(Stopping.class, m -> {
            timers.cancel(NoAnswer.INSTANCE);
            String line = m.reply().alreadyStopping() ? "already stopping" : "stopping " + m.reply().workers() + " worker(s)";
            return wait ? followStop(line) : finish(ControlProtocol.result(true, line));
        }).build();
    }

    /** The runner was stopping already: say so, and with {@code wait} follow that stop. */
    private Behavior<Command> alreadyStopping(boolean wait) {
        if (!wait) return finish(ControlProtocol.result(true, "already stopping"));
        subscribe();
        return followStop("already stopping");
    }

    // Each worker's exit, until the runner has stopped.
    private Behavior<Command> followStop(String first) {
        out.progress(first);
        // The runner's system may end before this actor hears of it: the host then says the last line.
        out.onRunnerGone(ControlSession::runnerStopped);
        return common()
                .onMessage(Event.class, m -> {
                    if (m.event() instanceof RunnerEvent.WorkerExited x) {
                        out.progress("worker " + x.workerId() + " exited (" + x.description() + ")");
                    } else if (m.event() instanceof RunnerEvent.Stopped s) {
                        boolean booted = s.reason() == RunnerEvent.Stopped.Reason.REQUESTED;
                        return runnerEnded(ControlProtocol.result(booted, "the runner stopped"
                                + (booted ? "" : ": the app failed to boot")));
                    }
                    return Behaviors.same();
                })
                .onSignal(Terminated.class, t -> runnerEnded(ControlProtocol.result(true, "the runner stopped")))
                .build();
    }

    /** The last line of a stop when the runner's process ends first, with its exit code. */
    private static String runnerStopped(int exitCode) {
        return ControlProtocol.result(exitCode <= 0, "the runner stopped" + (exitCode > 0 ? " (exit code " + exitCode + ")" : ""));
    }

    // ---- what every state shares ----

    /** Waiting for the runner's answer, which must come within ASK_TIMEOUT. */
    private BehaviorBuilder<Command> awaiting() {
        timers.startSingleTimer(NoAnswer.INSTANCE, ASK_TIMEOUT);
        return common()
                .onMessageEquals(NoAnswer.INSTANCE, () -> finish(ControlProtocol.error("the runner did not answer within "
                        + ASK_TIMEOUT.toSeconds() + "s" + (exiting.getAsBoolean() ? " (it is exiting)" : ""))))
                .onSignal(Terminated.class, t -> runnerEnded(ControlProtocol.error("the runner has stopped")));
    }

    private BehaviorBuilder<Command> common() {
        return Behaviors.receive(Command.class).onMessageEquals(ClientGone.INSTANCE, this::end);
    }

    private void subscribe() {
        events = context.messageAdapter(RunnerEvent.class, Event::new);
        runner.tell(new ActorRunner.Subscribe(events));
    }

    /** The last line, then the end of this session. */
    private Behavior<Command> finish(String line) {
        out.finish(line);
        return end();
    }

    /** The runner is gone: nobody left to unsubscribe from. */
    private Behavior<Command> runnerEnded(String line) {
        events = null;
        return finish(line);
    }

    private Behavior<Command> end() {
        if (events != null) runner.tell(new ActorRunner.Unsubscribe(events));
        return Behaviors.stopped();
    }
}
