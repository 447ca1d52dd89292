package dev.actorrunner.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The coordinator's decisions, kept apart from its actions (einhorn's queries): given the plan,
 * the membership as the cluster shows it, the nodes' published entries and the clock, what to
 * write and which machines to send their step. Pure: no timers, no I/O, no Akka; the
 * {@link Coordinator} carries out the answers, and these are tested without a cluster.
 */
final class RollDecisions {
    private RollDecisions() {}

    /** A running step is sent again this often until its end is reported (Akka delivers at most once). */
    static final Duration RESEND = Duration.ofSeconds(5);

    /**
     * The fleet as the coordinator sees it now.
     *
     * @param up          up members: fleet name to unique address (a new incarnation has a new one)
     * @param unreachable the names of unreachable members, sorted
     */
    record Membership(Map<String, String> up, List<String> unreachable) {
        Membership {
            up = Map.copyOf(up);
            unreachable = List.copyOf(unreachable);
        }
    }

    /** machine-deadline and progress-deadline, from the settings. */
    record Deadlines(Duration machine, Duration progress) {}

    /**
     * What a tick decided.
     *
     * @param plan    the plan to write and carry on with: the very instance given when nothing changed
     * @param send    the machines to send their step now (new ones, and unanswered ones again)
     * @param blocked the unreachable members that keep new steps from starting (empty when none)
     */
    record Tick(Plan plan, List<String> send, List<String> blocked) {}

    /**
     * One look at a roll in progress. {@code lastSent} says when each running step was last sent
     * (a coordinator that just took over has sent nothing, so it resends every running step at once).
     */
    static Tick tick(Plan plan, Membership members, Map<String, Long> lastSent, long now, Deadlines limits) {
        // A canary pause waits for an operator, not for machines: no progress is due, so the
        // deadline does not run out on it (it counts again from the promotion). The pause lasts
        // until `fleet promote` or `fleet abort`, and status says so.
        if (plan.state().equals(Plan.RUNNING) && now - plan.updatedAt() > limits.progress().toMillis()) {
            return new Tick(plan.withState(Plan.ABORTED, "no progress for progress-deadline ("
                    + limits.progress().toSeconds() + "s)", now), List.of(), List.of());
        }
        for (Plan.Step s : plan.inState(Plan.Step.RUNNING)) {
            if (now - s.startedAt() > limits.machine().toMillis()) {
                return new Tick(plan.withStep(s.node(), Plan.Step.FAILED, "missed machine-deadline", now)
                        .withState(Plan.ABORTED, s.node() + " missed machine-deadline ("
                                + limits.machine().toSeconds() + "s)", now), List.of(), List.of());
            }
        }
        List<String> send = new ArrayList<>();
        for (Plan.Step s : plan.inState(Plan.Step.RUNNING)) {
            Long sent = lastSent.get(s.node());
            if ((sent == null || now - sent >= RESEND.toMillis()) && members.up().containsKey(s.node())) {
                send.add(s.node());
            }
        }
        // A member that cannot be reached may be reloading, or cut off with the others' quorum:
        // no new step until the cluster has decided (it comes back, or it is downed and removed).
        if (!members.unreachable().isEmpty()) return new Tick(plan, send, members.unreachable());
        Plan next = plan;
        for (String node : plan.toStart()) {
            if (!members.up().containsKey(node)) {
                // Gone from the fleet (stopped, or downed): it is not reloaded now.
                next = next.withStep(node, Plan.Step.SKIPPED, "not a member when its turn came", now);
                continue;
            }
            next = next.withStep(node, Plan.Step.RUNNING, "", now);
            send.add(node);
        }
        return new Tick(next, send, List.of());
    }

    /**
     * The plan after a machine's report: the very instance given when the report changes nothing
     * (another plan's, a machine not running, a "running" answer to a resend). A failed step
     * aborts the roll: nothing is retried blindly.
     */
    static Plan reported(Plan plan, Coordinator.StepReport r, long now) {
        if (!r.planId().equals(plan.id()) || r.state().equals(Plan.Step.RUNNING)) return plan;
        boolean running = plan.inState(Plan.Step.RUNNING).stream().anyMatch(s -> s.node().equals(r.node()));
        if (!running) return plan;
        if (r.state().equals(Plan.Step.DONE)) return plan.withStep(r.node(), Plan.Step.DONE, r.detail(), now);
        return plan.withStep(r.node(), Plan.Step.FAILED, r.detail(), now).withState(Plan.ABORTED, r.node() + ": " + r.detail(), now);
    }

    /** The checks' outcome: the plan to write, or (plan null) why the roll is refused. */
    record Checked(Plan plan, String refusal) {}

    /**
     * Every machine answered the pre-check. Any problem refuses the roll. Without a hash given,
     * the one the machines found is pinned in the plan: a path may be a symlink (releases/current),
     * and a machine's published jar is its real path, so only the hash says which release it runs.
     * Machines whose files at that path differ refuse the roll: which one was meant is unknown.
     */
    static Checked checked(Plan plan, Collection<Coordinator.JarChecked> answers) {
        List<String> problems = answers.stream().filter(a -> !a.problem().isEmpty())
                .sorted(Comparator.comparing(Coordinator.JarChecked::node)).map(a -> a.node() + ": " + a.problem()).toList();
        if (!problems.isEmpty()) return new Checked(null, "refused, nothing reloaded: " + String.join("; ", problems));
        if (plan.jar().isEmpty() || !plan.sha256().isEmpty()) return new Checked(plan, "");
        Map<String, List<String>> nodesByHash = new TreeMap<>();
        answers.stream().filter(a -> !a.sha256().isEmpty()).sorted(Comparator.comparing(Coordinator.JarChecked::node))
                .forEach(a -> nodesByHash.computeIfAbsent(a.sha256().toLowerCase(java.util.Locale.ROOT), h -> new ArrayList<>()).add(a.node()));
        if (nodesByHash.size() > 1) {
            return new Checked(null, "refused, nothing reloaded: the machines' files at " + plan.jar() + " differ ("
                    + nodesByHash.entrySet().stream().map(e -> String.join(", ", e.getValue()) + ": sha256 " + e.getKey().substring(0, 12))
                            .collect(Collectors.joining("; "))
                    + "): copy one release everywhere, or name the one meant with --sha256");
        }
        // No hash at all: the machines run an older agent that does not report one.
        return new Checked(nodesByHash.isEmpty() ? plan : plan.withSha256(nodesByHash.keySet().iterator().next()), "");
    }

    /**
     * The fleet's current release once {@code ended} ended, {@code before} being the current one
     * until then ({@link Plan#NONE} for a coordinator that just started). A catch-up leaves its
     * release current however it ended (its roll completed before), dated by its end, so that only
     * entries written after it count; any other roll that ended becomes the current one.
     */
    static Plan current(Plan ended, Plan before) {
        if (!ended.isCatchUp()) return ended;
        Plan release = before.releaseId().equals(ended.releaseId()) ? before : ended;
        return release.withState(Plan.COMPLETED, "", ended.updatedAt());
    }

    /**
     * The up members behind {@code current} (it completed, to a jar): each one whose entry, written
     * after that roll ended and not in a local reload, shows another hash, and that was not sent to
     * catch up with this release before ({@code caughtUp}: {@link #catchUpKey}s). Sorted by name.
     * A release without a hash (pinned by an older coordinator) is not compared: a path alone may
     * be a symlink, and a wrong "behind" would reload the fleet again and again.
     */
    static List<String> behind(Plan current, Membership members, Map<String, NodeEntry> entries, Set<String> caughtUp) {
        if (!current.state().equals(Plan.COMPLETED) || current.jar().isEmpty() || current.sha256().isEmpty()
                || !members.unreachable().isEmpty()) {
            return List.of();
        }
        return members.up().entrySet().stream().filter(m -> {
            NodeEntry e = entries.get(m.getKey());
            return e != null && e.updatedAt() > current.updatedAt() && !e.reload().startsWith("reloading")
                    && !caughtUp.contains(catchUpKey(m.getValue(), current))
                    && !e.sha256().equalsIgnoreCase(current.sha256());
        }).map(Map.Entry::getKey).sorted().toList();
    }

    /** A member's incarnation and a release: sent to catch up once per pair, never twice. */
    static String catchUpKey(String uniqueAddress, Plan current) {
        return uniqueAddress + " " + current.releaseId();
    }
}
