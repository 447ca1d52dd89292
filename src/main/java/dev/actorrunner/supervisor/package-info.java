/**
 * One Worker actor per process, and the pure decisions the runner actor carries out: everything a
 * reload decides ({@link dev.actorrunner.supervisor.Rollout}), who to fork ({@link dev.actorrunner.supervisor.Plan}),
 * crash backoff and restarts ({@link dev.actorrunner.supervisor.Restarts}). Processes are reached only through
 * {@link dev.actorrunner.process.ProcessLauncher}. Nothing here imports the facade package above it.
 */
package dev.actorrunner.supervisor;
