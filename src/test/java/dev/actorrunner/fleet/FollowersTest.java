package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.control.FleetControl;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** What a client of `fleet reload --wait` sees as the plan changes. */
class FollowersTest {

    @Test
    void aCanaryPauseEndsTheWaitWithWhatToDoNext() {
        Followers followers = new Followers();
        List<String> lines = new ArrayList<>();
        CompletableFuture<FleetControl.Reply> done = new CompletableFuture<>();
        Plan p = Plan.start("p1", "/srv/r8/app.jar", "", 1, 1, List.of("a", "b"), 1000);
        followers.planChanged(p);
        followers.add(new FleetNode.Follow("p1", lines::add, done));
        followers.planChanged(p.withStep("a", Plan.Step.RUNNING, "", 2000));
        assertFalse(done.isDone());
        followers.planChanged(p.withStep("a", Plan.Step.RUNNING, "", 2000).withStep("a", Plan.Step.DONE, "generation 2", 3000));
        assertEquals(List.of("a: running", "a: done (generation 2)"), lines);
        FleetControl.Reply reply = done.join();
        assertEquals(0, reply.exitCode());
        assertTrue(reply.message().contains("paused") && reply.message().contains("fleet promote or fleet abort"), reply.message());
    }

    @Test
    void anAbortedRollExitsOneAndALeftFleetEndsEveryWait() {
        Followers followers = new Followers();
        CompletableFuture<FleetControl.Reply> aborted = new CompletableFuture<>();
        CompletableFuture<FleetControl.Reply> other = new CompletableFuture<>();
        Plan p = Plan.start("p1", "/srv/r8/app.jar", "", 1, 0, List.of("a"), 1000);
        followers.add(new FleetNode.Follow("p1", line -> {}, aborted));
        followers.add(new FleetNode.Follow("p2", line -> {}, other));
        followers.planChanged(p.withState(Plan.ABORTED, "aborted by the operator", 2000));
        assertEquals(1, aborted.join().exitCode());
        assertFalse(other.isDone());
        followers.leftFleet();
        assertEquals(1, other.join().exitCode());
    }
}
