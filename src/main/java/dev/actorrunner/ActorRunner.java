package dev.actorrunner;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Front;
import dev.actorrunner.front.FrontBindException;
import dev.actorrunner.front.FrontSettings;
import dev.actorrunner.front.Router;
import dev.actorrunner.probe.Probes;
import dev.actorrunner.process.OsProcessLauncher;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The runner as a typed actor: spawn {@link #create(RunnerSettings)} in any ActorSystem and drive it
 * with {@link Command}s instead of signals. It forks {@link RunnerSettings#workers()} worker
 * processes at once, keeps that many ready, replaces them one by one on {@link Reload}, replaces
 * one that dies, and on {@link StopAll} stops them all and then itself.
 *
 * <pre>{@code
 * RunnerSettings settings = SettingsLoader.fromConfig(context.getSystem().settings().config());
 * ActorRef<ActorRunner.Command> runner =
 *         context.spawn(ActorRunner.create(settings, List.of(eventAdapter)), "orders-runner");
 * context.watch(runner);
 * runner.tell(ActorRunner.Reload.INSTANCE);
 * }</pre>
 *
 * <h2>Embedded, it leaves the host alone</h2>
 * It installs no signal handler and never exits the JVM (the CLI does both around it). It runs on
 * the dispatcher it is spawned with (the host's default one unless the host passes {@code Props});
 * starting processes, reading their output and readiness probes run on the library's own few
 * daemon threads, never on the host's dispatchers. It uses no Akka Streams materializer and changes
 * no Akka setting. Settings come from code ({@link RunnerSettings#builder(List)}) or from the
 * {@code actor-runner { }} block of the host's config
 * ({@link dev.actorrunner.config.SettingsLoader#fromConfig}).
 *
 * <h2>When the host stops</h2>
 * The runner registers a task in the host's CoordinatedShutdown, phase {@code service-stop}: when
 * the host ActorSystem terminates (or the JVM gets SIGTERM and Akka's shutdown hook runs), the
 * runner gets {@link StopAll} and the phase waits until every worker has exited. The phase's
 * timeout bounds that wait (Akka's default is 5 s, far below a graceful stop's default of 30 s
 * drain-timeout plus 60 s kill-timeout): a little before it runs out, the workers still alive are
 * SIGKILLed, so the runner still stops within the phase. To give workers their full grace, set
 * {@code akka.coordinated-shutdown.phases.service-stop.timeout} above drain-timeout plus
 * kill-timeout plus one second; the runner warns at start when it is not. No worker outlives the runner actor, however
 * it ends (stopped, failed, or stopped with its parent): a Worker actor that stops kills its
 * process; on Linux the OS kills the workers even when the JVM dies by SIGKILL.
 *
 * <h2>Supervision</h2>
 * A failure inside the runner never reaches the host's other actors. Each worker process is owned
 * by one actor that is never restarted (a restart would lose the process handle): if it fails, it
 * kills its process on the way out and the runner replaces the worker with backoff, as after a
 * crash. If the runner actor itself fails, Akka Typed's default applies: it stops, its worker
 * actors stop and kill their processes, and subscribers get no {@link RunnerEvent.Stopped}; a
 * host that watches the runner gets {@code ChildFailed}. Watch the runner to learn that it ended,
 * and handle {@code Terminated} when you do (an unhandled one fails the watcher with a
 * {@code DeathPactException}). Do not wrap the runner in restart supervision: a restarted runner
 * starts over with new workers, and ends the old ones abruptly.
 *
 * <h2>Several runners</h2>
 * Runners in one ActorSystem are independent: spawn each under its own name, with its own app,
 * its own public {@link RunnerSettings#port()} (0 for any free one; {@link #bind} first to learn
 * which) and its own non-overlapping {@link RunnerSettings#workerPorts()} range.
 */
public final class ActorRunner {

    private ActorRunner() {}

    /**
     * A runner over real OS processes, with no subscriber yet. Events published before a
     * {@link Subscribe} arrives (the first workers starting) are not replayed.
     *
     * @param settings what to run and how; see {@link RunnerSettings#builder(List)}
     * @return the runner's behavior, to spawn once per runner
     */
    public static Behavior<Command> create(RunnerSettings settings) {
        return create(settings, List.of());
    }

    /**
     * A runner over real OS processes whose {@code subscribers} receive every event from the very
     * first one on, which a {@link Subscribe} sent after spawning cannot promise. It binds the
     * public address when it starts; if that fails, the actor fails to start (a watching parent
     * gets {@code ChildFailed} with an IllegalStateException around the {@link FrontBindException}).
     * Bind first with {@link #bind} to handle that yourself.
     *
     * @param settings    what to run and how; see {@link RunnerSettings#builder(List)}
     * @param subscribers receive every {@link RunnerEvent}, as if they had sent {@link Subscribe}
     * @return the runner's behavior, to spawn once per runner
     */
    public static Behavior<Command> create(RunnerSettings settings,
                                           List<ActorRef<RunnerEvent>> subscribers) {
        return embedded(settings, subscribers, s -> {
            try {
                return bind(s);
            } catch (FrontBindException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
    }

    /**
     * A runner that serves clients through an already bound {@code front}, which it then owns.
     *
     * @param front from {@link #bind}; closed when the runner stops
     */
    public static Behavior<Command> create(RunnerSettings settings,
                                           List<ActorRef<RunnerEvent>> subscribers, Front front) {
        Objects.requireNonNull(front, "front");
        return embedded(settings, subscribers, s -> front);
    }

    /** Binds the public address of {@code settings}; blocks until bound. Not on an actor's thread. */
    public static Front bind(RunnerSettings settings) throws FrontBindException {
        return Front.bind(FrontSettings.of(settings));
    }

    /**
     * Serves on listening sockets this process already holds instead of binding the public
     * address: systemd's socket activation ({@link dev.actorrunner.front.SocketActivation#fds}), or a
     * host's own handover of a socket. Not on an actor's thread.
     */
    public static Front adopt(RunnerSettings settings, List<Integer> fds) throws FrontBindException {
        return Front.adopt(FrontSettings.of(settings), fds);
    }

    /**
     * As {@link #adopt(RunnerSettings, List)}; with {@code accepting} false the sockets take no
     * connection until {@link Front#startAccepting()}: a runner that takes over another's sockets
     * (a handover) starts its workers first, while the other one still accepts.
     */
    public static Front adopt(RunnerSettings settings, List<Integer> fds, boolean accepting) throws FrontBindException {
        return Front.adopt(FrontSettings.of(settings), fds, accepting);
    }

    private static Behavior<Command> embedded(RunnerSettings settings, List<ActorRef<RunnerEvent>> subscribers,
                                              Function<RunnerSettings, Router> front) {
        Objects.requireNonNull(settings, "settings");
        List<ActorRef<RunnerEvent>> initial = List.copyOf(subscribers);
        // A graceful stop lasts up to drain-timeout (connections finish) plus kill-timeout (SIGTERM).
        // Probes per generation: a reload may bring another readiness or liveness check.
        return HostShutdown.around(Master.perGeneration(settings, OsProcessLauncher::new,
                s -> Probes.warmed(Probes.forReadiness(s.ready(), s.readyOwnerCheck()), s.warmup()),
                s -> Probes.forHealth(s.liveness(), s.health().timeout()), initial, front),
                settings.drainTimeout().plus(settings.killTimeout()));
    }

    /**
     * Messages a runner accepts: the public ones below, and the runner's own private ones (its
     * timers, its workers' events), which no one else can create.
     */
    public sealed interface Command permits Reload, StopAll, Scale, GetStatus, Subscribe, Unsubscribe,
            Master.Private, HostShutdown.Private {}

    /**
     * Rolling reload (SIGHUP in the CLI): every current worker is replaced by a new one, in the
     * order of {@link RunnerSettings#reloadStrategy()}. Subscribers see
     * {@link RunnerEvent.ReloadStarted}, the workers' events and a {@link RunnerEvent.ReloadStep}
     * per step, {@link RunnerEvent.ReloadServing} once every worker in rotation is new, then
     * {@link RunnerEvent.ReloadCompleted} once every old worker has exited, or
     * {@link RunnerEvent.ReloadAborted}. A reload asked for during a reload is queued: any number
     * of them coalesce into one more, which starts when the running one ends (with the newest
     * settings any of them brought). {@code replyTo}, if not null, gets a {@link ReloadAccepted}
     * (started, or queued), a {@link ReloadRefused} (the settings could not be read) or a
     * {@link Refused} (the runner is stopping).
     *
     * <p>{@code settings}, if not null, is what the new generation runs with once it completes
     * (null, {@link #INSTANCE}: the settings of the last generation). The runner waits for it
     * without blocking (a host reads and checks a config file on a thread of its own), and only
     * then starts or queues the reload. Of those settings, the ones bound once at start (public
     * address and port, mode, io-threads, queue-timeout, http block, worker ports, control
     * socket, metrics, pid file, log format) keep their running value, each differing one logged
     * as a warning; the others apply to the workers the reload forks, and the changes are logged
     * and listed in {@link RunnerEvent.ReloadStarted#changes()}. The worker count applies only when
     * it differs from that of the settings applied last, so that a reload with an unchanged file
     * does not undo a {@link Scale}. A stage that fails (with an
     * {@link dev.actorrunner.config.InvalidSettingsException}: its problem lines) refuses the
     * reload: nothing is forked, the old workers keep serving, the problems are logged one a line
     * and published as {@link RunnerEvent.ReloadRefused}.
     */
    public record Reload(ActorRef<ReloadReply> replyTo, CompletionStage<RunnerSettings> settings) implements Command {
        /** A reload with the same settings, without a reply. */
        public static final Reload INSTANCE = new Reload(null, null);

        /** A reload with the same settings (the first shape of this message, kept for source compatibility). */
        public Reload(ActorRef<ReloadReply> replyTo) {
            this(replyTo, null);
        }

        /** A reload to {@code settings}, without a reply. */
        public static Reload with(RunnerSettings settings) {
            return new Reload(null, CompletableFuture.completedFuture(Objects.requireNonNull(settings, "settings")));
        }

        /** A reload to the settings {@code settings} completes with, without a reply. */
        public static Reload reading(CompletionStage<RunnerSettings> settings) {
            return new Reload(null, Objects.requireNonNull(settings, "settings"));
        }

        /** The same reload, answered to {@code replyTo}. */
        public Reload replyTo(ActorRef<ReloadReply> replyTo) {
            return new Reload(replyTo, settings);
        }
    }

    /**
     * Graceful stop (SIGTERM, SIGINT in the CLI): every worker leaves rotation and gets SIGTERM,
     * and SIGKILL if still alive after kill-timeout; then the runner publishes
     * {@link RunnerEvent.Stopped} and the actor stops (watch it to know when). A second StopAll
     * while stopping kills every worker at once. Also sent by the host's CoordinatedShutdown.
     * {@code replyTo}, if not null, gets a {@link StopAccepted}.
     */
    public record StopAll(ActorRef<StopAccepted> replyTo) implements Command {
        /** A stop without a reply. */
        public static final StopAll INSTANCE = new StopAll(null);
    }

    /**
     * Changes the desired number of workers: to {@code amount}, or by {@code amount} when
     * {@code relative} (SIGTTIN is {@code by(1)}, SIGTTOU {@code by(-1)}), never below 1. Extra
     * workers are forked at once; surplus ones stop (old workers still queued for replacement
     * first, then workers not yet ready, then the oldest). {@code replyTo}, if not null, gets a
     * {@link ScaleAccepted} or a {@link Refused} (the runner is stopping).
     */
    public record Scale(int amount, boolean relative, ActorRef<ScaleReply> replyTo) implements Command {
        /** A scale without a reply. */
        public Scale(int amount, boolean relative) {
            this(amount, relative, null);
        }

        /** Keep {@code workers} workers (at least 1). */
        public static Scale to(int workers) {
            return new Scale(workers, false);
        }

        /** Keep {@code delta} more workers, or fewer if negative (never below 1). */
        public static Scale by(int delta) {
            return new Scale(delta, true);
        }

        /** The same change, answered to {@code replyTo}. */
        public Scale replyTo(ActorRef<ScaleReply> replyTo) {
            return new Scale(amount, relative, replyTo);
        }
    }

    /**
     * Asks for a snapshot of the runner's workers: {@code replyTo} gets one {@link RunnerStatus},
     * also while stopping ({@link RunnerStatus#stopping()}). A runner that has stopped answers
     * nothing, so ask with a timeout ({@code context.ask(RunnerStatus.class, runner, timeout,
     * ActorRunner.GetStatus::new, ...)}).
     */
    public record GetStatus(ActorRef<RunnerStatus> replyTo) implements Command {
        public GetStatus {
            Objects.requireNonNull(replyTo, "replyTo");
        }
    }

    /**
     * From now on {@code subscriber} receives every {@link RunnerEvent}, each once, in the order
     * the runner decided them (events of different workers interleave). Subscribing twice changes
     * nothing. A subscriber that stops (or fails) is dropped; it cannot harm the runner. No reply.
     */
    public record Subscribe(ActorRef<RunnerEvent> subscriber) implements Command {
        public Subscribe {
            Objects.requireNonNull(subscriber, "subscriber");
        }
    }

    /** Stops sending events to {@code subscriber}; unknown subscribers are ignored. No reply. */
    public record Unsubscribe(ActorRef<RunnerEvent> subscriber) implements Command {
        public Unsubscribe {
            Objects.requireNonNull(subscriber, "subscriber");
        }
    }

    /** The answer to a {@link Reload} with a {@code replyTo}. */
    public sealed interface ReloadReply permits ReloadAccepted, ReloadRefused, Refused {}

    /** The answer to a {@link Scale} with a {@code replyTo}. */
    public sealed interface ScaleReply permits ScaleAccepted, Refused {}

    /**
     * The reload asked for is {@code generation}: it started now, replacing {@code toReplace}
     * workers, or ({@code queued}) it will start when the running reload, {@code generation - 1},
     * ends; then {@code toReplace} is 0, as nobody knows yet.
     */
    public record ReloadAccepted(int generation, boolean queued, int toReplace) implements ReloadReply {}

    /**
     * The settings the reload was to run with could not be had: {@code problems}, one line each,
     * as at start ({@code "config: actor-runner.port: expected ..."}). Nothing was forked.
     */
    public record ReloadRefused(List<String> problems) implements ReloadReply {
        public ReloadRefused {
            problems = List.copyOf(problems);
        }
    }

    /** The desired number of workers went from {@code from} to {@code to} (the same when unchanged). */
    public record ScaleAccepted(int from, int to) implements ScaleReply {}

    /**
     * The runner stops {@code workers} workers: it began now, or it was already stopping
     * ({@code alreadyStopping}: then this StopAll killed the workers still alive).
     */
    public record StopAccepted(int workers, boolean alreadyStopping) {}

    /** A command the runner did not carry out, and why ("the runner is stopping"). */
    public record Refused(String reason) implements ReloadReply, ScaleReply {}
}
