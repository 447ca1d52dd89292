/**
 * The demo app of the README: a tiny HTTP server that drains gracefully on SIGTERM, started by the
 * runner as its own JVM. Not used by the runner itself.
 */
package dev.actorrunner.demo;
