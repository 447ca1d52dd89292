package dev.actorrunner.fleet;

import dev.actorrunner.RunnerStatus;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How a machine's step begins, decided from what its runner actually runs (a status asked for
 * when the step arrives), not from the fleet agent's memory: that memory ends with the fleet
 * system (downed, restarted with backoff), and a step resent after that must neither queue a
 * second reload to the release nor miss that the release already runs. Pure.
 */
final class LocalStep {
    private LocalStep() {}

    /** What the step does first. */
    sealed interface Start {}

    /** The runner runs the release, every worker ready and no reload under way: done at once. */
    record AlreadyRuns(int generation) implements Start {}

    /** The runner is reloading to the release (an earlier incarnation's step asked for it): follow that reload. */
    record Follow(int generation) implements Start {}

    /** Ask the runner for the reload. */
    enum Reload implements Start { INSTANCE }

    /**
     * @param jar     the release's jar as the plan names it ("" : a reload to the same settings,
     *                which has no release to recognise)
     * @param sha256  its hash ("" : compare real paths)
     * @param realJar {@code jar} with symlinks resolved, if it could be (the runner shows real paths)
     * @param asked   the generation an earlier step of this plan on this node asked the runner for, if one did
     *                ({@link AskedReloads}): that reload is followed, under way, queued or ended, never asked again
     */
    static Start decide(RunnerStatus s, String jar, String sha256, Optional<Path> realJar, OptionalInt asked) {
        if (s.stopping()) return Reload.INSTANCE; // refused by the runner: the step fails and says why
        // The generations that serve: after an aborted reload the old one's workers serve on.
        var serving = s.workers().stream().filter(w -> w.state() == RunnerStatus.State.READY)
                .map(RunnerStatus.Worker::generation).distinct().toList();
        boolean whole = s.readyCount() >= s.desiredWorkers() && !serving.isEmpty();
        int newest = serving.stream().mapToInt(Integer::intValue).max().orElse(s.generation());
        if (asked.isPresent()) {
            int g = asked.getAsInt();
            boolean underWay = s.reload().isPresent() && (s.reload().get().generation() == g
                    || s.reloadQueued() && s.reload().get().generation() < g);
            if (underWay || s.lastReload().filter(r -> r.generation() == g).isPresent()) return new Follow(g);
            // Reloaded again since (a SIGHUP): the step's reload is behind what serves now.
            if (whole && serving.stream().allMatch(gen -> gen >= g)) return new AlreadyRuns(newest);
        }
        if (jar.isEmpty() || s.reloadQueued()) {
            // A queued reload is one whose jar the status does not show; asking for another
            // coalesces with it (the runner merges queued reloads into one, the newest settings winning).
            return Reload.INSTANCE;
        }
        if (s.reload().isPresent()) {
            int target = s.reload().get().generation();
            return runs(s, target, jar, sha256, realJar) ? new Follow(target) : Reload.INSTANCE;
        }
        if (whole && serving.stream().allMatch(g -> runs(s, g, jar, sha256, realJar))) return new AlreadyRuns(newest);
        return Reload.INSTANCE;
    }

    /** Whether {@code generation} runs the release: its hash if one is known, else its real path. */
    private static boolean runs(RunnerStatus s, int generation, String jar, String sha256, Optional<Path> realJar) {
        return s.generations().stream().filter(g -> g.generation() == generation).flatMap(g -> g.jar().stream())
                .anyMatch(j -> !sha256.isEmpty() ? j.sha256().equalsIgnoreCase(sha256)
                        : j.path().equals(realJar.orElse(Path.of(jar))));
    }
}
