package dev.actorrunner.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * The command line run in-process, for tests of other packages (the client subcommands against a
 * real runner): what a user would see, without a JVM start per command. Never starts a runner.
 */
public final class Cli {

    /** Exit code and the two streams. */
    public record Result(int code, String out, String err) {
        public List<String> outLines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    private Cli() {}

    public static Result run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine(new Main(env, settings -> {
            throw new AssertionError("a client command started a runner");
        }));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString().replace("\r", ""));
    }
}
