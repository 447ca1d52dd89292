/**
 * Readiness checks of starting workers (TCP connect, HTTP GET, a log line, none): each runs off
 * the caller's thread, completes within about two seconds, and never fails. Internal: not part of
 * the public API (see {@code dev.actorrunner}).
 */
package dev.actorrunner.probe;
