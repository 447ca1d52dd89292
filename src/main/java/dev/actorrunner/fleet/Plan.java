package dev.actorrunner.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A fleet roll as replicated in Distributed Data (majority writes): which release, which
 * machines in which order, how far each got. Pure: the coordinator asks it what to do next and
 * records what happened; it has no timers and no I/O. A step is identified by plan id and machine,
 * so a repeated one is answered "already done" and a new coordinator resumes from here.
 *
 * @param id          unique per roll: a step is identified by plan id and machine
 * @param releaseId   the id of the roll that first brought this release: its own id, or, for a
 *                    catch-up of machines that joined later, the original roll's. The fleet's
 *                    current release is known by it, so a catch-up settles instead of starting
 *                    catch-ups of its own
 * @param jar         the release's jar path on every machine ("" for a reload to the same settings)
 * @param sha256      its SHA-256: the one given, or the one every machine's check found (pinned
 *                    then, so that later comparisons need no path, which may be a symlink);
 *                    "" only for a reload to the same settings
 * @param maxParallel machines reloading at once
 * @param canary      pause once this many machines are done, until promoted (0: no pause)
 * @param state       running, paused (canary), completed or aborted
 * @param reason      why it was aborted ("" otherwise)
 * @param steps       one per machine, in order
 * @param updatedAt   when anything last changed (epoch ms): progress-deadline counts from here
 */
public record Plan(String id, String releaseId, String jar, String sha256, int maxParallel, int canary, String state, String reason,
                   List<Step> steps, long startedAt, long updatedAt) implements FleetMessage {

    public static final String RUNNING = "running";
    public static final String PAUSED = "paused";
    public static final String COMPLETED = "completed";
    public static final String ABORTED = "aborted";

    /** No roll ever: the register's first value. */
    public static final Plan NONE = new Plan("", "", "", "", 1, 0, COMPLETED, "", List.of(), 0, 0);

    public Plan {
        Objects.requireNonNull(id, "id");
        releaseId = releaseId == null || releaseId.isEmpty() ? id : releaseId;
        steps = List.copyOf(steps);
        reason = reason == null ? "" : reason;
    }

    /**
     * One machine's step: pending, running, done or failed; {@code detail} says how it ended (or
     * what it reloads to); {@code startedAt} is when it was first sent (machine-deadline).
     */
    public record Step(String node, String state, String detail, long startedAt) {
        public static final String PENDING = "pending";
        public static final String RUNNING = "running";
        public static final String DONE = "done";
        public static final String FAILED = "failed";
        /** Not a member of the fleet when its turn came: left as it was. */
        public static final String SKIPPED = "skipped";
    }

    static Plan start(String id, String jar, String sha256, int maxParallel, int canary, List<String> nodes, long now) {
        List<Step> steps = nodes.stream().map(n -> new Step(n, Step.PENDING, "", 0)).toList();
        return new Plan(id, id, jar, sha256, maxParallel, canary, RUNNING, "", steps, now, now);
    }

    /** A roll of {@code nodes} alone to {@code current}'s release, under its budget, without a canary pause. */
    static Plan catchUp(String id, Plan current, List<String> nodes, long now) {
        return start(id, current.jar(), current.sha256(), current.maxParallel(), 0, nodes, now).ofRelease(current.releaseId());
    }

    private Plan ofRelease(String releaseId) {
        return new Plan(id, releaseId, jar, sha256, maxParallel, canary, state, reason, steps, startedAt, updatedAt);
    }

    /** Whether this roll only brings late joiners to an earlier roll's release. */
    boolean isCatchUp() {
        return !releaseId.equals(id);
    }

    /** The same roll with the release's hash as the checks found it (none was given). */
    Plan withSha256(String found) {
        return new Plan(id, releaseId, jar, found, maxParallel, canary, state, reason, steps, startedAt, updatedAt);
    }

    boolean active() {
        return state.equals(RUNNING) || state.equals(PAUSED);
    }

    List<Step> inState(String s) {
        return steps.stream().filter(step -> step.state().equals(s)).toList();
    }

    /** The machines to start now: pending ones, in order, up to max-parallel running at once; none while paused. */
    List<String> toStart() {
        if (!state.equals(RUNNING)) return List.of();
        int free = maxParallel - inState(Step.RUNNING).size();
        return inState(Step.PENDING).stream().limit(Math.max(0, free)).map(Step::node).toList();
    }

    Plan withStep(String node, String stepState, String detail, long now) {
        List<Step> next = new ArrayList<>();
        for (Step s : steps) {
            next.add(!s.node().equals(node) ? s
                    : new Step(node, stepState, detail, stepState.equals(Step.RUNNING) && s.startedAt() == 0 ? now : s.startedAt()));
        }
        return new Plan(id, releaseId, jar, sha256, maxParallel, canary, state, reason, next, startedAt, now).settle(now);
    }

    /** After a step ended: completed when every machine is done, paused at the canary count. */
    private Plan settle(long now) {
        if (!state.equals(RUNNING)) return this;
        long done = inState(Step.DONE).size();
        if (inState(Step.PENDING).isEmpty() && inState(Step.RUNNING).isEmpty()) return withState(COMPLETED, "", now);
        if (canary > 0 && done >= canary && inState(Step.RUNNING).isEmpty() && !inState(Step.PENDING).isEmpty()) {
            return withState(PAUSED, "", now);
        }
        return this;
    }

    Plan withState(String newState, String why, long now) {
        return new Plan(id, releaseId, jar, sha256, maxParallel, canary, newState, why, steps, startedAt, now);
    }

    /** Promoted after the canary: no more pauses. */
    Plan promoted(long now) {
        return new Plan(id, releaseId, jar, sha256, maxParallel, 0, RUNNING, "", steps, startedAt, now);
    }

    /** The release in words: "app-8.jar (sha256 1a2b3c4d5e6f)" or "the same settings". */
    String release() {
        if (jar.isEmpty()) return "the same settings";
        return java.nio.file.Path.of(jar).getFileName() + (sha256.isEmpty() ? "" : " (sha256 " + sha256.substring(0, Math.min(12, sha256.length())) + ")");
    }

    /** One line for status: "plan p-1 to app-8.jar: running, 1 of 3 done, n2 running". */
    String describe() {
        String running = inState(Step.RUNNING).stream().map(Step::node).collect(Collectors.joining(", "));
        return "plan " + id + (isCatchUp() ? " (catch-up to plan " + releaseId + "'s release)" : "") + " to " + release() + ": " + state + ", " + inState(Step.DONE).size() + " of " + steps.size()
                + " done" + (running.isEmpty() ? "" : ", " + running + " reloading")
                + (inState(Step.SKIPPED).isEmpty() ? "" : ", skipped " + inState(Step.SKIPPED).stream().map(Step::node).collect(Collectors.joining(", ")))
                + (state.equals(PAUSED) ? " (canary: fleet promote or fleet abort)" : "")
                + (reason.isEmpty() ? "" : ": " + reason);
    }
}
