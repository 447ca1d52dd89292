package dev.actorrunner.process;

import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The argv prefix {@code setsid setpriv --pdeathsig KILL -- env --default-signal=QUIT --} that
 * ties a worker's life to the runner on Linux and gives it the signals a shell would.
 * <ul>
 * <li>{@code setsid} gives the worker its own session and process group: a Ctrl-C on the
 * runner's terminal reaches only the runner (which then drains gracefully), and the group is a
 * handle on every process the worker starts. setsid forks only when its caller already leads a
 * process group; a child spawned by Java never does, so setsid execs in place and the pid Java
 * sees is the app's own (checked by a test).</li>
 * <li>{@code setpriv --pdeathsig KILL} makes the kernel SIGKILL the worker when its parent dies,
 * which covers a runner killed by SIGKILL. "Parent" is the spawning <em>thread</em>: hence the
 * launcher's one long-lived spawn thread. (A runner that dies in the instant between the fork and
 * setpriv's prctl is missed by the kernel; the {@link OrphanWatchdog} covers the worker as soon as
 * the launch has registered its group, a moment later.)</li>
 * <li>{@code env --default-signal=QUIT} (coreutils 8.31 or later) unblocks SIGQUIT, which a
 * process a JVM starts otherwise inherits blocked from HotSpot's spawning thread: a JVM app unblocks
 * it itself, but nginx, unicorn or a shell script would never see a {@code kill -QUIT}. Left out
 * when the command's path has a '=' in it, which env would take for a variable.</li>
 * </ul>
 * Detected once per JVM by running each step for real, because an old setpriv (util-linux before
 * 2.33) exists but rejects {@code --pdeathsig}, which would fail every worker, and busybox's env
 * has no {@code --default-signal}.
 */
final class LaunchWrapper {

    private static final Logger log = LoggerFactory.getLogger(LaunchWrapper.class);

    private LaunchWrapper() {}

    /** The setsid binary, when the full wrapper works here. */
    static Optional<String> setsid() {
        return Detected.SETSID;
    }

    /** Whether workers start with SIGQUIT unblocked (see above). */
    static boolean unblocksQuit() {
        return !Detected.UNBLOCK_QUIT.isEmpty();
    }

    /** {@code argv} behind the wrapper, or behind what of it works here (the warning was logged once). */
    static List<String> wrap(List<String> argv) {
        List<String> wrapped = new ArrayList<>(Detected.PREFIX);
        if (!argv.get(0).contains("=")) wrapped.addAll(Detected.UNBLOCK_QUIT);
        wrapped.addAll(argv);
        return wrapped;
    }

    /** Lazy holder: the check runs at the first launch, on the spawn thread. */
    private static final class Detected {
        static final Optional<String> SETSID = detect();
        static final List<String> PREFIX = SETSID.isEmpty() ? List.of()
                : List.of(SETSID.get(), find("setpriv").orElseThrow(), "--pdeathsig", "KILL", "--");
        static final List<String> UNBLOCK_QUIT = find("env")
                .map(env -> List.of(env, "--default-signal=QUIT", "--"))
                .filter(step -> runs(step, step.get(0)))
                .orElseGet(() -> {
                    log.debug("workers start with SIGQUIT blocked: env --default-signal (coreutils 8.31) not found");
                    return List.of();
                });

        private static Optional<String> detect() {
            Optional<String> setsid = find("setsid");
            Optional<String> setpriv = find("setpriv");
            String why;
            if (!System.getProperty("os.name", "").startsWith("Linux")) {
                why = "not on Linux";
            } else if (setsid.isEmpty() || setpriv.isEmpty()) {
                why = "setsid or setpriv (util-linux) not found in /usr/bin or /bin";
            } else if (!runs(List.of(setsid.get(), setpriv.get(), "--pdeathsig", "KILL", "--"), setsid.get())) {
                why = setpriv.get() + " does not support --pdeathsig (util-linux 2.33 or later needed)";
            } else {
                return setsid;
            }
            log.warn("workers run without setsid/setpriv ({}): if the runner is killed with SIGKILL,"
                    + " its workers and their children will be left running", why);
            return Optional.empty();
        }

        /** Whether {@code step} runs {@code tool --version} to a clean exit. */
        private static boolean runs(List<String> step, String tool) {
            List<String> argv = new ArrayList<>(step);
            argv.addAll(List.of(tool, "--version"));
            try {
                Process p = new ProcessBuilder(argv)
                        .redirectInput(Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(Redirect.DISCARD)
                        .redirectError(Redirect.DISCARD)
                        .start();
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return false;
                }
                return p.exitValue() == 0;
            } catch (Exception e) {
                if (e instanceof InterruptedException) Thread.currentThread().interrupt();
                return false;
            }
        }

        private static Optional<String> find(String tool) {
            for (String dir : List.of("/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/")) {
                if (Files.isExecutable(Path.of(dir + tool))) return Optional.of(dir + tool);
            }
            return Optional.empty();
        }
    }
}
