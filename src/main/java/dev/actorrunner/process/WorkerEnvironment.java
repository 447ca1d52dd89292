package dev.actorrunner.process;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A worker's environment, built from nothing rather than by editing a copy of the runner's: the
 * runner's own variables that {@link LaunchSpec#envInherit()} passes, then
 * {@link LaunchSpec#extraEnv()} over them, then the port variable over both (the readiness probe
 * checks that port, so no other value may win). The runner adds nothing else: not its control
 * socket, not its JVM options, not a marker of its own. Socket activation's variables are the
 * runner's alone and never pass: a worker that saw them could take the runner's socket for its own.
 */
final class WorkerEnvironment {
    /** systemd's socket activation (sd_listen_fds(3)): addressed to the runner's pid only. */
    static final java.util.Set<String> NEVER_PASSED = java.util.Set.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
            // systemd's notify socket is the runner's (its main pid, its readiness), never an app's
            "NOTIFY_SOCKET",
            // an upgrade's handover is between two runners
            "ACTOR_RUNNER_HANDOVER", "ACTOR_RUNNER_HANDOVER_FDS", "ACTOR_RUNNER_HANDOVER_FROM");

    private WorkerEnvironment() {}

    static Map<String, String> of(Map<String, String> runnerEnv, LaunchSpec spec, int port) {
        Map<String, String> env = new LinkedHashMap<>();
        runnerEnv.forEach((name, value) -> {
            if (spec.envInherit().passes(name) && !NEVER_PASSED.contains(name)) env.put(name, value);
        });
        env.putAll(spec.extraEnv());
        if (!spec.portEnv().isEmpty()) env.put(spec.portEnv(), String.valueOf(port));
        return env;
    }

    /**
     * The PATH a bare command name is looked up on: env { PATH } if set, else the runner's own,
     * even when the worker does not inherit it (env-inherit = none still runs "node app.js").
     * What the worker's own PATH is, if any, is {@link #of}'s business.
     */
    static String lookupPath(Map<String, String> runnerEnv, LaunchSpec spec) {
        return spec.extraEnv().getOrDefault("PATH", runnerEnv.get("PATH"));
    }
}
