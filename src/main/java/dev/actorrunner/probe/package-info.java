/**
 * Readiness checks of starting workers (TCP connect, HTTP GET, a log line, none): each runs off
 * the caller's thread, completes within about two seconds, and never fails.
 */
package dev.actorrunner.probe;
