package dev.actorrunner.process;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills the workers' process groups, grandchildren included, when the runner dies without doing
 * it itself (SIGKILL, a crash). setpriv's parent-death signal reaches only the worker; whatever the
 * worker started would be reparented to init and live on.
 *
 * <p>The watchdog is a small {@code sh} in its own session that ignores the job-control and
 * termination signals (a Ctrl-C or a {@code kill -TERM} of the runner's group must not take it
 * down first). We feed it "+PGID" and "-PGID" lines on its stdin; the kernel closes the pipe's
 * write end when the runner dies however it dies, and at EOF the watchdog SIGKILLs every group
 * still listed, then exits. {@link #close()} triggers the same. It is not started under pdeathsig:
 * it must outlive the runner by exactly that moment.
 *
 * <p>If it is gone when we next write (someone killed it), it is restarted and told the whole
 * current set. Thread-safe; writes are a few bytes into a pipe the shell drains continuously.
 */
final class OrphanWatchdog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OrphanWatchdog.class);

    // Adds are idempotent so that a replay after a restart cannot leave a duplicate behind a "-".
    // Errors go nowhere: a write to a dead runner's stderr pipe would SIGPIPE-kill us mid-loop.
    static final String SCRIPT = String.join("\n",
            "trap '' HUP INT TERM TTIN TTOU PIPE",
            "groups=' '",
            "while IFS= read -r line; do",
            "  g=${line#?}",
            "  case $g in ''|*[!0-9]*) continue ;; esac",
            "  case $line in",
            "    +*) case $groups in *\" $g \"*) ;; *) groups=\"$groups$g \" ;; esac ;;",
            "    -*) case $groups in *\" $g \"*) groups=\"${groups%% $g *} ${groups#* $g }\" ;; esac ;;",
            "  esac",
            "done",
            "for g in $groups; do kill -KILL -$g 2>/dev/null; done",
            "");

    private final Set<Long> groups = new LinkedHashSet<>();
    private Process shell;
    private OutputStream stdin;
    private boolean closed;

    synchronized void add(long pgid) {
        if (groups.add(pgid)) send("+" + pgid);
    }

    synchronized void remove(long pgid) {
        if (groups.remove(pgid)) send("-" + pgid);
    }

    /** The watchdog's pid, starting it if needed (for tests). */
    synchronized long pid() throws IOException {
        if (shell == null || !shell.isAlive()) start();
        return shell.pid();
    }

    /** Closes the watchdog's stdin: it kills the groups still registered and exits. */
    @Override
    public synchronized void close() {
        closed = true;
        if (stdin != null) {
            try {
                stdin.close();
            } catch (IOException ignored) {
                // the shell is gone already; nothing left to tell it
            }
        }
    }

    private void send(String line) {
        if (closed) return;
        try {
            if (shell == null || !shell.isAlive()) {
                start(); // replays the whole set, this line's change included
            } else {
                write(line);
            }
        } catch (IOException e) {
            try {
                start();
            } catch (IOException again) {
                log.warn("orphan watchdog cannot run ({}): if the runner is killed with SIGKILL, "
                        + "processes started by its workers will be left running", again.getMessage());
            }
        }
    }

    private void start() throws IOException {
        if (shell != null) {
            log.warn("orphan watchdog (pid {}) was gone; starting a new one", shell.pid());
            shell.destroyForcibly();
        }
        String setsid = LaunchWrapper.setsid().orElseThrow(() -> new IOException("setsid not available"));
        shell = new ProcessBuilder(setsid, "/bin/sh", "-c", SCRIPT)
                .redirectInput(Redirect.PIPE)
                .redirectOutput(Redirect.DISCARD)
                .redirectError(Redirect.DISCARD)
                .start();
        stdin = shell.getOutputStream();
        log.debug("orphan watchdog started, pid {}", shell.pid());
        for (long g : groups) write("+" + g);
    }

    private void write(String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
    }
}
