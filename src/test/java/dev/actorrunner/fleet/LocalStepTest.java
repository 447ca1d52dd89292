package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.RunnerStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a machine's step begins, from what its runner runs: a resent step never reloads twice. */
class LocalStepTest {
    private static final String OLD = "77".repeat(32);
    private static final String NEW = "88".repeat(32);
    private static final Path REAL = Path.of("/srv/releases/8/app.jar");
    private static final String LINK = "/srv/releases/current/app.jar";

    private static RunnerStatus.Generation gen(int n, Path jar, String sha) {
        return new RunnerStatus.Generation(n, jar.toString(), Optional.of(new RunnerStatus.AppJar(jar, sha, "")));
    }

    private static RunnerStatus.Worker worker(int id, int generation) {
        return new RunnerStatus.Worker(id, generation, 100 + id, 20000 + id, RunnerStatus.State.READY, Instant.now());
    }

    /** Two workers wanted; {@code readyGens} the generations of the ready ones. */
    private static RunnerStatus status(Optional<Integer> reloadingTo, boolean queued, List<Integer> readyGens) {
        List<RunnerStatus.Worker> workers = new ArrayList<>();
        for (int i = 0; i < readyGens.size(); i++) workers.add(worker(i + 1, readyGens.get(i)));
        return new RunnerStatus("app.jar", 2, 2, reloadingTo.isPresent(), false, 0, workers, Instant.now(),
                reloadingTo.map(g -> new RunnerStatus.ReloadProgress(g, Instant.now(), 2, 0)), queued, Optional.empty(), null,
                List.of(gen(1, Path.of("/srv/releases/7/app.jar"), OLD), gen(2, REAL, NEW)));
    }

    @Test
    void aReleaseThatRunsWholeIsAlreadyDone() {
        assertEquals(new LocalStep.AlreadyRuns(2), LocalStep.decide(status(Optional.empty(), false, List.of(2, 2)), LINK, NEW, Optional.of(REAL)));
        assertEquals(new LocalStep.AlreadyRuns(2), LocalStep.decide(status(Optional.empty(), false, List.of(2, 2)), LINK, "", Optional.of(REAL)),
                "without a hash, by real path: the runner shows the symlink resolved");
    }

    @Test
    void aReloadToTheReleaseUnderWayIsFollowedNotAskedForAgain() {
        assertEquals(new LocalStep.Follow(2), LocalStep.decide(status(Optional.of(2), false, List.of(1, 1)), LINK, NEW, Optional.of(REAL)));
    }

    @Test
    void otherwiseTheRunnerIsAskedToReload() {
        LocalStep.Start reload = LocalStep.Reload.INSTANCE;
        assertEquals(reload, LocalStep.decide(status(Optional.empty(), false, List.of(1, 1)), LINK, NEW, Optional.of(REAL)), "the old release");
        assertEquals(reload, LocalStep.decide(status(Optional.empty(), false, List.of(2)), LINK, NEW, Optional.of(REAL)), "not whole");
        assertEquals(reload, LocalStep.decide(status(Optional.empty(), false, List.of(1, 2)), LINK, NEW, Optional.of(REAL)),
                "an old worker still serves");
        assertEquals(reload, LocalStep.decide(status(Optional.of(2), true, List.of(1, 1)), LINK, NEW, Optional.of(REAL)),
                "a queued reload's jar is unknown: another coalesces with it");
        assertEquals(reload, LocalStep.decide(status(Optional.of(2), false, List.of(1, 1)), LINK, OLD, Optional.of(REAL)),
                "under way to another release");
        assertEquals(reload, LocalStep.decide(status(Optional.empty(), false, List.of(2, 2)), "", "", Optional.empty()),
                "a reload to the same settings has no release to recognise");
    }
}
