/**
 * The public port: binds it once for the runner's whole life and relays every connection to a
 * ready worker's private loopback port, with Netty on the byte path and nothing of Akka there.
 */
package dev.actorrunner.front;
