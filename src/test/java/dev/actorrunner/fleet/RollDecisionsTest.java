package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's protocol, decision by decision: what a tick starts, resends and aborts, what a
 * report changes, what the checks pin, and who a catch-up brings to the current release.
 */
class RollDecisionsTest {
    private static final String SHA8 = "88".repeat(32);
    private static final String SHA7 = "77".repeat(32);
    private static final RollDecisions.Deadlines LIMITS = new RollDecisions.Deadlines(Duration.ofMinutes(5), Duration.ofMinutes(10));
    private static final long MIN = 60_000;

    private static RollDecisions.Membership up(String... names) {
        Map<String, String> up = new HashMap<>();
        for (String n : names) up.put(n, "akka://actor-runner-fleet@" + n + ":2551#1");
        return new RollDecisions.Membership(up, List.of());
    }

    private static RollDecisions.Membership unreachable(RollDecisions.Membership m, String... names) {
        return new RollDecisions.Membership(m.up(), List.of(names));
    }

    private static Plan plan(int maxParallel, int canary) {
        return Plan.start("p1", "/srv/releases/current/app.jar", SHA8, maxParallel, canary, List.of("a", "b", "c"), 1000);
    }

    private static Coordinator.StepReport report(String node, String state) {
        return new Coordinator.StepReport("p1", node, state, state.equals(Plan.Step.DONE) ? "generation 2" : "reload 2 aborted");
    }

    @Test
    void theFirstTickStartsMaxParallelMachinesInOrder() {
        RollDecisions.Tick t = RollDecisions.tick(plan(2, 0), up("a", "b", "c"), Map.of(), 2000, LIMITS);
        assertEquals(List.of("a", "b"), t.send());
        assertEquals(List.of(Plan.Step.RUNNING, Plan.Step.RUNNING, Plan.Step.PENDING),
                t.plan().steps().stream().map(Plan.Step::state).toList());
    }

    @Test
    void anUnansweredStepIsSentAgainAfterTheResendInterval() {
        Plan running = RollDecisions.tick(plan(1, 0), up("a", "b", "c"), Map.of(), 2000, LIMITS).plan();
        Map<String, Long> sent = Map.of("a", 2000L);
        RollDecisions.Tick soon = RollDecisions.tick(running, up("a", "b", "c"), sent, 2000 + RollDecisions.RESEND.toMillis() - 1, LIMITS);
        assertEquals(List.of(), soon.send(), "not before the interval");
        assertSame(running, soon.plan(), "nothing changed: nothing to write");
        RollDecisions.Tick later = RollDecisions.tick(running, up("a", "b", "c"), sent, 2000 + RollDecisions.RESEND.toMillis(), LIMITS);
        assertEquals(List.of("a"), later.send());
        assertSame(running, later.plan(), "a resend changes no plan");
    }

    @Test
    void aNewCoordinatorResumesAPlanByResendingItsRunningStepsAtOnce() {
        // As a coordinator that took over reads it: "a" done, "b" running, "c" pending; it sent nothing yet.
        Plan read = plan(1, 0).withStep("a", Plan.Step.RUNNING, "", 2000).withStep("a", Plan.Step.DONE, "", 3000)
                .withStep("b", Plan.Step.RUNNING, "", 4000);
        RollDecisions.Tick t = RollDecisions.tick(read, up("a", "b", "c"), Map.of(), 5000, LIMITS);
        assertEquals(List.of("b"), t.send(), "the running step again, and no second one (max-parallel 1)");
        assertSame(read, t.plan());
        Plan done = RollDecisions.reported(read, report("b", Plan.Step.DONE), 6000);
        assertEquals(List.of("c"), RollDecisions.tick(done, up("a", "b", "c"), Map.of(), 7000, LIMITS).send());
        assertSame(done, RollDecisions.reported(done, report("b", Plan.Step.DONE), 8000), "a repeated report changes nothing");
        assertSame(done, RollDecisions.reported(done, new Coordinator.StepReport("p0", "c", Plan.Step.DONE, ""), 8000),
                "another plan's report changes nothing");
    }

    @Test
    void noStepStartsWhileAMemberIsUnreachableButRunningOnesAreResent() {
        Plan running = RollDecisions.tick(plan(1, 0), up("a", "b", "c"), Map.of(), 2000, LIMITS).plan();
        Plan aDone = RollDecisions.reported(running, report("a", Plan.Step.DONE), 3000);
        RollDecisions.Tick blocked = RollDecisions.tick(aDone, unreachable(up("a", "b", "c"), "c"), Map.of(), 4000, LIMITS);
        assertEquals(List.of(), blocked.send());
        assertEquals(List.of("c"), blocked.blocked());
        assertSame(aDone, blocked.plan());
        Plan two = plan(2, 0).withStep("a", Plan.Step.RUNNING, "", 2000);
        assertEquals(List.of("a"), RollDecisions.tick(two, unreachable(up("a", "b", "c"), "c"), Map.of(), 4000, LIMITS).send(),
                "a running step is still resent; only new ones wait");
    }

    @Test
    void aMachineNotAMemberWhenItsTurnComesIsSkipped() {
        RollDecisions.Tick t = RollDecisions.tick(plan(1, 0), up("b", "c"), Map.of(), 2000, LIMITS);
        assertEquals(Plan.Step.SKIPPED, t.plan().steps().get(0).state());
        assertEquals(List.of("b"), RollDecisions.tick(t.plan(), up("b", "c"), Map.of(), 3000, LIMITS).send(), "the next one, next tick");
    }

    @Test
    void aStepPastMachineDeadlineAbortsTheRoll() {
        Plan running = RollDecisions.tick(plan(1, 0), up("a", "b", "c"), Map.of(), 2000, LIMITS).plan();
        RollDecisions.Tick t = RollDecisions.tick(running, up("a", "b", "c"), Map.of("a", 2000L), 2000 + 5 * MIN + 1, LIMITS);
        assertEquals(Plan.ABORTED, t.plan().state());
        assertEquals("a missed machine-deadline (300s)", t.plan().reason());
        assertEquals(Plan.Step.FAILED, t.plan().steps().get(0).state());
        assertEquals(List.of(), t.send());
    }

    @Test
    void aRollWithoutProgressForProgressDeadlineIsAborted() {
        RollDecisions.Deadlines longMachine = new RollDecisions.Deadlines(Duration.ofHours(1), Duration.ofMinutes(10));
        Plan running = RollDecisions.tick(plan(1, 0), up("a", "b", "c"), Map.of(), 2000, longMachine).plan();
        RollDecisions.Tick t = RollDecisions.tick(running, up("a", "b", "c"), Map.of("a", 2000L), 2000 + 10 * MIN + 1, longMachine);
        assertEquals(Plan.ABORTED, t.plan().state());
        assertEquals("no progress for progress-deadline (600s)", t.plan().reason());
    }

    @Test
    void aFailedStepAbortsTheRoll() {
        Plan running = RollDecisions.tick(plan(1, 0), up("a", "b", "c"), Map.of(), 2000, LIMITS).plan();
        Plan failed = RollDecisions.reported(running, report("a", Plan.Step.FAILED), 3000);
        assertEquals(Plan.ABORTED, failed.state());
        assertEquals("a: reload 2 aborted", failed.reason());
        assertSame(running, RollDecisions.reported(running, report("a", Plan.Step.RUNNING), 3000), "a 'running' answer changes nothing");
    }

    @Test
    void aCanaryPauseWaitsForPromotionPastProgressDeadlineThenGoesOn() {
        Plan running = RollDecisions.tick(plan(1, 1), up("a", "b", "c"), Map.of(), 2000, LIMITS).plan();
        Plan paused = RollDecisions.reported(running, report("a", Plan.Step.DONE), 3000);
        assertEquals(Plan.PAUSED, paused.state());
        RollDecisions.Tick hourLater = RollDecisions.tick(paused, up("a", "b", "c"), Map.of(), 3000 + 60 * MIN, LIMITS);
        assertSame(paused, hourLater.plan(), "the pause waits for an operator, not for machines: no deadline runs out");
        assertEquals(List.of(), hourLater.send(), "nothing starts while paused");
        Plan promoted = paused.promoted(3000 + 60 * MIN);
        RollDecisions.Tick t = RollDecisions.tick(promoted, up("a", "b", "c"), Map.of(), 3001 + 60 * MIN, LIMITS);
        assertEquals(List.of("b"), t.send());
        RollDecisions.Tick stalled = RollDecisions.tick(t.plan(), up("a", "b", "c"), Map.of("b", 3001 + 60 * MIN),
                3002 + 70 * MIN, new RollDecisions.Deadlines(Duration.ofHours(1), Duration.ofMinutes(10)));
        assertEquals(Plan.ABORTED, stalled.plan().state(), "progress-deadline counts again from the promotion");
    }

    @Test
    void aCanaryPauseEndsByAbortWithTheCanariesOnTheNewRelease() {
        Plan paused = RollDecisions.reported(RollDecisions.tick(plan(1, 1), up("a", "b", "c"), Map.of(), 2000, LIMITS).plan(),
                report("a", Plan.Step.DONE), 3000);
        Plan aborted = paused.withState(Plan.ABORTED, "aborted by the operator", 4000);
        assertEquals("plan p1 to app.jar (sha256 888888888888): aborted, 1 of 3 done: aborted by the operator", aborted.describe());
        assertTrue(!aborted.active());
    }

    // ---- the checks ----

    private static Plan unhashed() {
        return Plan.start("p1", "/srv/releases/current/app.jar", "", 1, 0, List.of("a", "b"), 1000);
    }

    @Test
    void withoutAHashGivenTheHashTheMachinesFoundIsPinned() {
        RollDecisions.Checked c = RollDecisions.checked(unhashed(), List.of(
                new Coordinator.JarChecked("p1", "a", "", SHA8), new Coordinator.JarChecked("p1", "b", "", SHA8.toUpperCase())));
        assertEquals(SHA8, c.plan().sha256());
        assertEquals("", c.refusal());
    }

    @Test
    void machinesWithDifferentFilesAtThePathRefuseTheRoll() {
        RollDecisions.Checked c = RollDecisions.checked(unhashed(), List.of(
                new Coordinator.JarChecked("p1", "b", "", SHA7), new Coordinator.JarChecked("p1", "a", "", SHA8)));
        assertNull(c.plan());
        assertEquals("refused, nothing reloaded: the machines' files at /srv/releases/current/app.jar differ"
                + " (b: sha256 777777777777; a: sha256 888888888888): copy one release everywhere, or name the one meant with --sha256",
                c.refusal());
    }

    @Test
    void anyProblemRefusesTheRoll() {
        RollDecisions.Checked c = RollDecisions.checked(unhashed(), List.of(new Coordinator.JarChecked("p1", "b", "no such file", ""),
                new Coordinator.JarChecked("p1", "a", "", SHA8)));
        assertEquals("refused, nothing reloaded: b: no such file", c.refusal());
    }

    // ---- catch-up ----

    private static NodeEntry entry(String name, String sha, long at) {
        return new NodeEntry(name, "", "app.jar", "/srv/releases/8/app.jar", sha, 2, 2, 2, "completed 2", "", at);
    }

    /** The roll through a symlink (releases/current) completed; the machines publish the real path. */
    private static Plan completed() {
        Plan p = Plan.start("p1", "/srv/releases/current/app.jar", "", 3, 0, List.of("a", "b"), 1000).withSha256(SHA8);
        return p.withStep("a", Plan.Step.DONE, "", 2000).withStep("b", Plan.Step.DONE, "", 3000);
    }

    @Test
    void machinesOnTheReleaseThroughASymlinkAreNotBehind() {
        Plan current = RollDecisions.current(completed(), Plan.NONE);
        assertEquals(Plan.COMPLETED, current.state());
        Map<String, NodeEntry> entries = Map.of("a", entry("a", SHA8, 5000), "b", entry("b", SHA8, 5000));
        assertEquals(List.of(), RollDecisions.behind(current, up("a", "b"), entries, Set.of()),
                "the published path is the real one (/srv/releases/8), the plan's a symlink: the hash decides");
    }

    @Test
    void aNodeJoiningOnTheOldReleaseIsBroughtToItOnceAndTheCatchUpSettles() {
        Plan current = RollDecisions.current(completed(), Plan.NONE);
        Map<String, NodeEntry> entries = new HashMap<>(Map.of("a", entry("a", SHA8, 5000), "b", entry("b", SHA8, 5000),
                "c", entry("c", SHA7, 5000)));
        Set<String> caughtUp = new HashSet<>();
        List<String> behind = RollDecisions.behind(current, up("a", "b", "c"), entries, caughtUp);
        assertEquals(List.of("c"), behind);
        caughtUp.add(RollDecisions.catchUpKey(up("c").up().get("c"), current));

        Plan catchUp = Plan.catchUp("p2", current, behind, 6000);
        assertEquals("p1", catchUp.releaseId(), "a catch-up keeps the release's identity");
        assertEquals(SHA8, catchUp.sha256());
        assertEquals(0, catchUp.canary());
        Plan caughtUpDone = catchUp.withStep("c", Plan.Step.RUNNING, "", 6000).withStep("c", Plan.Step.DONE, "", 9000);
        assertEquals(Plan.COMPLETED, caughtUpDone.state());

        Plan after = RollDecisions.current(caughtUpDone, current);
        assertEquals("p1", after.releaseId());
        assertEquals(9000, after.updatedAt(), "only entries written after the catch-up count");
        entries.put("c", entry("c", SHA8, 10_000));
        assertEquals(List.of(), RollDecisions.behind(after, up("a", "b", "c"), entries, caughtUp), "settled");
        // A coordinator that takes over reads the catch-up plan as the current release: settled too.
        Plan read = RollDecisions.current(caughtUpDone, Plan.NONE);
        assertEquals("p1", read.releaseId());
        assertEquals(List.of(), RollDecisions.behind(read, up("a", "b", "c"), entries, Set.of()));
    }

    @Test
    void aMemberIsSentToCatchUpOncePerIncarnationAndRelease() {
        Plan current = RollDecisions.current(completed(), Plan.NONE);
        Map<String, NodeEntry> entries = Map.of("c", entry("c", SHA7, 5000));
        Set<String> caughtUp = Set.of(RollDecisions.catchUpKey(up("c").up().get("c"), current));
        assertEquals(List.of(), RollDecisions.behind(current, up("c"), entries, caughtUp), "its catch-up failed: not again");
        Map<String, String> restarted = Map.of("c", "akka://actor-runner-fleet@c:2551#2");
        assertEquals(List.of("c"), RollDecisions.behind(current, new RollDecisions.Membership(restarted, List.of()), entries, caughtUp),
                "a new incarnation is tried again");
        Plan failedCatchUp = Plan.catchUp("p3", current, List.of("c"), 6000).withStep("c", Plan.Step.FAILED, "x", 7000)
                .withState(Plan.ABORTED, "c: x", 7000);
        assertEquals("p1", RollDecisions.current(failedCatchUp, current).releaseId(), "a failed catch-up leaves the release current");
    }

    @Test
    void noCatchUpWhileAMemberIsUnreachableOrForEntriesOlderThanTheRoll() {
        Plan current = RollDecisions.current(completed(), Plan.NONE);
        assertEquals(List.of(), RollDecisions.behind(current, unreachable(up("c"), "b"), Map.of("c", entry("c", SHA7, 5000)), Set.of()));
        assertEquals(List.of(), RollDecisions.behind(current, up("c"), Map.of("c", entry("c", SHA7, 3000)), Set.of()),
                "written before the roll ended: may predate its last step");
    }

    @Test
    void aReleaseWithoutAHashIsNeverComparedByPath() {
        Plan legacy = Plan.start("p0", "/srv/releases/current/app.jar", "", 3, 0, List.of("a"), 1000)
                .withStep("a", Plan.Step.DONE, "", 2000);
        assertEquals(List.of(), RollDecisions.behind(legacy, up("a"), Map.of("a", entry("a", SHA8, 5000)), Set.of()),
                "its path may be a symlink: a wrong 'behind' would reload the fleet again and again");
    }
}
