package dev.actorrunner.fleet;

import dev.actorrunner.RunnerStatus;
import java.util.Optional;

/** A node's entry made from its runner's status: pure, so the mapping is tested without Akka. */
final class Entries {
    private Entries() {}

    /**
     * The entry shows the generation that serves: the newest one with a ready worker (after an
     * aborted reload, the old one, whose workers serve on), else the newest; so the fleet's status
     * says which release each machine runs, not which one it tried.
     */
    static NodeEntry of(String name, String address, RunnerStatus s, String lastStep, long now) {
        int serving = s.workers().stream().filter(w -> w.state() == RunnerStatus.State.READY)
                .mapToInt(RunnerStatus.Worker::generation).max().orElse(s.generation());
        Optional<RunnerStatus.Generation> shown = s.generations().stream()
                .filter(g -> g.generation() == serving).findFirst()
                .or(() -> s.generations().stream().filter(g -> g.generation() <= serving).reduce((a, b) -> b));
        Optional<RunnerStatus.AppJar> jar = shown.flatMap(RunnerStatus.Generation::jar);
        return new NodeEntry(name, address, shown.map(RunnerStatus.Generation::app).orElse(s.app()),
                jar.map(j -> j.path().toString()).orElse(""), jar.map(RunnerStatus.AppJar::sha256).orElse(""),
                shown.map(RunnerStatus.Generation::generation).orElse(serving), (int) s.readyCount(),
                s.desiredWorkers(), reload(s), lastStep, now);
    }

    /** The local reload as one phrase. */
    static String reload(RunnerStatus s) {
        if (s.stopping()) return "stopping";
        if (s.reload().isPresent()) {
            RunnerStatus.ReloadProgress r = s.reload().get();
            return "reloading to " + r.generation() + " (" + r.replaced() + " of " + r.toReplace() + " replaced)";
        }
        return s.lastReload().map(r -> r.completed() ? "completed " + r.generation()
                : "aborted " + r.generation() + ": " + r.reason()).orElse("idle");
    }
}
