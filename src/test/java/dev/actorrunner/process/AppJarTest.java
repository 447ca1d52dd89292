package dev.actorrunner.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppJarTest {
    @TempDir
    Path dir;

    @Test
    void onlyAJavaDashJarArgvHasAnAppJar() {
        assertEquals(Optional.of(Path.of("/srv/app.jar")), AppJar.in(List.of("/usr/bin/java", "-Xmx1g", "-jar", "/srv/app.jar", "x")));
        assertEquals(Optional.empty(), AppJar.in(List.of("node", "app.js")));
        assertEquals(Optional.empty(), AppJar.in(List.of("/usr/bin/java", "-cp", "a.jar", "Main")));
        assertEquals(Optional.empty(), AppJar.in(List.of("/usr/bin/java", "-jar")));
    }

    @Test
    void aSymlinkedJarIsRecordedAtItsRealPathWithTheHashOfItsBytes() throws Exception {
        Path release = Files.writeString(dir.resolve("app-1.2.jar"), "abc");
        Path current = Files.createSymbolicLink(dir.resolve("current.jar"), release);
        AppJar jar = AppJar.of(List.of("/usr/bin/java", "-jar", current.toString())).toCompletableFuture()
                .get(5, TimeUnit.SECONDS).orElseThrow();
        assertEquals(release.toRealPath(), jar.path());
        // sha256("abc")
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", jar.sha256());
        assertEquals("", jar.problem());
    }

    @Test
    void aJarThatIsGoneSaysSoInsteadOfAHash() {
        AppJar jar = AppJar.read(dir.resolve("gone.jar"));
        assertEquals("", jar.sha256());
        assertTrue(jar.problem().startsWith("cannot be read"), jar.problem());
    }
}
