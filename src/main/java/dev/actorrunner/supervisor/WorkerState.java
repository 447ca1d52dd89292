package dev.actorrunner.supervisor;

/**
 * Where a worker stands in the runner's eyes (its {@link Entry}); the Worker actor's own states
 * are finer (launching, probing). Only STARTING and READY count toward capacity.
 */
public enum WorkerState {
    /** Forked, not yet ready. */
    STARTING,
    /** In rotation. */
    READY,
    /** Out of rotation, finishing its connections. */
    DRAINING,
    /** Out of rotation after failing its liveness checks: its threads are dumped, then it is stopped. */
    UNHEALTHY,
    /** Sent SIGTERM (or never ready and told to stop), waiting for its exit. */
    STOPPING
}
