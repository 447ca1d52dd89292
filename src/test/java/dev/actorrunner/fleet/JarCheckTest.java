package dev.actorrunner.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.fixtures.TestJars;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A machine's pre-check of a release: each way a jar is unfit is named; a fit one reports its hash. */
class JarCheckTest {
    @TempDir
    Path dir;

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void aFitJarReportsItsHashWhichAGivenOneMustMatch() throws Exception {
        Path jar = TestJars.withMainClass(dir.resolve("app.jar"), "app.Main");
        assertEquals(new JarCheck.Result("", sha256(jar)), JarCheck.check(jar, ""));
        assertEquals(new JarCheck.Result("", sha256(jar)), JarCheck.check(jar, sha256(jar).toUpperCase()), "any case");
        JarCheck.Result wrong = JarCheck.check(jar, "ab".repeat(32));
        assertEquals("", wrong.sha256());
        assertEquals(jar + ": SHA-256 is " + sha256(jar) + ", not " + "ab".repeat(32), wrong.problem());
    }

    @Test
    void aMissingFileAJarWithoutMainClassAndAFileThatIsNoJarAreEachNamed() throws Exception {
        assertEquals(dir.resolve("nope.jar") + ": no such file", JarCheck.problem(dir.resolve("nope.jar"), ""));
        assertEquals(dir + ": no such file", JarCheck.problem(dir, ""), "a directory is no jar file");
        Path noMain = TestJars.withoutMainClass(dir.resolve("lib.jar"));
        assertEquals(noMain + ": no Main-Class in its manifest", JarCheck.problem(noMain, ""));
        Path text = Files.writeString(dir.resolve("notes.jar"), "not a zip");
        assertTrue(JarCheck.problem(text, "").startsWith(text + ": not a jar ("), JarCheck.problem(text, ""));
    }
}
