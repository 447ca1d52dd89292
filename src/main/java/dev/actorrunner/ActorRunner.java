package dev.actorrunner;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Front;
import dev.actorrunner.front.FrontBindException;
import dev.actorrunner.front.FrontSettings;
import dev.actorrunner.probe.Probes;
import dev.actorrunner.process.OsProcessLauncher;
import dev.actorrunner.supervisor.Master;
import java.util.List;

/**
 * The runner as a typed actor: spawn {@link #create(RunnerSettings)} in any ActorSystem and drive it
 * with {@link Command}s instead of signals. It forks {@link RunnerSettings#workers()} worker
 * processes at once and keeps that many ready until {@link StopAll}; then it stops itself. It
 * installs no signal handler and never exits the JVM: the CLI does both around it.
 */
public final class ActorRunner {

    private ActorRunner() {}

    /** A runner over real OS processes. */
    public static Behavior<Command> create(RunnerSettings settings) {
        return create(settings, List.of());
    }

    /**
     * A runner over real OS processes whose {@code subscribers} receive every event from the first
     * one on (a {@link Subscribe} sent after spawning may miss the first workers' events). It binds
     * the public address when it starts; if that fails, the actor fails to start (its parent sees
     * the {@link FrontBindException}). Bind first with {@link #bind} to handle that yourself.
     */
    public static Behavior<Command> create(RunnerSettings settings,
                                           List<ActorRef<RunnerEvent>> subscribers) {
        return Master.create(settings, OsProcessLauncher::new, Probes.forReadiness(settings.ready()),
                subscribers, s -> {
                    try {
                        return bind(s);
                    } catch (FrontBindException e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                });
    }

    /** A runner that serves clients through an already bound {@code front}, which it then owns. */
    public static Behavior<Command> create(RunnerSettings settings,
                                           List<ActorRef<RunnerEvent>> subscribers, Front front) {
        return Master.create(settings, OsProcessLauncher::new, Probes.forReadiness(settings.ready()),
                subscribers, s -> front);
    }

    /** Binds the public address of {@code settings}; blocks until bound. Not on an actor's thread. */
    public static Front bind(RunnerSettings settings) throws FrontBindException {
        return Front.bind(FrontSettings.of(settings));
    }

    /** Messages a runner accepts. Not sealed only because the runner's private messages extend it. */
    public interface Command {}

    /**
     * Rolling reload (SIGHUP): every current worker is replaced by a new one, in the order of the
     * settings' reload strategy. One that arrives during a reload is coalesced into one more reload
     * after the current one. Ignored while stopping.
     */
    public enum Reload implements Command { INSTANCE }

    /**
     * Graceful stop (SIGTERM, SIGINT): every worker gets SIGTERM, SIGKILL after kill-timeout, then
     * the runner publishes {@link RunnerEvent.Stopped} and stops. A second StopAll while stopping
     * kills every worker at once.
     */
    public enum StopAll implements Command { INSTANCE }

    /**
     * Changes the desired number of workers: to {@code amount}, or by {@code amount} when
     * {@code relative} (SIGTTIN is {@code by(1)}, SIGTTOU {@code by(-1)}). Never below 1.
     */
    public record Scale(int amount, boolean relative) implements Command {
        public static Scale to(int workers) {
            return new Scale(workers, false);
        }

        public static Scale by(int delta) {
            return new Scale(delta, true);
        }
    }

    /** Asks for a snapshot of the runner's workers; the answer goes to {@code replyTo}. */
    public record GetStatus(ActorRef<RunnerStatus> replyTo) implements Command {}

    /** From now on, {@code subscriber} receives every {@link RunnerEvent}. */
    public record Subscribe(ActorRef<RunnerEvent> subscriber) implements Command {}

    /** Stops sending events to {@code subscriber}. */
    public record Unsubscribe(ActorRef<RunnerEvent> subscriber) implements Command {}
}
