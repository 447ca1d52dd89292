package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.RunnerStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** How a machine's step begins, from what its runner runs: a resent step never reloads twice. */
class LocalStepTest {
    private static final String OLD = "77".repeat(32);
    private static final String NEW = "88".repeat(32);
    private static final Path REAL = Path.of("/srv/releases/8/app.jar");
    private static final String LINK = "/srv/releases/current/app.jar";
    private static final OptionalInt NONE = OptionalInt.empty();

    private static RunnerStatus.Generation gen(int n, Path jar, String sha) {
        return new RunnerStatus.Generation(n, jar.toString(), Optional.of(new RunnerStatus.AppJar(jar, sha, "")));
    }

    private static RunnerStatus.Worker worker(int id, int generation) {
        return new RunnerStatus.Worker(id, generation, 100 + id, 20000 + id, RunnerStatus.State.READY, Instant.now());
    }

    /** Two workers wanted; {@code readyGens} the generations of the ready ones. */
    private static RunnerStatus status(Optional<Integer> reloadingTo, boolean queued, List<Integer> readyGens) {
        return status(reloadingTo, queued, readyGens, Optional.empty());
    }

    private static RunnerStatus status(Optional<Integer> reloadingTo, boolean queued, List<Integer> readyGens,
                                       Optional<RunnerStatus.ReloadResult> last) {
        List<RunnerStatus.Worker> workers = new ArrayList<>();
        for (int i = 0; i < readyGens.size(); i++) workers.add(worker(i + 1, readyGens.get(i)));
        return new RunnerStatus("app.jar", 2, 2, reloadingTo.isPresent(), false, 0, workers, Instant.now(),
                reloadingTo.map(g -> new RunnerStatus.ReloadProgress(g, Instant.now(), 2, 0)), queued, last, null,
                List.of(gen(1, Path.of("/srv/releases/7/app.jar"), OLD), gen(2, REAL, NEW)));
    }

    @Test
    void aReleaseThatRunsWholeIsAlreadyDone() {
        assertEquals(new LocalStep.AlreadyRuns(2), LocalStep.decide(status(Optional.empty(), false, List.of(2, 2)), LINK, NEW, Optional.of(REAL), NONE));
        assertEquals(new LocalStep.AlreadyRuns(2), LocalStep.decide(status(Optional.empty(), false, List.of(2, 2)), LINK, "", Optional.of(REAL), NONE),
                "without a hash, by real path: the runner shows the symlink resolved");
    }

    @Test
    void aReloadToTheReleaseUnderWayIsFollowedNotAskedForAgain() {
        assertEquals(new LocalStep.Follow(2), LocalStep.decide(status(Optional.of(2), false, List.of(1, 1)), LINK, NEW, Optional.of(REAL), NONE));
    }

    @Test
    void otherwiseTheRunnerIsAskedToReload() {
        LocalStep.Start reload = LocalStep.Reload.INSTANCE;
        assertEquals(reload, LocalStep.decide(status(Optional.empty(), false, List.of(1, 1)), LINK, NEW, Optional.of(REAL), NONE), "the old release");
        assertEquals(reload, LocalStep.decide(status(Optional.empty(), false, List.of(2)), LINK, NEW, Optional.of(REAL), NONE), "not whole");
        assertEquals(reload, LocalStep.decide(status(Optional.empty(), false, List.of(1, 2)), LINK, NEW, Optional.of(REAL), NONE),
                "an old worker still serves");
        assertEquals(reload, LocalStep.decide(status(Optional.of(2), true, List.of(1, 1)), LINK, NEW, Optional.of(REAL), NONE),
                "a queued reload's jar is unknown: another coalesces with it");
        assertEquals(reload, LocalStep.decide(status(Optional.of(2), false, List.of(1, 1)), LINK, OLD, Optional.of(REAL), NONE),
                "under way to another release");
        assertEquals(reload, LocalStep.decide(status(Optional.empty(), false, List.of(2, 2)), "", "", Optional.empty(), NONE),
                "a reload to the same settings has no release to recognise");
    }

    private static Optional<RunnerStatus.ReloadResult> ended(int generation, boolean completed) {
        return Optional.of(new RunnerStatus.ReloadResult(generation, completed, Instant.now(), java.time.Duration.ofSeconds(3), 2,
                completed ? "" : "worker 5 exited", Optional.empty()));
    }

    @Test
    void theReloadAnEarlierStepOfThePlanAskedForIsFollowedWhateverTheRelease() {
        OptionalInt asked2 = OptionalInt.of(2);
        assertEquals(new LocalStep.Follow(2), LocalStep.decide(status(Optional.of(2), false, List.of(1, 1)), "", "", Optional.empty(), asked2),
                "a reload to the same settings, under way: it has no release to recognise, the plan's own reload is known");
        assertEquals(new LocalStep.Follow(3), LocalStep.decide(status(Optional.of(2), true, List.of(1, 1)), "", "", Optional.empty(),
                OptionalInt.of(3)), "queued behind the reload under way");
        assertEquals(new LocalStep.Follow(2), LocalStep.decide(status(Optional.empty(), false, List.of(2, 2), ended(2, true)), "", "",
                Optional.empty(), asked2), "ended while no agent followed it: its end and min-healthy-time decide");
        assertEquals(new LocalStep.Follow(2), LocalStep.decide(status(Optional.empty(), false, List.of(1, 1), ended(2, false)), LINK, NEW,
                Optional.of(REAL), asked2), "aborted while no agent followed it: followed to its abort, not retried");
        assertEquals(new LocalStep.AlreadyRuns(3), LocalStep.decide(status(Optional.empty(), false, List.of(3, 3), ended(3, true)), "", "",
                Optional.empty(), asked2), "reloaded again since (a SIGHUP): what serves is newer than the step's reload");
    }
}
