package dev.actorrunner.process;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signals whole process groups. Java has no API for it, so this runs the {@code kill} command
 * (3-8 ms here). Blocking: call it from {@link ProcessThreads#EVENTS}, never from a caller.
 */
final class ProcessGroups {

    private static final Logger log = LoggerFactory.getLogger(ProcessGroups.class);
    private static final String KILL = Files.isExecutable(Path.of("/usr/bin/kill")) ? "/usr/bin/kill"
            : Files.isExecutable(Path.of("/bin/kill")) ? "/bin/kill" : "kill";

    private ProcessGroups() {}

    /** Sends the signal {@code name} (QUIT, ABRT, ...) to the process {@code pid} alone. */
    static void signal(String name, long pid) {
        run(List.of(KILL, "-" + name, "--", Long.toString(pid)), "cannot send SIG" + name + " to pid " + pid);
    }

    /**
     * SIGKILL to every process whose group id is {@code pgid}. A group with no members left is
     * not an error. Pid reuse cannot hit a stranger: Linux does not hand out a pid while a group
     * of that id still has members, and we only call this for groups we created moments ago.
     */
    static void kill(long pgid) {
        run(List.of(KILL, "-KILL", "--", "-" + pgid), "cannot kill process group " + pgid);
    }

    private static void run(List<String> argv, String failure) {
        try {
            Process kill = new ProcessBuilder(argv)
                    .redirectOutput(Redirect.DISCARD)
                    .redirectError(Redirect.DISCARD)
                    .start();
            if (!kill.waitFor(2, TimeUnit.SECONDS)) kill.destroyForcibly();
        } catch (IOException e) {
            log.warn("{}: {}", failure, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
