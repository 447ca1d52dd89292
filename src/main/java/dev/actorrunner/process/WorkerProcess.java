package dev.actorrunner.process;

import java.util.concurrent.CompletionStage;

/**
 * A started worker process. Every method returns at once: signals are sent without waiting, and
 * outcomes arrive as completion stages (so an actor can pipe them to itself).
 */
public interface WorkerProcess {

    long pid();

    /** The private loopback port the worker was told to listen on. */
    int port();

    /** Sends SIGTERM to the worker itself (the app decides what to do with its own children). */
    void terminate();

    /** Sends SIGKILL to the worker, its process group and every descendant. */
    void kill();

    boolean isAlive();

    /**
     * Completes once the process has exited and its stdout and stderr were read to the end (or a
     * short bound passed, when a grandchild keeps the pipes open), so the worker's last lines are
     * logged before anyone hears of its exit. Never fails.
     */
    CompletionStage<ExitStatus> exited();

    /**
     * Completes when a line of output matched {@link LaunchSpec#readyLine()}; never completes when
     * there is no pattern.
     */
    CompletionStage<Void> readyLine();

    /** Resident memory of the worker and everything it started, in bytes; -1 when unknown. Never fails. */
    CompletionStage<Long> rssBytes();

    /**
     * Sends {@code signal} (a JVM prints its threads on QUIT) and records every line the worker
     * prints until {@link Dump#finish()}; then the lines are written whole to a file of their own
     * in {@code dir}, and a log line says where. Returns at once.
     */
    Dump dump(String signal, java.nio.file.Path dir);

    /** A dump being recorded. */
    interface Dump {
        /** Stops recording; the file is written off the caller's thread. Idempotent. */
        void finish();
    }
}
