/**
 * The fleet (issue 15): runners on several machines form an Akka Cluster in an ActorSystem of
 * their own, publish their status in Distributed Data and reload machine by machine.
 */
package dev.actorrunner.fleet;
