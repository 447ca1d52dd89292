package dev.actorrunner.fleet;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The reloads this node's fleet steps asked its runner for: the generation, by plan id. Held by
 * {@link Fleet}, it outlives each fleet system: a step resent after the fleet system restarted
 * finds the reload an earlier incarnation asked for and follows it, also when the release has
 * nothing to be recognised by (a reload to the same settings). Written and read on the agents'
 * threads, one incarnation after another: synchronized.
 */
final class AskedReloads {
    /** Plans remembered: a step is resent only during its own roll, and rolls run one at a time. */
    private static final int KEPT = 16;

    private final Map<String, Integer> byPlan = new LinkedHashMap<>();

    synchronized void asked(String planId, int generation) {
        byPlan.remove(planId);
        byPlan.put(planId, generation);
        if (byPlan.size() > KEPT) byPlan.remove(byPlan.keySet().iterator().next());
    }

    synchronized OptionalInt generationFor(String planId) {
        Integer g = byPlan.get(planId);
        return g == null ? OptionalInt.empty() : OptionalInt.of(g);
    }
}
