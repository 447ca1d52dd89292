/**
 * actor-runner as a library: a typed actor that runs N copies of a server process and replaces
 * them without downtime. The invariant: while a runner lives, at most N + 1 of its worker
 * processes are starting or ready (N + 1 only during a surge reload), a reload with the surge
 * strategy never takes the number of ready workers below N, and no worker process outlives the
 * runner actor, however the actor ends: stopped, failed, or stopped with its parent or its
 * ActorSystem.
 *
 * <p>The public API is this package ({@link dev.actorrunner.ActorRunner}, its commands,
 * {@link dev.actorrunner.RunnerEvent}, {@link dev.actorrunner.RunnerStatus}) and the settings:
 * {@link dev.actorrunner.config.RunnerSettings} with its builder,
 * {@link dev.actorrunner.config.SettingsLoader#fromConfig} and
 * {@link dev.actorrunner.config.InvalidSettingsException}. Everything else ({@code supervisor},
 * {@code process}, {@code probe}, {@code front}, {@code cli}, {@code demo}) is internal and may
 * change in any release, public modifiers notwithstanding.
 *
 * <p>Built against Akka 2.6.21 (Scala 2.13 artifacts), the last Apache-2.0 release; see the
 * README's "Embedding" section for hosts on other Akka versions.
 */
package dev.actorrunner;
