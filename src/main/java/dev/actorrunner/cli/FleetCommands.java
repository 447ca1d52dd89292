package dev.actorrunner.cli;

import dev.actorrunner.control.ControlProtocol.Reply;
import dev.actorrunner.control.ControlProtocol.Request;
import dev.actorrunner.control.Json;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code actor-runner fleet status | ...}: requests to the fleet, sent through the local runner's
 * control socket (no new network listener for clients). Exit codes as the issue asks: 0 done, 1
 * failed or aborted, 2 refused (no fleet, no quorum, a bad argument) or no runner answers.
 */
final class FleetCommands {

    private FleetCommands() {}

    /** {@code fleet} and its subcommands, for {@link Main#commandLine}. */
    static CommandLine commandLine(Map<String, String> env) {
        return new CommandLine(new Fleet()).addSubcommand(new Status(env)).addSubcommand(new Reload(env))
                .addSubcommand(new Promote(env)).addSubcommand(new Abort(env));
    }

    @Command(name = "fleet", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = {"Talks to the fleet this runner is a member of (--fleet-bind).", ""},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:done", "1:failed or aborted", "2:refused, or no runner answers"})
    static final class Fleet implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "fleet: which? status, reload, promote or abort");
        }
    }

    /** What every fleet subcommand shares: the exit code the runner chose. */
    abstract static class FleetClient extends ControlCommands.Client {
        FleetClient(Map<String, String> env) {
            super(env);
        }

        int exitCode(Reply reply) {
            return reply.fields().get("exit") instanceof Number n ? n.intValue() : reply.ok() ? ExitCodes.OK : ControlCommands.FAILED;
        }

        @Override
        int onResult(Reply reply) {
            int code = exitCode(reply);
            if (code != ExitCodes.OK) {
                fail(reply.message());
                return code;
            }
            out().println(reply.message());
            out().flush();
            return code;
        }

        /** A runner in no fleet, or one whose fleet cannot answer: refused. */
        @Override
        int onError(Reply reply) {
            fail(reply.message());
            return ExitCodes.USAGE;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = {"Shows every node of the fleet (as this node's runner sees it): its membership, workers"
                    + " ready, generation, jar hash, local reload and last fleet step; unreachable members; a roll in"
                    + " progress.", ""})
    static final class Status extends FleetClient {
        @Option(names = "--json", description = "Print the fleet's status as one line of JSON.")
        boolean json;

        Status(Map<String, String> env) {
            super(env);
        }

        @Override
        Request request() {
            return Request.fleet("status", Map.of());
        }

        @Override
        int onResult(Reply reply) {
            if (!json || exitCode(reply) != ExitCodes.OK) return super.onResult(reply);
            Object fleet = reply.fields().get("fleet");
            if (fleet == null) return fail("the runner's answer has no fleet status");
            out().println(Json.write(fleet));
            out().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
            description = {"Reloads the fleet machine by machine: the coordinator first checks on every machine that the"
                    + " jar is there, is an app and has the SHA-256 given, and refuses before touching anything if one"
                    + " fails; then each machine runs its local surge reload, and the next starts once the previous one's"
                    + " new generation stayed healthy for fleet.min-healthy-time. No step starts while a member is"
                    + " unreachable. A failed machine aborts the roll: machines done keep the new release, the others"
                    + " the old.", ""},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:started (--wait: completed)", "1:aborted (--wait)",
                "2:refused (a check failed, unreachable members, no quorum, a bad argument) or no runner answers"})
    static final class Reload extends FleetClient {
        @Option(names = "--jar", paramLabel = "PATH",
                description = "The release's app jar, at this path on every machine (default: each runner's own settings, read again).")
        String jar;

        @Option(names = "--sha256", paramLabel = "HEX", description = "The jar's SHA-256; every machine must have exactly that file.")
        String sha256;

        @Option(names = "--max-parallel", paramLabel = "N", description = "Machines reloading at once (default: fleet.max-parallel, 1).")
        Integer maxParallel;

        @Option(names = "--canary", paramLabel = "N",
                description = "Pause after N machines until `fleet promote` (or `fleet abort`) (default: 0, no pause).")
        Integer canary;

        @Option(names = "--wait", description = "Print each machine's step and wait for the roll's end.")
        boolean await;

        Reload(Map<String, String> env) {
            super(env);
        }

        @Override
        Request request() {
            Map<String, Object> args = new java.util.LinkedHashMap<>();
            if (jar != null) args.put("jar", java.nio.file.Path.of(jar).toAbsolutePath().normalize().toString());
            if (sha256 != null) args.put("sha256", sha256);
            if (maxParallel != null) args.put("maxParallel", maxParallel);
            if (canary != null) args.put("canary", canary);
            args.put("wait", await);
            return Request.fleet("reload", args);
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = {"Ends a canary pause: the fleet reload goes on.", ""})
    static final class Promote extends FleetClient {
        Promote(Map<String, String> env) {
            super(env);
        }

        @Override
        Request request() {
            return Request.fleet("promote", Map.of());
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = {"Aborts the fleet reload in progress: machines done keep the new release, the others the old;"
                    + " `fleet status` shows which runs what.", ""})
    static final class Abort extends FleetClient {
        Abort(Map<String, String> env) {
            super(env);
        }

        @Override
        Request request() {
            return Request.fleet("abort", Map.of());
        }
    }
}
