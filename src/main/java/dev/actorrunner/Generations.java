package dev.actorrunner;

import dev.actorrunner.process.AppJar;
import dev.actorrunner.supervisor.Workers;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What each generation runs, for status: its app's name and its app jar (real path and SHA-256)
 * as read when it began. Generations with no worker left are forgotten, but for the newest. Used
 * on the runner's thread only.
 */
final class Generations {
    private final TreeMap<Integer, RunnerStatus.Generation> known = new TreeMap<>();

    void began(int generation, String app, Optional<AppJar> jar) {
        known.put(generation, new RunnerStatus.Generation(generation, app, jar.map(Generations::publicJar)));
    }

    /** Generation 1's jar, hashed once the runner had started its workers; returned as status shows it. */
    Optional<RunnerStatus.AppJar> hashed(int generation, Optional<AppJar> jar) {
        RunnerStatus.Generation g = known.get(generation);
        if (g != null) known.put(generation, new RunnerStatus.Generation(generation, g.app(), jar.map(Generations::publicJar)));
        return jar.map(Generations::publicJar);
    }

    Optional<RunnerStatus.AppJar> jar(int generation) {
        RunnerStatus.Generation g = known.get(generation);
        return g == null ? Optional.empty() : g.jar();
    }

    /** The generations that still have workers, and the newest. */
    List<RunnerStatus.Generation> snapshot(Workers workers, int newest) {
        known.keySet().removeIf(g -> g != newest && workers.all().stream().noneMatch(w -> w.generation == g));
        return List.copyOf(known.values());
    }

    static RunnerStatus.AppJar publicJar(AppJar jar) {
        return new RunnerStatus.AppJar(jar.path(), jar.sha256(), jar.problem());
    }
}
