package dev.actorrunner.fleet;

import dev.actorrunner.RunnerStatus;
import java.util.Optional;

/** A node's entry made from its runner's status: pure, so the mapping is tested without Akka. */
final class Entries {
    private Entries() {}

    static NodeEntry of(String name, String address, RunnerStatus s, String lastStep, long now) {
        Optional<RunnerStatus.Generation> newest = s.generations().stream()
                .filter(g -> g.generation() == s.generation()).findFirst()
                .or(() -> s.generations().stream().reduce((a, b) -> b));
        Optional<RunnerStatus.AppJar> jar = newest.flatMap(RunnerStatus.Generation::jar);
        return new NodeEntry(name, address, s.app(), jar.map(j -> j.path().toString()).orElse(""),
                jar.map(RunnerStatus.AppJar::sha256).orElse(""), s.generation(), (int) s.readyCount(),
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
