package dev.actorrunner.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutablesTest {

    @TempDir
    Path dir;

    @Test
    void bareNameIsFoundOnTheGivenPath() {
        String sh = Executables.resolve("sh", dir + ":/usr/bin:/bin");
        assertTrue(sh.endsWith("/sh") && Path.of(sh).isAbsolute(), sh);
    }

    @Test
    void bareNameMissingFromThePath() {
        LaunchException e = assertThrows(LaunchException.class,
                () -> Executables.resolve("no-such-command-xyz", "/usr/bin:/bin"));
        assertEquals("cannot start \"no-such-command-xyz\": No such file or directory", e.getMessage());
    }

    @Test
    void fileWithoutExecutePermission() throws IOException {
        Path script = Files.writeString(dir.resolve("app.sh"), "#!/bin/sh\n");
        LaunchException e = assertThrows(LaunchException.class,
                () -> Executables.resolve(script.toString(), "/usr/bin"));
        assertEquals("cannot start \"" + script + "\": Permission denied", e.getMessage());
    }

    @Test
    void pathIsTakenAsGiven() {
        assertEquals("/bin/sh", Executables.resolve("/bin/sh", ""));
        assertThrows(LaunchException.class, () -> Executables.resolve("./missing/app", "/usr/bin"));
    }
}
