package dev.actorrunner.process;

import java.util.concurrent.CompletionStage;

/**
 * Starts worker processes. The real one ({@link OsProcessLauncher}) forks OS processes; protocol
 * tests use a fake. Implementations never block the caller: the stage completes off its thread.
 */
public interface ProcessLauncher {

    /**
     * Starts a worker on a private port chosen by the launcher. Fails the stage (with a
     * {@link LaunchException} carrying one readable line) if the process cannot be started.
     */
    CompletionStage<WorkerProcess> launch(LaunchSpec spec);

    /** Releases whatever the launcher holds (threads, the orphan watchdog). Idempotent. */
    default void close() {}
}
