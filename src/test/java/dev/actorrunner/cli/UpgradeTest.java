package dev.actorrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The next runner's command line, as {@code actor-runner upgrade} builds it. */
class UpgradeTest {
    @TempDir
    Path dir;

    @Test
    void theNextRunnerRunsThisOnesCommandLineAsTheKernelHasIt() throws Exception {
        List<String> self = Upgrade.ownCommandLine();
        // this JVM's launcher by its path, never "(deleted)" after a JDK update
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), self.get(0));
        ProcessHandle.current().info().arguments().ifPresent(args -> assertEquals(List.of(args), self.subList(1, self.size())));
        assertEquals(self, Upgrade.nextCommand(self, Optional.empty()));
    }

    @Test
    void anotherRunnerJarReplacesTheOneAfterDashJarOnly() throws Exception {
        Path jar = Files.createFile(dir.resolve("actor-runner-2.jar"));
        List<String> self = List.of("/usr/bin/java", "-Xmx256m", "-jar", "/opt/actor-runner.jar", "-w", "2", "app.jar");
        assertEquals(List.of("/usr/bin/java", "-Xmx256m", "-jar", jar.toString(), "-w", "2", "app.jar"),
                Upgrade.nextCommand(self, Optional.of(jar)));
        Handover.Failed missing = assertThrows(Handover.Failed.class,
                () -> Upgrade.nextCommand(self, Optional.of(dir.resolve("nowhere.jar"))));
        assertTrue(missing.getMessage().endsWith("nowhere.jar: no such file"), missing.getMessage());
        Handover.Failed noJar = assertThrows(Handover.Failed.class, () -> Upgrade.nextCommand(
                List.of("java", "-cp", "x", "dev.actorrunner.cli.Main", "app.jar"), Optional.of(jar)));
        assertTrue(noJar.getMessage().contains("not started with java -jar"), noJar.getMessage());
    }
}
