package dev.actorrunner.front;

import java.util.Collection;

/**
 * Slow start: a worker that enters rotation beside warm ones gets a share of new connections (tcp)
 * or requests (http) that ramps up over a window, so a fresh JVM is not handed full traffic while
 * it still interprets and compiles. The ramp is Envoy's slow-start mode with aggression 1: linear
 * in time, from a floor of 10% (nginx and HAProxy ramp from zero; a floor keeps some traffic on
 * the new worker from the first moment, which is what warms it). The weight is applied as a
 * chance: each pick considers a ramping worker with probability equal to its weight, then least
 * open connections decides among those considered; so the share stays proportional at one client
 * as at a hundred, where a weighted least-connections score would give a lone client's requests
 * to the new worker only once its weight were full.
 *
 * <p>Ramping is useless when every worker is new (all are equally cold, and someone must take
 * the traffic), so a worker ramps only if one already in rotation has served for the whole window.
 */
final class SlowStart {
    /** The share a worker starts at (Envoy's min_weight_percent default). */
    static final double FLOOR = 0.1;

    private SlowStart() {}

    /** The weight, in [FLOOR, 1], of a worker {@code elapsed} nanoseconds into a {@code window}-long ramp. */
    static double weight(long elapsed, long window) {
        if (window <= 0 || elapsed >= window) return 1.0;
        return Math.max(FLOOR, Math.max(0, elapsed) / (double) window);
    }

    /**
     * Whether a worker entering rotation now ramps: when the window is not zero and one of the
     * workers in rotation (not draining) entered it at least a window ago.
     */
    static boolean ramps(Collection<Backend> inRotation, long now, long window) {
        if (window <= 0) return false;
        for (Backend b : inRotation) {
            if (!b.draining() && now - b.admittedAt() >= window) return true;
        }
        return false;
    }
}
