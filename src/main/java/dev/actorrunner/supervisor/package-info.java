/**
 * The Master and Worker actors and the pure planning they use (who to fork, who to stop next,
 * backoff). Processes are reached only through {@link dev.actorrunner.process.ProcessLauncher}.
 */
package dev.actorrunner.supervisor;
