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
        return new CommandLine(new Fleet()).addSubcommand(new Status(env));
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
            throw new CommandLine.ParameterException(spec.commandLine(), "fleet: which? status");
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
}
