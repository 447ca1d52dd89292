package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One machine's step of a fleet roll, on that machine: the local surge reload (the runner's
 * {@code Reload} with a {@code replyTo}, followed through its events), then min-healthy-time during
 * which no worker of the new generation may die or turn unhealthy, then every worker ready. Reports
 * its end once to {@code reportTo} and stops. It never retries: a failed step ends the roll. Given
 * a generation to follow (a reload an earlier incarnation of the fleet agent asked for, still under
 * way), it asks for no reload and follows that one.
 */
final class MachineStep {

    sealed interface Command {}

    private record Replied(ActorRunner.ReloadReply reply) implements Command {}

    private record Event(RunnerEvent event) implements Command {}

    private enum HealthyLongEnough implements Command { INSTANCE }

    private record StatusIs(RunnerStatus status) implements Command {}

    /** The runner's status when a reload under way is taken up: apart from StatusIs, which ends min-healthy-time. */
    private record Joined(RunnerStatus status) implements Command {}

    /** The runner did not answer the reload within this: its mailbox is stuck, or it stopped. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);

    private enum NoAnswer implements Command { INSTANCE }

    /** @param asked where the reload this step asks for is recorded, for a later incarnation's resent step */
    static Behavior<Command> create(String planId, Optional<Path> jar, OptionalInt follow, Duration minHealthy,
                                    ActorRef<ActorRunner.Command> runner, FleetHost host, AskedReloads asked,
                                    ActorRef<MachineAgent.StepEnded> reportTo) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            MachineStep step = new MachineStep(context, timers, planId, jar, minHealthy, runner, host, asked, reportTo);
            return follow.isPresent() ? step.follow(follow.getAsInt()) : step.start();
        }));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final String planId;
    private final Optional<Path> jar;
    private final Duration minHealthy;
    private final ActorRef<ActorRunner.Command> runner;
    private final FleetHost host;
    private final AskedReloads asked;
    private final ActorRef<MachineAgent.StepEnded> reportTo;
    private final ActorRef<RunnerEvent> events;

    private MachineStep(ActorContext<Command> context, TimerScheduler<Command> timers, String planId, Optional<Path> jar,
                        Duration minHealthy, ActorRef<ActorRunner.Command> runner, FleetHost host, AskedReloads asked,
                        ActorRef<MachineAgent.StepEnded> reportTo) {
        this.context = context;
        context.setLoggerName(MachineStep.class); // not "ActorCell": the log names who speaks
        this.timers = timers;
        this.planId = planId;
        this.jar = jar;
        this.minHealthy = minHealthy;
        this.runner = runner;
        this.host = host;
        this.asked = asked;
        this.reportTo = reportTo;
        this.events = context.messageAdapter(RunnerEvent.class, Event::new);
    }

    private Behavior<Command> start() {
        Optional<ActorRunner.Reload> reload = host.reloadTo(jar);
        if (reload.isEmpty()) return end(false, "this runner runs a command, not an app jar");
        // Subscribed first: the reload's events come after its answer, through the same mailbox.
        runner.tell(new ActorRunner.Subscribe(events));
        runner.tell(reload.get().replyTo(context.messageAdapter(ActorRunner.ReloadReply.class, Replied::new)));
        timers.startSingleTimer(NoAnswer.INSTANCE, ANSWER_TIMEOUT);
        context.getLog().info("fleet: plan {}: reloading this machine to {}", planId,
                jar.map(Path::toString).orElse("the same settings"));
        return asked();
    }

    private Behavior<Command> follow(int generation) {
        // Subscribed first, then asked: a reload that ends in between shows in the status's last reload.
        runner.tell(new ActorRunner.Subscribe(events));
        runner.tell(new ActorRunner.GetStatus(context.messageAdapter(RunnerStatus.class, Joined::new)));
        timers.startSingleTimer(NoAnswer.INSTANCE, ANSWER_TIMEOUT);
        context.getLog().info("fleet: plan {}: following this machine's reload {} to {}", planId, generation,
                jar.map(Path::toString).orElse("the same settings"));
        return joining(generation);
    }

    // Following a reload already under way: its state is asked for, its end may come first.
    private Behavior<Command> joining(int generation) {
        return common()
                .onMessage(Joined.class, m -> {
                    timers.cancel(NoAnswer.INSTANCE);
                    RunnerStatus s = m.status();
                    // Under way, or queued behind the reload under way (it then starts when that one ends).
                    if (s.reload().isPresent() && (s.reload().get().generation() == generation
                            || s.reloadQueued() && s.reload().get().generation() < generation)) {
                        return reloading(generation);
                    }
                    Optional<RunnerStatus.ReloadResult> last = s.lastReload().filter(r -> r.generation() == generation);
                    if (last.isEmpty()) return end(false, "reload " + generation + " is neither under way nor ended");
                    return last.get().completed() ? healthyFrom(generation)
                            : end(false, "reload " + generation + " aborted: " + last.get().reason());
                })
                .onMessage(Event.class, m -> {
                    // Its end may come before the status: then the status, come later, is not needed.
                    Behavior<Command> next = onReloadEvent(m, generation);
                    if (next != Behaviors.<Command>same()) timers.cancel(NoAnswer.INSTANCE);
                    return next;
                })
                .onMessageEquals(NoAnswer.INSTANCE, () -> end(false, "the runner did not answer for its status"))
                .build();
    }

    // The reload was asked for; waiting for the runner's answer.
    private Behavior<Command> asked() {
        return common()
                .onMessage(Replied.class, m -> {
                    timers.cancel(NoAnswer.INSTANCE);
                    if (m.reply() instanceof ActorRunner.ReloadAccepted a) {
                        asked.asked(planId, a.generation());
                        return reloading(a.generation());
                    }
                    if (m.reply() instanceof ActorRunner.ReloadRefused r) return end(false, "reload refused: " + String.join("; ", r.problems()));
                    return end(false, "the runner refused the reload: " + ((ActorRunner.Refused) m.reply()).reason());
                })
                .onMessageEquals(NoAnswer.INSTANCE, () -> end(false, "the runner did not answer the reload within "
                        + ANSWER_TIMEOUT.toSeconds() + "s"))
                .onMessage(Event.class, m -> Behaviors.same()) // another reload's, before the answer
                .build();
    }

    // The local reload to generation runs; its completion or abort decides.
    private Behavior<Command> reloading(int generation) {
        return common().onMessage(Event.class, m -> onReloadEvent(m, generation)).build();
    }

    private Behavior<Command> onReloadEvent(Event m, int generation) {
        if (m.event() instanceof RunnerEvent.ReloadCompleted c && c.generation() == generation) return healthyFrom(generation);
        if (m.event() instanceof RunnerEvent.ReloadAborted a && a.generation() == generation) {
            return end(false, "reload " + generation + " aborted: " + a.reason());
        }
        if (m.event() instanceof RunnerEvent.Stopped) return end(false, "the runner stopped");
        return Behaviors.same();
    }

    private Behavior<Command> healthyFrom(int generation) {
        timers.startSingleTimer(HealthyLongEnough.INSTANCE, minHealthy);
        return provingHealthy(generation);
    }

    // Generation is in place; it must stay healthy for min-healthy-time.
    private Behavior<Command> provingHealthy(int generation) {
        return common()
                .onMessage(Event.class, m -> {
                    if (m.event() instanceof RunnerEvent.WorkerExited x && x.generation() >= generation && !x.expected()) {
                        return end(false, "worker " + x.workerId() + " of generation " + generation + " exited ("
                                + x.description() + ") within min-healthy-time");
                    }
                    if (m.event() instanceof RunnerEvent.WorkerUnhealthy u && u.generation() >= generation) {
                        return end(false, "worker " + u.workerId() + " of generation " + generation
                                + " turned unhealthy within min-healthy-time: " + u.reason());
                    }
                    if (m.event() instanceof RunnerEvent.Stopped) return end(false, "the runner stopped");
                    return Behaviors.same();
                })
                .onMessageEquals(HealthyLongEnough.INSTANCE, () -> {
                    runner.tell(new ActorRunner.GetStatus(context.messageAdapter(RunnerStatus.class, StatusIs::new)));
                    timers.startSingleTimer(NoAnswer.INSTANCE, ANSWER_TIMEOUT);
                    return Behaviors.same();
                })
                .onMessageEquals(NoAnswer.INSTANCE, () -> end(false, "the runner did not answer for its status"))
                .onMessage(StatusIs.class, m -> {
                    RunnerStatus s = m.status();
                    if (s.readyCount() < s.desiredWorkers()) {
                        return end(false, "only " + s.readyCount() + " of " + s.desiredWorkers()
                                + " workers ready after min-healthy-time");
                    }
                    jar.ifPresent(host::released);
                    return end(true, "generation " + generation + ", " + s.readyCount() + "/" + s.desiredWorkers()
                            + " ready for " + minHealthy.toSeconds() + "s");
                })
                .build();
    }

    private akka.actor.typed.javadsl.BehaviorBuilder<Command> common() {
        return Behaviors.receive(Command.class).onSignal(PostStop.class, s -> {
            runner.tell(new ActorRunner.Unsubscribe(events));
            return Behaviors.same();
        });
    }

    private Behavior<Command> end(boolean ok, String detail) {
        if (ok) {
            context.getLog().info("fleet: plan {}: this machine is done: {}", planId, detail);
        } else {
            context.getLog().warn("fleet: plan {}: this machine's step failed: {}", planId, detail);
        }
        reportTo.tell(new MachineAgent.StepEnded(planId, ok, detail));
        return Behaviors.stopped();
    }
}
