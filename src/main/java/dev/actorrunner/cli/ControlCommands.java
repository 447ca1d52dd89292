package dev.actorrunner.cli;

import dev.actorrunner.control.ControlClient;
import dev.actorrunner.control.ControlProtocol.Reply;
import dev.actorrunner.control.ControlProtocol.Request;
import dev.actorrunner.control.Json;
import dev.actorrunner.control.SocketPaths;
import dev.actorrunner.control.StatusView;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The client subcommands, {@code actor-runner status | reload | scale | stop}: each sends one
 * request to a running runner's control socket and prints the answer. Exit codes: 0 done, 1 the
 * runner answered with a failure (an aborted reload, an error), 2 no runner answers (or a usage
 * error). They start no ActorSystem: a client costs a JVM start and one connection.
 */
final class ControlCommands {

    /** The exit code of a request that the runner answered with a failure. */
    static final int FAILED = 1;

    private ControlCommands() {}

    /** What every client subcommand shares: the socket, the environment, the printing. */
    abstract static class Client implements Callable<Integer> {
        @Option(names = "--control-socket", paramLabel = "PATH",
                description = "The runner's control socket (default: the only runner of this user found in"
                        + " $XDG_RUNTIME_DIR or /tmp/actor-runner-UID/).")
        Path socket;

        @Spec
        CommandSpec spec;

        final Map<String, String> env;

        Client(Map<String, String> env) {
            this.env = env;
        }

        abstract Request request();

        /** Prints the final reply; returns the exit code. */
        int onResult(Reply reply) {
            if (!reply.ok()) return fail(reply.message());
            out().println(reply.message());
            return ExitCodes.OK;
        }

        /** The runner could not carry out the request: exit code 1. */
        int onError(Reply reply) {
            return fail(reply.message());
        }

        /** The runner closed the connection without a final line: it exited. */
        int onEnd() {
            return fail("the runner closed the connection without an answer (did it exit?)");
        }

        @Override
        public Integer call() {
            String misplaced = runnerOptionsGiven();
            if (misplaced != null) return usage(misplaced + ": a runner option, not one of " + spec.name());
            Path target;
            try {
                target = target();
            } catch (IOException e) {
                return usage(e.getMessage());
            }
            try {
                Reply reply = ControlClient.exchange(target, request(), p -> {
                    out().println(p.message());
                    out().flush();
                });
                return reply == null ? onEnd() : reply.type().equals("error") ? onError(reply) : onResult(reply);
            } catch (ControlClient.Unreachable e) {
                return usage(e.getMessage());
            } catch (IOException e) {
                return fail("control socket " + target + ": " + e.getMessage());
            }
        }

        /** --control-socket, else the only live runner's default socket. */
        private Path target() throws IOException {
            if (socket != null) return socket.toAbsolutePath();
            List<Path> found = SocketPaths.candidates(env);
            if (found.size() == 1) return found.get(0);
            if (found.isEmpty()) {
                throw new IOException("no runner found (no control socket of this user in $XDG_RUNTIME_DIR or "
                        + SocketPaths.defaultPath(0, Map.of()).getParent() + "); give --control-socket PATH");
            }
            throw new IOException(found.size() + " runners found (" + found.stream().map(Path::toString)
                    .collect(Collectors.joining(", ")) + "); choose one with --control-socket PATH");
        }

        /** `actor-runner -w 3 status`: the runner's flags mean nothing to a client; say so rather than ignore them. */
        private String runnerOptionsGiven() {
            CommandLine parent = spec.commandLine().getParent();
            if (parent == null || parent.getParseResult() == null) return null;
            return parent.getParseResult().matchedOptions().stream().findFirst()
                    .map(o -> o.longestName()).orElse(null);
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /** Each line of {@code message} as an error line (a refused reload's problems, as at start); exit code 1. */
        int fail(String message) {
            PrintWriter err = spec.commandLine().getErr();
            message.lines().forEach(line -> err.println(CliErrors.PREFIX + line));
            err.flush();
            return FAILED;
        }

        int usage(String message) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(CliErrors.PREFIX + message);
            err.flush();
            return ExitCodes.USAGE;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = {"Shows a running runner: its app, address and reloads, and a table of its workers"
                    + " (id, pid, generation, state, uptime, restarts, open connections, RSS and CPU%% of each"
                    + " worker's process tree).", ""})
    static final class Status extends Client {
        @Option(names = "--json", description = "Print the status as one line of JSON.")
        boolean json;

        Status(Map<String, String> env) {
            super(env);
        }

        @Override
        Request request() {
            return Request.status();
        }

        @Override
        @SuppressWarnings("unchecked")
        int onResult(Reply reply) {
            Map<String, Object> status = (Map<String, Object>) reply.fields().get("status");
            if (status == null) return fail("the runner's answer has no status");
            out().print(json ? Json.write(status) + "\n" : StatusView.table(status));
            out().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = {"Starts a rolling reload, as SIGHUP does. The runner reads its --config file again"
                    + " (its flags still win): the new workers run what changed (app, args, jvm-options, command, env,"
                    + " readiness, timeouts, worker count, ...); a file with problems refuses the reload.", ""},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:reload started (--wait: completed)",
                "1:refused (the config file has problems: each is printed, nothing started)"
                        + " or, with --wait, aborted",
                "2:no runner answers"})
    static final class Reload extends Client {
        @Option(names = "--wait", description = "Print what the reload changes (a line per setting) and the app jar's"
                + " SHA-256, each step, a line once every worker in rotation is new, and wait until it completed:"
                + " every old worker has exited, so the old release may be removed (exit 0); or until it was aborted"
                + " (exit 1, with the reason).")
        boolean await;

        Reload(Map<String, String> env) {
            super(env);
        }

        @Override
        Request request() {
            return Request.reload(await);
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = {"Changes the number of workers the runner keeps ready.", ""})
    static final class Scale extends Client {
        private static final Pattern AMOUNT = Pattern.compile("([+-]?)(\\d{1,4})");

        @Parameters(paramLabel = "N|+N|-N", description = "Workers to keep, or +N / -N more or fewer (never below 1).")
        String amount;

        Scale(Map<String, String> env) {
            super(env);
        }

        @Override
        public Integer call() {
            Matcher m = AMOUNT.matcher(amount.strip());
            if (!m.matches() || (m.group(1).isEmpty() && Integer.parseInt(m.group(2)) < 1)) {
                return usage("scale: expected a number of workers (1 or more), or +N or -N, got \"" + amount + "\"");
            }
            return super.call();
        }

        @Override
        Request request() {
            Matcher m = AMOUNT.matcher(amount.strip());
            if (!m.matches()) throw new IllegalStateException(amount);
            int n = Integer.parseInt(m.group(2));
            return m.group(1).isEmpty() ? Request.scale(n, false) : Request.scale(m.group(1).equals("-") ? -n : n, true);
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = {"Stops the runner gracefully, as SIGTERM does (once: it never kills).", ""})
    static final class Stop extends Client {
        @Option(names = "--wait", description = "Print each worker's exit and wait until the runner has stopped.")
        boolean await;

        Stop(Map<String, String> env) {
            super(env);
        }

        @Override
        Request request() {
            return Request.stop(await);
        }

        @Override
        int onEnd() {
            // The runner exits right after its last worker; a close without the last line is that.
            out().println("the runner stopped");
            return ExitCodes.OK;
        }
    }

    @Command(name = "upgrade", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = {"Replaces the runner itself without refusing a connection, as SIGUSR2 does: the runner starts"
                    + " a new runner with its own command line (or --runner-jar), hands it the listening sockets, and once"
                    + " the new one's workers are ready it stops accepting, answers each kept-alive HTTP client's next"
                    + " request with Connection: close, and stops its workers. Settings that a reload cannot change"
                    + " (address, mode, worker ports, metrics) and the runner's own JVM are read anew.", ""},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:upgrade started (--wait: the new runner serves)",
                "1:the new runner failed (it exited, or was not ready in time): the old one serves on",
                "2:refused (an upgrade is under way, a container or unit where it cannot work) or no runner answers"})
    static final class Upgrade extends Client {
        @Option(names = "--wait", description = "Wait until the new runner serves (exit 0) or failed (exit 1, with"
                + " the reason).")
        boolean await;

        @Option(names = "--runner-jar", paramLabel = "PATH",
                description = "Start the new runner from this actor-runner jar instead of the running one's.")
        Path runnerJar;

        Upgrade(Map<String, String> env) {
            super(env);
        }

        @Override
        Request request() {
            return Request.upgrade(await, runnerJar == null ? null : runnerJar.toAbsolutePath().toString());
        }

        @Override
        int onResult(Reply reply) {
            int code = reply.fields().get("exit") instanceof Number n ? n.intValue() : reply.ok() ? ExitCodes.OK : FAILED;
            if (code != ExitCodes.OK) {
                fail(reply.message());
                return code;
            }
            out().println(reply.message());
            out().flush();
            return ExitCodes.OK;
        }
    }
}
