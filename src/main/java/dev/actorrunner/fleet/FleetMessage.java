package dev.actorrunner.fleet;

/**
 * What crosses the network between fleet nodes, inside Distributed Data or as a message: bound to
 * {@link FleetSerializer} in the fleet system's config, so Java serialization is never used.
 * Every implementation must be listed in {@link FleetSerializer}'s codecs (a test checks them all).
 */
public interface FleetMessage {}
