package dev.actorrunner.cli;

import akka.actor.typed.ActorSystem;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.LoggerFactory;

/**
 * What a runner's start does before it needs it. Most of a start went to work that waits for
 * nothing the command line says: the logging's start, Akka's configuration (every module's
 * reference.conf, parsed) and the actor system's classes. When
 * the command line is a runner's (not a client subcommand's, nor --help or --version), they start
 * at once on a thread of their own, beside the parsing of the command line and the settings.
 */
final class Boot {
    private static final Set<String> NOT_A_RUNNER = Set.of("status", "reload", "scale", "stop", "-h", "--help",
            "-V", "--version");

    private static volatile CompletableFuture<Void> logging;
    private static volatile CompletableFuture<ActorSystem<RunnerGuardian.Command>> system;

    private Boot() {}

    /** From {@code main}, before the command line is parsed. */
    static void early(String[] args) {
        if (args.length > 0 && NOT_A_RUNNER.contains(args[0])) return;
        CompletableFuture<Void> logged = CompletableFuture.runAsync(LoggerFactory::getILoggerFactory, Boot::onItsOwnThread);
        logging = logged;
        // After the logging, on the same thread: Akka's logger must find it started.
        system = logged.thenApply(started -> RunnerHost.startSystem());
    }

    /**
     * Waits until the logging has started, if it was started early: slf4j hands a thread that asks
     * for a logger while another starts it a stand-in, and {@link LogFormats} needs logback's own.
     */
    static void loggingStarted() {
        CompletableFuture<Void> started = logging;
        if (started != null) started.join();
    }

    /** The CLI's actor system: the one started early, or one starting now. */
    static CompletableFuture<ActorSystem<RunnerGuardian.Command>> system() {
        CompletableFuture<ActorSystem<RunnerGuardian.Command>> early = system;
        return early != null ? early : CompletableFuture.supplyAsync(RunnerHost::startSystem, Boot::onItsOwnThread);
    }

    private static void onItsOwnThread(Runnable task) {
        Thread thread = new Thread(task, "actor-runner-boot");
        thread.setDaemon(true);
        thread.start();
    }
}
