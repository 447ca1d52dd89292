package dev.actorrunner.cli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.ChildFailed;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The CLI's root actor: spawns the runner, passes it the signals' commands, and ends the
 * ActorSystem when the runner ends, leaving the exit code in {@code exitCode}. The runner's
 * {@link RunnerEvent.Stopped} says how it ended; a runner that stops without it has failed. The
 * death notice is a system message and may overtake the Stopped event in the mailbox, so a plain
 * stop is judged only after one more trip through the mailbox ({@link RunnerGone}).
 */
final class RunnerGuardian {

    sealed interface Command {}

    /** A command for the runner, from a signal handler. */
    record ToRunner(ActorRunner.Command command) implements Command {}

    /**
     * The runner to spawn, sent once its public port and services are bound.
     *
     * @param exitCode completed with an {@link ExitCodes} value just before this actor stops
     * @param spawned  completed with the runner actor as soon as it exists, for whoever talks to it directly
     */
    record Start(Behavior<ActorRunner.Command> runner, CompletableFuture<Integer> exitCode,
                 CompletableFuture<ActorRef<ActorRunner.Command>> spawned) implements Command {}

    private record Event(RunnerEvent event) implements Command {}

    private enum RunnerGone implements Command { INSTANCE }

    /** The runner has been quiet for {@link #QUIET} since a worker became ready or a reload ended. */
    private enum Quiet implements Command { INSTANCE }

    /** How long after the last worker became ready the start or a reload counts as over. */
    static final Duration QUIET = Duration.ofSeconds(3);

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final ActorRef<ActorRunner.Command> runner;
    private final CompletableFuture<Integer> exitCode;
    private boolean started;

    private RunnerGuardian(ActorContext<Command> context, TimerScheduler<Command> timers,
                           ActorRef<ActorRunner.Command> runner, CompletableFuture<Integer> exitCode) {
        this.context = context;
        this.timers = timers;
        this.runner = runner;
        this.exitCode = exitCode;
    }

    /** @param exitCode completed with an {@link ExitCodes} value just before this actor stops */
    static Behavior<Command> create(Behavior<ActorRunner.Command> runnerBehavior, CompletableFuture<Integer> exitCode) {
        return create(runnerBehavior, exitCode, new CompletableFuture<>());
    }

    /**
     * A guardian that spawns its runner when it gets {@link Start}: the system starts while the
     * CLI still reads its command line and binds the ports, and no worker is forked unless they
     * could be bound.
     */
    static Behavior<Command> awaitingStart() {
        return Behaviors.receive(Command.class)
                .onMessage(Start.class, m -> create(m.runner(), m.exitCode(), m.spawned()))
                .build();
    }

    /** @param spawned completed with the runner actor as soon as it exists, for whoever talks to it directly */
    static Behavior<Command> create(Behavior<ActorRunner.Command> runnerBehavior, CompletableFuture<Integer> exitCode,
                                    CompletableFuture<ActorRef<ActorRunner.Command>> spawned) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            ActorRef<ActorRunner.Command> runner = context.spawn(runnerBehavior, "runner");
            spawned.complete(runner);
            context.watch(runner);
            runner.tell(new ActorRunner.Subscribe(context.messageAdapter(RunnerEvent.class, Event::new)));
            return new RunnerGuardian(context, timers, runner, exitCode).running();
        }));
    }

    private Behavior<Command> running() {
        return Behaviors.receive(Command.class)
                .onMessage(ToRunner.class, this::onToRunner)
                .onMessage(Event.class, this::onEvent)
                .onMessageEquals(RunnerGone.INSTANCE, this::onRunnerGone)
                .onMessageEquals(Quiet.INSTANCE, this::onQuiet)
                .onSignal(Terminated.class, this::onRunnerTerminated)
                .build();
    }

    private Behavior<Command> onToRunner(ToRunner message) {
        runner.tell(message.command());
        return Behaviors.same();
    }

    private Behavior<Command> onEvent(Event message) {
        RunnerEvent e = message.event();
        if (e instanceof RunnerEvent.WorkerListening || e instanceof RunnerEvent.ReloadCompleted) {
            timers.startSingleTimer(Quiet.INSTANCE, QUIET); // a later one postpones it
        }
        if (!(e instanceof RunnerEvent.Stopped stopped)) return Behaviors.same();
        exitCode.complete(stopped.reason() == RunnerEvent.Stopped.Reason.BOOT_FAILED
                ? ExitCodes.BOOT_FAILED : ExitCodes.OK);
        return Behaviors.stopped();
    }

    /** The start, or a reload, is over: what it left behind goes back to the OS ({@link MemoryReturn}). */
    private Behavior<Command> onQuiet() {
        if (started) {
            MemoryReturn.afterReload();
        } else {
            started = true;
            MemoryReturn.afterStart();
        }
        return Behaviors.same();
    }

    private Behavior<Command> onRunnerTerminated(Terminated terminated) {
        if (terminated instanceof ChildFailed failed) {
            context.getLog().error("the runner failed", failed.getCause());
            exitCode.complete(ExitCodes.SOFTWARE);
            return Behaviors.stopped();
        }
        context.getSelf().tell(RunnerGone.INSTANCE);
        return Behaviors.same();
    }

    private Behavior<Command> onRunnerGone() {
        context.getLog().error("the runner stopped without saying why");
        exitCode.complete(ExitCodes.SOFTWARE);
        return Behaviors.stopped();
    }
}
