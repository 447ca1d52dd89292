package dev.actorrunner.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.process.LaunchSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What a forked worker gets from the settings. */
class WorkerSpecsTest {

    @Test
    void aWorkerLaunchesTheCommandWithItsIdGenerationPortVariableAndEnvironment() {
        RunnerSettings s = RunnerSettings.builder(List.of("app", "--port", "{port}"))
                .portEnv("APP_PORT").extraEnv(Map.of("MODE", "test")).build();
        LaunchSpec spec = WorkerSpecs.launch(s, 7, 3);
        assertEquals(7, spec.workerId());
        assertEquals(3, spec.generation());
        assertEquals(List.of("app", "--port", "{port}"), spec.command());
        assertEquals("APP_PORT", spec.portEnv());
        assertEquals(Map.of("MODE", "test"), spec.extraEnv());
        assertEquals(s.envInherit(), spec.envInherit());
        assertTrue(spec.readyLine().isEmpty(), "readiness by TCP watches no output");
    }

    @Test
    void readinessByLogLineHasTheLauncherWatchForThePattern() {
        Pattern p = Pattern.compile("listening on \\d+");
        RunnerSettings s = RunnerSettings.builder(List.of("app")).ready(new RunnerSettings.Readiness.Log(p)).build();
        assertEquals(p, WorkerSpecs.launch(s, 1, 1).readyLine().orElseThrow());
    }

    @Test
    void aWorkerTimesItsReadinessDrainAndKillAsConfigured() {
        RunnerSettings s = RunnerSettings.builder(List.of("app")).readyTimeout(Duration.ofSeconds(9))
                .probeInterval(Duration.ofMillis(200)).drainTimeout(Duration.ofSeconds(4))
                .killTimeout(Duration.ofSeconds(6)).build();
        assertEquals(new Worker.Timing(Duration.ofSeconds(9), Duration.ofMillis(200), Duration.ofSeconds(4),
                Duration.ofSeconds(6)), WorkerSpecs.timing(s));
    }
}
