package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.RunnerStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EntriesTest {
    private static final Instant T = Instant.parse("2026-12-05T02:00:00Z");

    private static RunnerStatus.Generation gen(int n, String sha) {
        return new RunnerStatus.Generation(n, "app.jar",
                Optional.of(new RunnerStatus.AppJar(Path.of("/srv/releases/" + n + "/app.jar"), sha, "")));
    }

    private static RunnerStatus.Worker worker(int id, int generation, RunnerStatus.State state) {
        return new RunnerStatus.Worker(id, generation, 100 + id, 20000 + id, state, T);
    }

    @Test
    void anEntryShowsTheServingReleaseAndTheLocalReload() {
        RunnerStatus s = new RunnerStatus("app.jar", 2, 2, false, false, 0,
                List.of(worker(3, 2, RunnerStatus.State.READY), worker(4, 2, RunnerStatus.State.READY)), T,
                Optional.empty(), false,
                Optional.of(new RunnerStatus.ReloadResult(2, true, T, Duration.ofSeconds(4), 2, "")), null,
                List.of(gen(2, "bb")));
        NodeEntry e = Entries.of("web-1", "akka://f@h:1", s, "plan p: done", 42);
        assertEquals(new NodeEntry("web-1", "akka://f@h:1", "app.jar", "/srv/releases/2/app.jar", "bb", 2, 2, 2,
                "completed 2", "plan p: done", 42), e);
    }

    @Test
    void afterAnAbortedReloadTheOldReleaseIsShownForItStillServes() {
        RunnerStatus s = new RunnerStatus("app.jar", 2, 2, false, false, 1,
                List.of(worker(1, 1, RunnerStatus.State.READY), worker(2, 1, RunnerStatus.State.READY)), T,
                Optional.empty(), false,
                Optional.of(new RunnerStatus.ReloadResult(2, false, T, Duration.ofSeconds(4), 0, "worker 3 exited")), null,
                List.of(gen(1, "aa"), gen(2, "bb")));
        NodeEntry e = Entries.of("web-1", "", s, "", 42);
        assertEquals(1, e.generation());
        assertEquals("aa", e.sha256());
        assertEquals("aborted 2: worker 3 exited", e.reload());
    }
}
