package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * This machine's part of fleet reloads, a child of its {@link FleetNode}: it answers the
 * coordinator's checks and runs its steps, one {@link MachineStep} each. A step is identified by
 * plan id: a repeated one is answered with its state, never run twice; and since this actor's
 * memory ends with its fleet system, a step it has not seen begins from what the runner actually
 * runs ({@link LocalStep}).
 */
final class MachineAgent {

    sealed interface Command {}

    /** The coordinator's pre-check, passed on by the agent. */
    record Check(FleetNode.CheckJar check) implements Command {}

    /** The coordinator's step, passed on by the agent. */
    record Run(FleetNode.RunStep step) implements Command {}

    /** From a {@link MachineStep} child: its step ended. */
    record StepEnded(String planId, boolean ok, String detail) implements Command {}

    private record Checked(String planId, JarCheck.Result result, ActorRef<Coordinator.JarChecked> replyTo) implements Command {}

    /** How a step begins, from the runner's status ({@code start} null: it did not answer, {@code failure} says how). */
    private record StepDecided(FleetNode.RunStep step, LocalStep.Start start, Throwable failure) implements Command {}

    /**
     * @param asked    the reloads steps on this node asked for, kept across fleet systems
     * @param lastStep gets the line on this machine's last fleet step whenever it changes (for its entry)
     */
    static Behavior<Command> create(String name, ActorRef<ActorRunner.Command> runner, FleetHost host, AskedReloads asked,
                                    ActorRef<String> lastStep) {
        return Behaviors.setup(context -> new MachineAgent(context, name, runner, host, asked, lastStep).running());
    }

    private final ActorContext<Command> context;
    private final String name;
    private final ActorRef<ActorRunner.Command> runner;
    private final FleetHost host;
    private final AskedReloads asked;
    private final ActorRef<String> lastStep;
    /** This machine's steps, by plan id: running, done or failed, and what to say about it. */
    private final Map<String, Coordinator.StepReport> steps = new HashMap<>();
    /** Who waits for a running step's end, by plan id: the latest coordinator to ask. */
    private final Map<String, ActorRef<Coordinator.StepReport>> stepWaiters = new HashMap<>();

    private MachineAgent(ActorContext<Command> context, String name, ActorRef<ActorRunner.Command> runner, FleetHost host,
                         AskedReloads asked, ActorRef<String> lastStep) {
        this.context = context;
        context.setLoggerName(MachineAgent.class); // not "ActorCell": the log names who speaks
        this.name = name;
        this.runner = runner;
        this.host = host;
        this.asked = asked;
        this.lastStep = lastStep;
    }

    // Always the same: checks at any time, steps by plan id.
    private Behavior<Command> running() {
        return Behaviors.receive(Command.class)
                .onMessage(Check.class, this::onCheck)
                .onMessage(Checked.class, this::onChecked)
                .onMessage(Run.class, this::onRun)
                .onMessage(StepDecided.class, this::onStepDecided)
                .onMessage(StepEnded.class, this::onStepEnded)
                .build();
    }


    private Behavior<Command> onCheck(Check c) {
        FleetNode.CheckJar m = c.check();
        if (m.jar().isEmpty()) {
            m.replyTo().tell(new Coordinator.JarChecked(m.planId(), name, "", ""));
        } else if (!host.runsJar()) {
            m.replyTo().tell(new Coordinator.JarChecked(m.planId(), name, "this runner runs a command, not an app jar", ""));
        } else {
            context.pipeToSelf(CompletableFuture.supplyAsync(() -> JarCheck.check(Path.of(m.jar()), m.sha256()), blocking()),
                    (result, failure) -> new Checked(m.planId(), result != null ? result
                            : JarCheck.Result.bad("the check failed: " + failure.getMessage()), m.replyTo()));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onChecked(Checked m) {
        m.replyTo().tell(new Coordinator.JarChecked(m.planId(), name, m.result().problem(), m.result().sha256()));
        return Behaviors.same();
    }

    private Behavior<Command> onRun(Run run) {
        FleetNode.RunStep m = run.step();
        Coordinator.StepReport known = steps.get(m.planId());
        if (known != null) {
            // A repeated step (the coordinator resends until it hears the end): its state, never a second run.
            m.replyTo().tell(known);
            if (known.state().equals(Plan.Step.RUNNING)) stepWaiters.put(m.planId(), m.replyTo());
            return Behaviors.same();
        }
        Coordinator.StepReport running = new Coordinator.StepReport(m.planId(), name, Plan.Step.RUNNING, "");
        steps.put(m.planId(), running);
        stepWaiters.put(m.planId(), m.replyTo());
        m.replyTo().tell(running);
        lastStep.tell("plan " + m.planId() + ": reloading");
        // This agent's memory may be younger than the step (its fleet system was restarted since
        // an earlier incarnation began it): the runner's own state says what is left to do.
        CompletableFuture<Optional<Path>> real = m.jar().isEmpty() ? CompletableFuture.completedFuture(Optional.empty())
                : CompletableFuture.supplyAsync(() -> realPath(m.jar()), blocking());
        CompletionStage<RunnerStatus> status = AskPattern.ask(runner, ActorRunner.GetStatus::new, MachineStep.ANSWER_TIMEOUT,
                context.getSystem().scheduler());
        context.pipeToSelf(real.thenCombine(status, (r, s) -> LocalStep.decide(s, m.jar(), m.sha256(), r,
                        asked.generationFor(m.planId()))),
                (start, failure) -> new StepDecided(m, start, failure));
        return Behaviors.same();
    }

    private Behavior<Command> onStepDecided(StepDecided d) {
        FleetNode.RunStep m = d.step();
        Optional<Path> jar = m.jar().isEmpty() ? Optional.empty() : Optional.of(Path.of(m.jar()));
        if (d.start() == null) {
            return onStepEnded(new StepEnded(m.planId(), false, "the runner did not answer for its status: " + d.failure()));
        }
        if (d.start() instanceof LocalStep.AlreadyRuns a) {
            // As a step that reloaded would: later reloads (SIGHUP) keep running the release.
            jar.ifPresent(host::released);
            context.getLog().info("fleet: plan {}: this machine already runs {} (generation {})", m.planId(), m.jar(), a.generation());
            return onStepEnded(new StepEnded(m.planId(), true, "already runs " + m.jar() + " (generation " + a.generation() + ")"));
        }
        OptionalInt follow = d.start() instanceof LocalStep.Follow f ? OptionalInt.of(f.generation()) : OptionalInt.empty();
        context.spawnAnonymous(MachineStep.create(m.planId(), jar, follow, Duration.ofMillis(m.minHealthyMillis()), runner, host,
                asked, context.getSelf().narrow()));
        return Behaviors.same();
    }

    private Behavior<Command> onStepEnded(StepEnded m) {
        Coordinator.StepReport end = new Coordinator.StepReport(m.planId(), name,
                m.ok() ? Plan.Step.DONE : Plan.Step.FAILED, m.detail());
        steps.put(m.planId(), end);
        lastStep.tell("plan " + m.planId() + ": " + end.state() + " (" + m.detail() + ")");
        ActorRef<Coordinator.StepReport> waiter = stepWaiters.remove(m.planId());
        if (waiter != null) waiter.tell(end);
        return Behaviors.same();
    }

    /** Blocking: the jar's real path, which is what the runner's status shows; empty if it cannot be resolved. */
    private static Optional<Path> realPath(String jar) {
        try {
            return Optional.of(Path.of(jar).toRealPath());
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }

    private java.util.concurrent.Executor blocking() {
        return context.getSystem().dispatchers().lookup(akka.actor.typed.DispatcherSelector.blocking());
    }
}
