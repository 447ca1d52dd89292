/**
 * The Master and Worker actors and the pure planning they use (who to fork, who to stop next,
 * crash backoff and restarts). Processes are reached only through {@link dev.actorrunner.process.ProcessLauncher}.
 */
package dev.actorrunner.supervisor;
