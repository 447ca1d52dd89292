package dev.actorrunner.fleet;

import dev.actorrunner.control.FleetControl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The clients of {@code fleet reload --wait} on this node: each plan change they follow becomes
 * progress lines, and the end of their wait an exit code. Owned by the {@link FleetNode} and used
 * only on its thread; no timers (the caller bounds each wait).
 */
final class Followers {
    private final List<FleetNode.Follow> waiting = new ArrayList<>();
    private Plan plan = Plan.NONE;

    /** A new client: told at once if its plan is already known, kept otherwise. */
    void add(FleetNode.Follow f) {
        if (!tell(f, Plan.NONE)) waiting.add(f);
    }

    /** The replicated plan changed: news for every client that follows it. */
    void planChanged(Plan now) {
        Plan before = plan;
        plan = now;
        waiting.removeIf(f -> tell(f, before));
    }

    /** The plan as last replicated here. */
    Plan plan() {
        return plan;
    }

    /**
     * This node left its fleet (downed, partitioned, closing): nobody will tell its followers how
     * the roll ends, so they hear it now instead of waiting for ever.
     */
    void leftFleet() {
        for (FleetNode.Follow f : waiting) {
            f.done().complete(new FleetControl.Reply(1, "this node left its fleet while following plan " + f.planId()
                    + "; `actor-runner fleet status` on another node shows how the roll ends", Map.of()));
        }
        waiting.clear();
    }

    /** Passes the plan's news on to {@code f}; true when its wait is over. */
    private boolean tell(FleetNode.Follow f, Plan before) {
        if (!plan.id().equals(f.planId())) {
            if (!before.id().equals(f.planId())) return false;
            // Replaced by a newer plan before this node saw the followed one end.
            f.done().complete(new FleetControl.Reply(1, "plan " + f.planId() + " was replaced by plan "
                    + plan.id() + " before this node saw it end; see `actor-runner fleet status`", Map.of()));
            return true;
        }
        for (Plan.Step s : plan.steps()) {
            Plan.Step was = before.id().equals(plan.id()) ? before.steps().stream()
                    .filter(b -> b.node().equals(s.node())).findFirst().orElse(null) : null;
            if (!s.state().equals(Plan.Step.PENDING) && (was == null || !was.state().equals(s.state()))) {
                f.progress().accept(s.node() + ": " + s.state() + (s.detail().isEmpty() ? "" : " (" + s.detail() + ")"));
            }
        }
        if (plan.state().equals(Plan.PAUSED)) {
            // A canary pause waits for an operator, for as long as it takes (no deadline runs out
            // on it): the wait ends here, with what to do next, rather than at a timeout.
            f.done().complete(new FleetControl.Reply(0, plan.describe(), Map.of()));
            return true;
        }
        if (plan.active()) return false;
        f.done().complete(new FleetControl.Reply(plan.state().equals(Plan.COMPLETED) ? 0 : 1, plan.describe(), Map.of()));
        return true;
    }
}
