package dev.actorrunner.control;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A running runner as the control socket and the metrics reach it: its ActorSystem (where their
 * actors live) and the runner actor itself, spoken to by its public messages only.
 *
 * @param reload makes the {@link ActorRunner.Reload} a {@code reload} request sends: the CLI's
 *               reads the config file again each time; {@link ActorRunner.Reload#INSTANCE} keeps
 *               the settings
 * @param fleet  the fleet this runner is a member of, if any
 * @param upgrade how the runner hands over to a new runner process, if it can (the CLI's can)
 */
public record RunnerHandle(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner,
                           Supplier<ActorRunner.Reload> reload, java.util.Optional<FleetControl> fleet,
                           java.util.Optional<UpgradeControl> upgrade) {

    public RunnerHandle {
        reload = reload == null ? () -> ActorRunner.Reload.INSTANCE : reload;
        fleet = fleet == null ? java.util.Optional.empty() : fleet;
        upgrade = upgrade == null ? java.util.Optional.empty() : upgrade;
    }

    /** A runner that cannot upgrade itself (the shape before upgrades, kept for source compatibility). */
    public RunnerHandle(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner,
                        Supplier<ActorRunner.Reload> reload, java.util.Optional<FleetControl> fleet) {
        this(system, runner, reload, fleet, java.util.Optional.empty());
    }

    /** A runner in no fleet. */
    public RunnerHandle(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner,
                        Supplier<ActorRunner.Reload> reload) {
        this(system, runner, reload, java.util.Optional.empty());
    }

    /** A runner whose reloads keep its settings. */
    public RunnerHandle(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner) {
        this(system, runner, null);
    }

    /** The runner's status; fails with a TimeoutException if it does not answer in {@code timeout}. */
    public CompletionStage<RunnerStatus> status(Duration timeout) {
        return AskPattern.ask(runner, ActorRunner.GetStatus::new, timeout, system.scheduler());
    }

    /**
     * Hands every event from now on to {@code listener}, on an actor's thread: it must return at
     * once (count, enqueue), never block. For the runner's life.
     */
    public void listen(Consumer<RunnerEvent> listener) {
        ActorRef<RunnerEvent> ref = system.systemActorOf(Behaviors.receive(RunnerEvent.class)
                .onAnyMessage(e -> {
                    listener.accept(e);
                    return Behaviors.same();
                }).build(), "metrics-listener", Props.empty());
        runner.tell(new ActorRunner.Subscribe(ref));
    }
}
