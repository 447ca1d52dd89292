package dev.actorrunner.fleet;

import java.util.Objects;

/**
 * One node's status as the fleet sees it, kept in Distributed Data under the node's name; only
 * the node itself writes its entry.
 *
 * @param name       the node's fleet name
 * @param address    its fleet address (akka://actor-runner-fleet@host:port)
 * @param app        what its runner runs, as in its log
 * @param jar        the real path of the newest generation's app jar ("" for a command)
 * @param sha256     that jar's SHA-256 in lower-case hex ("" if unknown)
 * @param generation the runner's newest generation
 * @param ready      workers in rotation
 * @param desired    workers it keeps
 * @param reload     the local reload: "idle", "reloading to 3 (1 of 2 replaced)", "completed 3", "aborted 3: why"
 * @param lastStep   the last fleet step it ran and how it ended ("" before any)
 * @param updatedAt  when the node wrote this, in epoch milliseconds
 */
public record NodeEntry(String name, String address, String app, String jar, String sha256, int generation,
                        int ready, int desired, String reload, String lastStep, long updatedAt) implements FleetMessage {
    public NodeEntry {
        Objects.requireNonNull(name, "name");
        address = address == null ? "" : address;
        app = app == null ? "" : app;
        jar = jar == null ? "" : jar;
        sha256 = sha256 == null ? "" : sha256;
        reload = reload == null ? "" : reload;
        lastStep = lastStep == null ? "" : lastStep;
    }

    /** The same entry, written at {@code millis}. */
    NodeEntry at(long millis) {
        return new NodeEntry(name, address, app, jar, sha256, generation, ready, desired, reload, lastStep, millis);
    }

    /** Equal but for when it was written: nothing to publish. */
    boolean sameAs(NodeEntry other) {
        return other != null && at(0).equals(other.at(0));
    }
}
