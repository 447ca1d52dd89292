package dev.actorrunner;

import akka.Done;
import akka.actor.Cancellable;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.PostStop;
import akka.actor.typed.PreRestart;
import akka.actor.typed.Signal;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.Behaviors;
import dev.actorrunner.ActorRunner.Command;
import dev.actorrunner.ActorRunner.StopAll;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ties a runner to its host's CoordinatedShutdown, so that no worker outlives the host system by
 * accident and none is cut off without its grace when there is time for it.
 *
 * <p>In the phase {@code service-stop} (reached when the host calls {@code terminate()}, when
 * Akka's JVM shutdown hook runs on SIGTERM, or when anything runs CoordinatedShutdown) the runner
 * is sent {@link StopAll}, unless a stop is already under way, and the phase waits until the runner
 * actor has stopped. Akka gives every task of a phase the phase's timeout (5 s by default; 2.6 has
 * no per-task timeout), which is usually shorter than a graceful stop. So that the runner still ends
 * inside the phase, with every exit observed and reported, a second StopAll (SIGKILL at once) goes
 * out {@link #margin(Duration) a little} before the phase times out. Once the runner has stopped
 * for any reason the task is removed, so a host may create and stop runners without leaking tasks.
 *
 * <p>An interceptor rather than a parent actor: the runner keeps its place and name in the host's
 * hierarchy, and the interceptor sees the runner's {@code PostStop} whether it stopped normally or
 * failed.
 */
final class HostShutdown extends BehaviorInterceptor<Command, Command> {

    private static final Logger log = LoggerFactory.getLogger(ActorRunner.class);

    /** What the shutdown task tells the runner; this interceptor turns it into StopAll. */
    sealed interface Private extends Command {}

    /** From the shutdown task: StopAll, unless one was already delivered. */
    private enum HostStopping implements Private { INSTANCE }

    /** From the shutdown task, just before the phase times out: kill whatever is left. */
    private enum HostDeadline implements Private { INSTANCE }

    private final CompletableFuture<Done> stopped = new CompletableFuture<>();
    private final Cancellable task;
    private boolean stopRequested; // only touched on the runner's thread

    /**
     * @param runner the runner's behavior
     * @param grace  how long a graceful stop may take before the runner kills (drain-timeout plus
     *               kill-timeout): only used to warn when the host's shutdown phase is shorter
     */
    static Behavior<Command> around(Behavior<Command> runner, Duration grace) {
        return Behaviors.setup(context -> {
            HostShutdown hook = new HostShutdown(context.getSystem(), context.getSelf(), grace);
            return Behaviors.intercept(() -> hook, runner);
        });
    }

    private HostShutdown(ActorSystem<?> system, ActorRef<Command> self, Duration grace) {
        super(Command.class);
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        String phase = CoordinatedShutdown.PhaseServiceStop();
        Duration phaseTimeout = Duration.ofNanos(shutdown.timeout(phase).toNanos());
        Duration deadline = phaseTimeout.minus(margin(phaseTimeout));
        if (grace.compareTo(deadline) > 0) {
            // Not the actor's logger: the first getLog() call would name the Master's logger after us.
            log.warn("{}: a graceful stop (drain-timeout + kill-timeout = {}) is longer than the host's"
                            + " shutdown phase allows: when the ActorSystem terminates, workers still running after"
                            + " {} are killed; set akka.coordinated-shutdown.phases.{}.timeout above {} to give"
                            + " them their full grace",
                    self.path(), millis(grace), millis(deadline), phase, millis(grace.plus(Duration.ofSeconds(1))));
        }
        this.task = shutdown.addCancellableTask(phase, "actor-runner " + self.path(),
                () -> onHostShutdown(system, self, deadline));
    }

    /** Runs on a CoordinatedShutdown thread: only tells and schedules. */
    private CompletionStage<Done> onHostShutdown(ActorSystem<?> system, ActorRef<Command> self,
                                                 Duration deadline) {
        self.tell(HostStopping.INSTANCE);
        Cancellable kill = system.scheduler().scheduleOnce(deadline,
                () -> self.tell(HostDeadline.INSTANCE), system.executionContext());
        stopped.whenComplete((done, failure) -> kill.cancel());
        return stopped;
    }

    /**
     * Time left between the final SIGKILL and the end of the phase, for the kernel to deliver it,
     * the runner to see every exit and stop: a second is plenty; a fifth of a short phase.
     */
    static Duration margin(Duration phaseTimeout) {
        Duration fifth = phaseTimeout.dividedBy(5);
        return fifth.compareTo(Duration.ofSeconds(1)) < 0 ? fifth : Duration.ofSeconds(1);
    }

    @Override
    public Behavior<Command> aroundReceive(TypedActorContext<Command> ctx, Command msg,
                                           ReceiveTarget<Command> target) {
        if (msg == HostStopping.INSTANCE) {
            // A stop the host already asked for keeps its own grace; a second StopAll would turn
            // it into a kill. (A runner stopping by itself after a boot failure is not seen here:
            // its workers, which never booted, are then killed at once.)
            if (stopRequested) return Behaviors.same();
            msg = StopAll.INSTANCE;
        } else if (msg == HostDeadline.INSTANCE) {
            msg = StopAll.INSTANCE; // while stopping, a StopAll kills every worker at once
        }
        if (msg instanceof StopAll) stopRequested = true;
        return target.apply(ctx, msg);
    }

    @Override
    public Behavior<Command> aroundSignal(TypedActorContext<Command> ctx, Signal signal,
                                          SignalTarget<Command> target) {
        // PreRestart too: a host that wraps the runner in restart supervision (it should not: see
        // ActorRunner) gets a fresh task from the restarted setup, and this one must not linger.
        if (signal instanceof PostStop || signal instanceof PreRestart) {
            task.cancel();
            stopped.complete(Done.getInstance());
        }
        return target.apply(ctx, signal);
    }

    private static String millis(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
