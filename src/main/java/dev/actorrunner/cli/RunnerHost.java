package dev.actorrunner.cli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.front.Front;
import dev.actorrunner.front.FrontBindException;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
            }
            """;

    private RunnerHost() {}

    static Config systemConfig() {
        return ConfigFactory.parseString(AKKA_SETTINGS).withFallback(ConfigFactory.load());
    }

    /**
     * {@link #systemConfig()} with CoordinatedShutdown's service-stop phase, in which the runner
     * stops its workers when its system ends, longer than a graceful stop (drain-timeout plus
     * kill-timeout). The CLI stops the runner itself (StopAll) before its system ends, so the
     * phase normally finds nothing to do; sized this way, a system that ends some other way still
     * gives workers their full grace, and the runner has no reason to warn that it cannot.
     */
    static Config systemConfig(RunnerSettings settings) {
        long phaseMillis = settings.drainTimeout().plus(settings.killTimeout()).plusSeconds(5).toMillis();
        return ConfigFactory.parseString("akka.coordinated-shutdown.phases.service-stop.timeout = " + phaseMillis + "ms")
                .withFallback(systemConfig());
    }

    /** Runs until the runner has stopped; one of {@link ExitCodes}. */
    static int run(RunnerSettings settings) {
        // Bound before anything starts: a busy port is a usage error, and no worker is forked for it.
        Front front;
        try {
            front = ActorRunner.bind(settings);
        } catch (FrontBindException e) {
            System.err.println("actor-runner: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        // The control socket and metrics port too: one in use is a usage error, before any worker.
        HostServices services;
        try {
            services = HostServices.bind(settings, front, System.getenv());
        } catch (IOException e) {
            front.close();
            System.err.println("actor-runner: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        // Only now: a port that cannot be bound is one line on stderr and nothing on stdout.
        log.info("starting {}: {} worker{}, reload strategy {}, ready {}, public address {}:{}",
                settings.appName(), settings.workers(), settings.workers() == 1 ? "" : "s",
                settings.reloadStrategy().setting(), describe(settings.ready()), settings.bindHost(),
                settings.port());
        CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        // Handlers first, so that no signal meets the JVM's default (exit without draining) while
        // the system starts; one that arrives before the system exists is passed on once it does.
        CompletableFuture<ActorSystem<RunnerGuardian.Command>> started = new CompletableFuture<>();
        SignalBridge.install(command -> started.thenAccept(s -> s.tell(new RunnerGuardian.ToRunner(command))));
        CompletableFuture<ActorRef<ActorRunner.Command>> runner = new CompletableFuture<>();
        ActorSystem<RunnerGuardian.Command> system = ActorSystem.create(
                RunnerGuardian.create(ActorRunner.create(settings, List.of(), front), exitCode, runner), "actor-runner",
                systemConfig(settings));
        started.complete(system);
        // The guardian spawns the runner as it starts, moments after create(); a guardian that failed
        // first has ended the system, and then there is nothing to attach to.
        ActorRef<ActorRunner.Command> spawned = runner.applyToEither(
                system.getWhenTerminated().toCompletableFuture().thenApply(ended -> null), r -> r).join();
        if (spawned != null) services.attach(system, spawned);
        system.getWhenTerminated().toCompletableFuture().join();
        int code = exitCode.getNow(ExitCodes.SOFTWARE);
        services.close(code);
        return code;
    }

    private static String describe(RunnerSettings.Readiness ready) {
        if (ready instanceof RunnerSettings.Readiness.Http http) return "http:" + http.path();
        if (ready instanceof RunnerSettings.Readiness.Log logLine) return "log:" + logLine.pattern();
        return ready instanceof RunnerSettings.Readiness.None ? "none" : "tcp";
    }
}
