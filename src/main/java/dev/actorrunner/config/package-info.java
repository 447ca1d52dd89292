/**
 * Builds immutable, validated {@link dev.actorrunner.config.RunnerSettings} from the jar's
 * reference.conf, a HOCON file, the environment and command-line flags, later winning.
 * Validation reports every bad input at once, one line each, naming the key or flag.
 */
package dev.actorrunner.config;
