package dev.actorrunner.cli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.fleet.Fleet;
import dev.actorrunner.fleet.FleetHost;
import java.nio.file.Path;
import dev.actorrunner.front.Front;
import dev.actorrunner.front.SocketActivation;
import dev.actorrunner.front.FrontBindException;
import dev.actorrunner.process.OsProcessLauncher;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one runner in an ActorSystem of its own until the runner stops, with the signals bridged
 * to it, and returns the exit code. Blocks the calling thread (the CLI's main thread).
 */
final class RunnerHost {

    private static final Logger log = LoggerFactory.getLogger(RunnerHost.class);

    /**
     * The CLI's Akka settings, on top of the host's (application.conf, -D): logs go through slf4j
     * (logback) only, and the CLI, not Akka, decides when the JVM ends: no Akka shutdown hook or
     * exit, since TERM and INT are handled by {@link SignalBridge} and must drain the workers.
     * Kept out of reference.conf: a library must not change an embedding host's logging.
     */
    static final String AKKA_SETTINGS = """
            akka {
              loggers = ["akka.event.slf4j.Slf4jLogger"]
              logging-filter = "akka.event.slf4j.Slf4jLoggingFilter"
              loglevel = INFO
              stdout-loglevel = OFF
              jvm-shutdown-hooks = off
              coordinated-shutdown.exit-jvm = off
              coordinated-shutdown.run-by-jvm-shutdown-hook = off
              # The timer wheel's thread wakes every tick, timers or not: at the default 10ms that
              # alone is ~1% of a core for a runner that sits idle for months (bench/faults.sh).
              # The runner's timers are backoffs, probes and timeouts of 100ms and more.
              scheduler.tick-duration = 50ms
              # The CLI stops its runner (StopAll) before its system ends, so this phase normally
              # has nothing to wait for. Should the system end some other way, it waits for the
              # runner's graceful stop, which the runner's own timers bound by drain-timeout plus
              # kill-timeout: longer than any the settings allow (24d each), so that no worker is
              # cut off before its grace, and no warning says it might be.
              coordinated-shutdown.phases.service-stop.timeout = 49d
              # A runner's actors do little work, and a thread each costs memory: two threads for
              # them, and no extensions loaded at start that the runner never uses (the typed
              # receptionist; serialization, which only a remote or persistent system needs).
              actor.default-dispatcher.fork-join-executor { parallelism-min = 2, parallelism-max = 2 }
              actor.internal-dispatcher.fork-join-executor { parallelism-min = 1, parallelism-max = 2 }
              library-extensions = ["akka.actor.typed.internal.adapter.ActorSystemAdapter$LoadTypedExtensions"]
              actor.typed.library-extensions = []
            }
            """;

    private RunnerHost() {}

    static Config systemConfig() {
        return ConfigFactory.parseString(AKKA_SETTINGS).withFallback(ConfigFactory.load());
    }

    /**
     * The CLI's actor system, its guardian waiting for {@link RunnerGuardian.Start}. Made before
     * the settings are read ({@link Boot}), so nothing in it depends on them.
     */
    static ActorSystem<RunnerGuardian.Command> startSystem() {
        return ActorSystem.create(RunnerGuardian.awaitingStart(), "actor-runner", systemConfig());
    }

    /** Runs until the runner has stopped; one of {@link ExitCodes}. */
    static int run(RunnerSettings settings) {
        return run(settings, () -> settings);
    }

    /** @param reread the settings as a reload reads them (the --config file again) */
    static int run(RunnerSettings settings, Callable<RunnerSettings> reread) {
        return run(settings, new Rereads(reread), Boot.system());
    }

    /**
     * @param booting the actor system, on its way up beside the command line's parsing and the
     *                binds below (the slowest part of a start: Akka's configuration and classes)
     */
    static int run(RunnerSettings settings, Rereads rereads,
                   CompletableFuture<ActorSystem<RunnerGuardian.Command>> booting) {
        Map<String, String> env = System.getenv();
        // An upgrade's next runner: the sockets are the running runner's, handed over, and taken
        // paused: this runner accepts once its workers are ready.
        Optional<Handover.Taker> taker;
        try {
            taker = Handover.Taker.connect(env);
        } catch (Handover.Failed e) {
            if (!Handover.Taker.requested(env) || runnerBeforeAlive(env)) return refuse(e.getMessage(), booting);
            // The runner before died (SIGKILL) before it could hand the socket over, and its socket
            // with it: this runner binds as at any start rather than leave the port to nobody.
            log.warn("{}; the runner before is gone: binding the public address instead", e.getMessage());
            taker = Optional.empty();
        }
        // Bound before any worker: a busy port is a usage error, and no worker is forked for it.
        Front front;
        try {
            // Under systemd's socket activation the socket is systemd's: adopted, not bound, so
            // that a restart queues connections instead of refusing them.
            List<Integer> inherited = SocketActivation.fds(env, ProcessHandle.current().pid());
            front = taker.isPresent() ? ActorRunner.adopt(settings, taker.get().fds(), false)
                    : inherited.isEmpty() ? ActorRunner.bind(settings) : ActorRunner.adopt(settings, inherited);
        } catch (FrontBindException e) {
            taker.ifPresent(t -> t.failed(e.getMessage()));
            return refuse(e.getMessage(), booting);
        }
        // The control socket and metrics port too: one in use is a usage error, before any worker.
        HostServices services;
        try {
            services = HostServices.bind(settings, front, env, taker.isPresent());
        } catch (IOException e) {
            front.close();
            taker.ifPresent(t -> t.failed(e.getMessage()));
            return refuse(e.getMessage(), booting);
        }
        // Only now: a port that cannot be bound is one line on stderr and nothing on stdout.
        log.info("starting {}: {} worker{}, reload strategy {}, ready {}, public address {}",
                settings.appName(), settings.workers(), settings.workers() == 1 ? "" : "s",
                settings.reloadStrategy().setting(), describe(settings.ready()),
                front.addresses().stream().map(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
                        .collect(java.util.stream.Collectors.joining(", ")));
        taker.ifPresent(t -> log.info("upgrade: took {} listening socket{} over from the runner pid {}; accepting once"
                + " {} worker{} ready", t.fds().size(), t.fds().size() == 1 ? "" : "s", t.from(), settings.workers(),
                settings.workers() == 1 ? " is" : "s are"));
        if (taker.isPresent()) rereads.upgrading.set(true); // until the takeover: a HUP now would reload a runner not yet in charge
        // Handlers first, so that no signal meets the JVM's default (exit without draining) while
        // the system starts; one that arrives before the runner exists is passed on once it does.
        CompletableFuture<ActorSystem<RunnerGuardian.Command>> started = new CompletableFuture<>();
        CompletableFuture<Upgrade> upgrades = new CompletableFuture<>();
        SignalBridge.install(command -> started.thenAccept(s -> s.tell(new RunnerGuardian.ToRunner(command))),
                rereads::reload);
        SignalBridge.installUpgrade(() -> upgrades.thenAccept(u -> u.upgrade(Map.of(), line -> {})));
        OsProcessLauncher.prepare(); // the launch wrapper's checks, while the system finishes starting
        ActorSystem<RunnerGuardian.Command> system = booting.join();
        CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        CompletableFuture<ActorRef<ActorRunner.Command>> runner = new CompletableFuture<>();
        system.tell(new RunnerGuardian.Start(ActorRunner.create(settings, List.of(), front), exitCode, runner));
        started.complete(system);
        // The guardian spawns the runner as it takes Start; a guardian that failed first has ended
        // the system, and then there is nothing to attach to.
        ActorRef<ActorRunner.Command> spawned = runner.applyToEither(
                system.getWhenTerminated().toCompletableFuture().thenApply(ended -> null), r -> r).join();
        // The fleet, if any, in an ActorSystem of its own: a downed node's system ends, this one serves on.
        // An upgrade's next runner joins once it takes over: until then the fleet port is the runner before's.
        LateFleet fleet = new LateFleet();
        Runnable joinFleet = () -> {
            if (spawned != null && settings.fleet().enabled()) {
                fleet.set(Fleet.start(settings.fleet(), spawned, rereads.fleetHost(settings), Fleet.cliBase()));
            }
        };
        if (taker.isEmpty()) joinFleet.run();
        Optional<Upgrade> upgrade = Optional.empty();
        Takeover takeover = new Takeover(settings, front, services, env, rereads.upgrading);
        if (spawned != null) {
            upgrade = Optional.of(new Upgrade(settings, front, services, system, spawned, fleet::close, env,
                    rereads.upgrading));
            upgrades.complete(upgrade.get());
            services.attach(system, spawned, rereads::reload,
                    settings.fleet().enabled() ? Optional.of(fleet) : Optional.empty(), upgrade.map(u -> u));
            CompletableFuture<Optional<String>> allReady = AllReady.watch(system, spawned);
            if (taker.isPresent()) {
                takeover.follow(taker.get(), allReady, joinFleet);
            } else {
                allReady.thenAccept(failed -> takeover.started(failed));
            }
        }
        system.getWhenTerminated().toCompletableFuture().join();
        int code = exitCode.getNow(ExitCodes.SOFTWARE);
        upgrade.ifPresent(Upgrade::abandon);
        fleet.close();
        services.close(code);
        takeover.close();
        return code;
    }

    /**
     * Each reload reads the settings again, on a thread of its own (never an actor's, never the
     * signal handler's); the runner waits for the outcome without blocking and refuses the reload
     * with the problem lines if there are any.
     */
    static final class Rereads {
        private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(runnable -> {
            Thread t = new Thread(runnable, "actor-runner-reread");
            t.setDaemon(true);
            return t;
        });
        private final Callable<RunnerSettings> reread;
        /** An upgrade is under way (this runner hands over, or is yet to take over): reloads are refused. */
        final java.util.concurrent.atomic.AtomicBoolean upgrading = new java.util.concurrent.atomic.AtomicBoolean();

        Rereads(Callable<RunnerSettings> reread) {
            this.reread = reread;
        }

        /**
         * The app jar of the last fleet reload that completed: later reloads (SIGHUP, {@code reload})
         * keep running that release rather than the jar the flags or the file name.
         */
        private volatile Path released;

        /** A Reload to the settings read now. */
        ActorRunner.Reload reload() {
            return reload(Optional.ofNullable(released));
        }

        /** A Reload to the settings read now, running {@code jar} if one is given (a fleet reload's release). */
        private ActorRunner.Reload reload(Optional<Path> jar) {
            if (upgrading.get()) {
                return ActorRunner.Reload.reading(CompletableFuture.failedFuture(dev.actorrunner.config.InvalidSettingsException.of(
                        "an upgrade of the runner is under way: reload once it has ended (actor-runner upgrade --wait)")));
            }
            return ActorRunner.Reload.reading(CompletableFuture.supplyAsync(() -> {
                try {
                    RunnerSettings read = reread.call();
                    return jar.flatMap(read::withAppJar).orElse(read);
                } catch (Exception e) {
                    throw new CompletionException(e); // an InvalidSettingsException: the problem lines
                }
            }, THREAD));
        }

        /** How the fleet reloads this runner to another release. */
        FleetHost fleetHost(RunnerSettings started) {
            boolean runsJar = started.withAppJar(Path.of("x.jar")).isPresent();
            return new FleetHost() {
                @Override
                public boolean runsJar() {
                    return runsJar;
                }

                @Override
                public Optional<ActorRunner.Reload> reloadTo(Optional<Path> jar) {
                    if (jar.isPresent() && !runsJar) return Optional.empty();
                    return Optional.of(jar.isPresent() ? reload(jar) : reload());
                }

                @Override
                public void released(Path jar) {
                    released = jar;
                }
            };
        }
    }

    private static boolean runnerBeforeAlive(Map<String, String> env) {
        try {
            long pid = Long.parseLong(env.getOrDefault(Handover.FROM_ENV, "0"));
            return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true; // cannot tell: refuse, as for any failed handover
        }
    }

    /**
     * The fleet this runner is a member of, once it has joined: at start, or for an upgrade's next
     * runner once it took over. Requests before that are answered, not left hanging.
     */
    static final class LateFleet implements dev.actorrunner.control.FleetControl {
        private volatile Fleet fleet;
        private volatile boolean closed;

        synchronized void set(Fleet f) {
            if (closed) {
                f.close();
                return;
            }
            fleet = f;
        }

        /** Leaves the fleet (blocks up to the fleet's own bound); nothing if not in one. */
        synchronized void close() {
            closed = true;
            if (fleet != null) fleet.close();
        }

        @Override
        public java.util.concurrent.CompletionStage<Reply> handle(Map<String, Object> request,
                                                                  java.util.function.Consumer<String> progress) {
            Fleet f = fleet;
            if (f == null) {
                return CompletableFuture.completedFuture(new Reply(ExitCodes.USAGE, closed
                        ? "this runner has left the fleet (it handed over to a new runner)"
                        : "this runner joins the fleet once it has taken over from the runner before", Map.of()));
            }
            return f.handle(request, progress);
        }
    }

    /** A port or socket that cannot be had: one line, exit code 2, and the system started for nothing ends. */
    private static int refuse(String why, CompletableFuture<ActorSystem<RunnerGuardian.Command>> booting) {
        System.err.println("actor-runner: " + why);
        booting.thenAccept(ActorSystem::terminate);
        return ExitCodes.USAGE;
    }

    private static String describe(RunnerSettings.Readiness ready) {
        if (ready instanceof RunnerSettings.Readiness.Http http) return "http:" + http.path();
        if (ready instanceof RunnerSettings.Readiness.Log logLine) return "log:" + logLine.pattern();
        return ready instanceof RunnerSettings.Readiness.None ? "none" : "tcp";
    }
}
