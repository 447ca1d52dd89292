package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlanTest {

    private static Plan plan(int maxParallel, int canary) {
        return Plan.start("p", "/srv/r8/app.jar", "", maxParallel, canary, List.of("a", "b", "c"), 1000);
    }

    @Test
    void machinesGoInOrderMaxParallelAtATime() {
        Plan p = plan(1, 0);
        assertEquals(List.of("a"), p.toStart());
        p = p.withStep("a", Plan.Step.RUNNING, "", 2000);
        assertEquals(List.of(), p.toStart(), "one at a time");
        p = p.withStep("a", Plan.Step.DONE, "generation 2", 3000);
        assertEquals(List.of("b"), p.toStart());
        assertEquals(2000, p.steps().get(0).startedAt(), "a step keeps when it was first sent");
        assertEquals(3000, p.updatedAt());
        Plan two = plan(2, 0);
        assertEquals(List.of("a", "b"), two.toStart());
    }

    @Test
    void theLastMachineDoneCompletesTheRoll() {
        Plan p = plan(3, 0);
        for (String n : List.of("a", "b", "c")) p = p.withStep(n, Plan.Step.RUNNING, "", 2000);
        for (String n : List.of("a", "b", "c")) p = p.withStep(n, Plan.Step.DONE, "", 3000);
        assertEquals(Plan.COMPLETED, p.state());
        assertTrue(!p.active());
    }

    @Test
    void theCanaryPausesUntilPromoted() {
        Plan p = plan(1, 1).withStep("a", Plan.Step.RUNNING, "", 2000).withStep("a", Plan.Step.DONE, "", 3000);
        assertEquals(Plan.PAUSED, p.state());
        assertEquals(List.of(), p.toStart());
        assertTrue(p.describe().contains("fleet promote"), p.describe());
        p = p.promoted(4000);
        assertEquals(Plan.RUNNING, p.state());
        assertEquals(List.of("b"), p.toStart());
        p = p.withStep("b", Plan.Step.RUNNING, "", 5000).withStep("b", Plan.Step.DONE, "", 6000);
        assertEquals(Plan.RUNNING, p.state(), "no second pause after the promotion");
    }

    @Test
    void aSkippedMachineDoesNotHoldTheRollForever() {
        Plan p = plan(1, 0).withStep("a", Plan.Step.SKIPPED, "not a member", 2000);
        assertEquals(List.of("b"), p.toStart());
        p = p.withStep("b", Plan.Step.DONE, "", 3000).withStep("c", Plan.Step.DONE, "", 4000);
        assertEquals(Plan.COMPLETED, p.state());
        assertTrue(p.describe().contains("skipped a"), p.describe());
    }

    @Test
    void anAbortedRollSaysWhichMachinesAreDone() {
        Plan p = plan(1, 0).withStep("a", Plan.Step.DONE, "", 2000).withStep("b", Plan.Step.FAILED, "reload aborted", 3000)
                .withState(Plan.ABORTED, "b: reload aborted", 3000);
        assertEquals("plan p to app.jar: aborted, 1 of 3 done: b: reload aborted", p.describe());
    }

    @Test
    void aCatchUpKeepsItsReleasesIdentityAndSaysWhatItIs() {
        Plan done = plan(1, 1).withSha256("ab".repeat(32));
        Plan c = Plan.catchUp("q", done, List.of("d"), 5000);
        assertEquals("p", c.releaseId());
        assertTrue(c.isCatchUp() && !done.isCatchUp());
        assertEquals(0, c.canary(), "no canary pause for one late machine");
        assertTrue(c.describe().startsWith("plan q (catch-up to plan p's release) to app.jar (sha256 abababababab)"), c.describe());
    }
}
