/**
 * Operating a running runner: the control socket (server and client, one JSON line each way),
 * the status view, and the Prometheus metrics. Talks to the runner only through its public
 * messages ({@link dev.actorrunner.ActorRunner}), from threads of its own, never blocking an actor.
 */
package dev.actorrunner.control;
