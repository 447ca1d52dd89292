package dev.actorrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidFileTest {

    @TempDir
    Path dir;

    @Test
    void holdsThePidReadableByTheOwnerOnly() throws IOException {
        Path path = dir.resolve("runner.pid");
        PidFile.write(path, 1234);
        assertEquals("1234\n", Files.readString(path));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
    }

    @Test
    void replacesASymlinkInsteadOfWritingThroughIt() throws IOException {
        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-r--r--"));
        Path path = Files.createSymbolicLink(dir.resolve("runner.pid"), victim);
        PidFile.write(path, 1234);
        assertEquals("precious", Files.readString(victim));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)));
        assertFalse(Files.isSymbolicLink(path));
        assertTrue(Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)));
        assertEquals("1234\n", Files.readString(path));
    }

    @Test
    void aSymlinkPlantedAtTheTempNameIsSkippedNotFollowed() throws IOException {
        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        Path planted = Files.createSymbolicLink(dir.resolve(".runner.pid.planted.tmp"), victim);
        Path dangling = Files.createSymbolicLink(dir.resolve(".runner.pid.dangling.tmp"), dir.resolve("created"));
        Iterator<String> names = List.of(planted, dangling, dir.resolve(".runner.pid.fresh.tmp")).stream()
                .map(p -> p.getFileName().toString()).iterator();
        Path path = dir.resolve("runner.pid");

        PidFile.write(path, 1234, names::next);

        assertEquals("1234\n", Files.readString(path));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        assertEquals("precious", Files.readString(victim));
        assertEquals(victim, Files.readSymbolicLink(planted), "the planted link is left as it was");
        assertFalse(Files.exists(dir.resolve("created"), LinkOption.NOFOLLOW_LINKS), "nothing created through a link");
        assertFalse(Files.exists(dir.resolve(".runner.pid.fresh.tmp")), "renamed onto the path");
    }

    @Test
    void tempNamesThatAreAllTakenFailInOneLine() throws IOException {
        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        Files.createSymbolicLink(dir.resolve(".runner.pid.planted.tmp"), victim);
        Path path = dir.resolve("runner.pid");
        IOException e = assertThrows(IOException.class, () -> PidFile.write(path, 1234, () -> ".runner.pid.planted.tmp"));
        assertEquals(dir + ": cannot create a file there (" + PidFile.TEMP_ATTEMPTS
                + " temp names in a row were taken)", e.getMessage());
        assertEquals("precious", Files.readString(victim));
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void replacesAStaleFile() throws IOException {
        Path path = Files.writeString(dir.resolve("runner.pid"), "999\n");
        PidFile.write(path, 1234);
        assertEquals("1234\n", Files.readString(path));
    }

    @Test
    void closeDeletesTheFile() throws IOException {
        Path path = dir.resolve("runner.pid");
        PidFile.write(path, 1234).close();
        assertFalse(Files.exists(path));
    }

    @Test
    void closeKeepsAFileThatAnotherRunnerTookOver() throws IOException {
        Path path = dir.resolve("runner.pid");
        PidFile ours = PidFile.write(path, 1234);
        PidFile.write(path, 5678);
        ours.close();
        assertEquals("5678\n", Files.readString(path));
    }

    @Test
    void leavesNoTempFileBehind() throws IOException {
        PidFile.write(dir.resolve("runner.pid"), 1234);
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void aMissingDirectoryIsOneLine() {
        IOException e = assertThrows(IOException.class, () -> PidFile.write(dir.resolve("no/runner.pid"), 1234));
        assertEquals(dir.resolve("no") + ": cannot create a file there (no such directory)", e.getMessage());
    }

    @Test
    void aDirectoryOthersMayReplaceEntriesInIsRefusedUnlessSticky() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        IOException e = assertThrows(IOException.class, () -> PidFile.write(open.resolve("runner.pid"), 1234));
        assertEquals(open + ": mode rwxrwxrwx, others may write to it and it is not sticky:"
                + " another user could replace the pid file there", e.getMessage());
        try (var files = Files.list(open)) {
            assertEquals(0, files.count(), "nothing written");
        }

        Process chmod = new ProcessBuilder("chmod", "1777", open.toString()).inheritIO().start();
        assertTrue(chmod.waitFor(10, TimeUnit.SECONDS) && chmod.exitValue() == 0);
        PidFile.write(open.resolve("runner.pid"), 1234); // as /tmp: only the file's owner may replace it
        assertEquals("1234\n", Files.readString(open.resolve("runner.pid")));
    }
}
