package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The pre-check of one roll, a child of the {@link Coordinator}: every machine of the plan checks
 * the release (the jar there, its Main-Class, its SHA-256) before any machine is touched. A machine
 * whose agent is not known yet (its Receptionist registration reaches the others a moment after
 * its membership) gets the check once it is; every machine must answer within {@link #TIMEOUT}.
 * Reports one {@link Coordinator.CheckEnded} (RollDecisions.checked decides from the answers) and stops.
 */
final class RollCheck {

    /** Every machine must answer within this (it hashes the jar). */
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** How often the check is sent to a machine whose agent was not known yet. */
    static final Duration RESEND = Duration.ofMillis(500);

    sealed interface Command permits Coordinator.JarChecked, Resend, Timeout {}

    enum Resend implements Command { INSTANCE }

    enum Timeout implements Command { INSTANCE }

    static Behavior<Command> create(Plan plan, Fleetwide fleet, ActorRef<Coordinator.CheckEnded> reportTo) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new RollCheck(context, timers, plan, fleet, reportTo).start()));
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final Plan plan;
    private final Fleetwide fleet;
    private final ActorRef<Coordinator.CheckEnded> reportTo;
    /** Machines that have not answered. */
    private final Set<String> waiting = new HashSet<>();
    /** Machines whose agents were not known yet: the check was not sent to them. */
    private final Set<String> unsent = new HashSet<>();
    private final List<Coordinator.JarChecked> answers = new ArrayList<>();

    private RollCheck(ActorContext<Command> context, TimerScheduler<Command> timers, Plan plan, Fleetwide fleet,
                      ActorRef<Coordinator.CheckEnded> reportTo) {
        this.context = context;
        this.timers = timers;
        this.plan = plan;
        this.fleet = fleet;
        this.reportTo = reportTo;
    }

    private Behavior<Command> start() {
        plan.steps().forEach(step -> waiting.add(step.node()));
        unsent.addAll(waiting);
        send();
        timers.startSingleTimer(Timeout.INSTANCE, TIMEOUT);
        return Behaviors.receive(Command.class)
                .onMessage(Coordinator.JarChecked.class, this::onAnswer)
                .onMessageEquals(Resend.INSTANCE, this::send)
                .onMessageEquals(Timeout.INSTANCE, () -> end(new RollDecisions.Checked(null, "no answer to the check from "
                        + String.join(", ", waiting.stream().sorted().toList())
                        + (unsent.isEmpty() ? "" : " (no fleet agent found on " + String.join(", ", unsent.stream().sorted().toList()) + ")")
                        + "; nothing reloaded")))
                .build();
    }

    /** Sends the check to the machines whose agents are now known; the others wait for the next Resend. */
    private Behavior<Command> send() {
        ActorRef<Coordinator.JarChecked> replyTo = context.getSelf().narrow();
        unsent.removeIf(node -> fleet.agent(node).map(agent -> {
            agent.tell(new FleetNode.CheckJar(plan.id(), plan.jar(), plan.sha256(), replyTo));
            return true;
        }).orElse(false));
        if (unsent.isEmpty()) {
            timers.cancel(Resend.INSTANCE);
        } else if (!timers.isTimerActive(Resend.INSTANCE)) {
            timers.startTimerWithFixedDelay(Resend.INSTANCE, RESEND);
        }
        return Behaviors.same();
    }

    private Behavior<Command> onAnswer(Coordinator.JarChecked c) {
        if (!c.planId().equals(plan.id()) || !waiting.remove(c.node())) return Behaviors.same();
        answers.add(c);
        return waiting.isEmpty() ? end(RollDecisions.checked(plan, answers)) : Behaviors.same();
    }

    private Behavior<Command> end(RollDecisions.Checked checked) {
        reportTo.tell(new Coordinator.CheckEnded(plan.id(), checked));
        return Behaviors.stopped();
    }
}
