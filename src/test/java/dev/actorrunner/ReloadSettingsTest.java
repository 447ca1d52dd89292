package dev.actorrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.process.AppJar;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which settings a reload runs with, without an actor. */
class ReloadSettingsTest {
    private static RunnerSettings s(int workers, String arg) {
        return RunnerSettings.builder(List.of("app", arg)).workers(workers).build();
    }

    private static Optional<AppJar> jar(String sha) {
        return Optional.of(new AppJar(Path.of("/srv/app.jar"), sha, ""));
    }

    @Test
    void theNewestRequestsReadWinsAndAnOlderOneThatFinishesLaterIsStale() {
        ReloadSettings r = new ReloadSettings(s(2, "v1"));
        long first = r.request();
        long second = r.request();
        r.read(second, s(2, "v3"), jar("c3"));
        r.read(first, s(2, "v2"), jar("c2"));
        ReloadSettings.Next next = r.take(s(2, "v1"), 2);
        assertEquals(List.of("app", "v3"), next.settings().command());
        assertEquals(jar("c3"), next.jar());
        assertEquals(List.of("command: [app, v1] -> [app, v3]"), next.changes());
    }

    @Test
    void aReloadWithTheSameSettingsRunsThoseReadLastWithTheJarAsItFoundIt() {
        ReloadSettings r = new ReloadSettings(s(2, "v1"));
        r.read(r.request(), s(2, "v2"), jar("a"));
        RunnerSettings running = r.take(s(2, "v1"), 2).settings();
        r.read(r.request(), null, jar("b"));
        ReloadSettings.Next next = r.take(running, 2);
        assertEquals(List.of("app", "v2"), next.settings().command());
        assertEquals(List.of(), next.changes());
        assertEquals(jar("b"), next.jar(), "a deploy that swapped the jar in place shows");
    }

    @Test
    void theFilesCountAppliesOnlyWhenItChangedSoAScaleStays() {
        ReloadSettings r = new ReloadSettings(s(2, "v1"));
        r.read(r.request(), s(2, "v1"), Optional.empty());
        ReloadSettings.Next same = r.take(s(2, "v1"), 5); // scaled to 5 meanwhile
        assertEquals(5, same.settings().workers());
        assertEquals(List.of(), same.changes());
        r.read(r.request(), s(3, "v1"), Optional.empty());
        ReloadSettings.Next changed = r.take(same.settings(), 5);
        assertEquals(3, changed.settings().workers());
        assertEquals(List.of("workers: 5 -> 3"), changed.changes());
    }

    @Test
    void restartOnlySettingsKeepTheStartsValueAndAreNamed() {
        ReloadSettings r = new ReloadSettings(RunnerSettings.builder(List.of("app")).port(8080).build());
        r.read(r.request(), RunnerSettings.builder(List.of("app")).port(9090).build(), Optional.empty());
        ReloadSettings.Next next = r.take(RunnerSettings.builder(List.of("app")).port(8080).build(), 2);
        assertEquals(8080, next.settings().port());
        assertEquals(List.of("port: 8080 -> 9090"), next.restartOnly());
        assertEquals(List.of(), next.changes());
    }
}
