/**
 * The command line: parses flags into settings, runs one runner in its own ActorSystem, turns
 * signals into runner messages and outcomes into exit codes. Holds no actor logic; the only place
 * that calls {@code System.exit}. Uses only the public API of {@code dev.actorrunner}; internal itself.
 */
package dev.actorrunner.cli;
