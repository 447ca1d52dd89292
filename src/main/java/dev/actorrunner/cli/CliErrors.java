package dev.actorrunner.cli;

import dev.actorrunner.config.InvalidSettingsException;
import java.io.PrintWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * picocli's error handlers: every user error is one line on stderr, {@code actor-runner: <what>},
 * exit code 2; anything else is one line and exit code 1. Never a stack trace on the terminal:
 * the user can do nothing with it, and it would bury the line that says what to fix.
 */
final class CliErrors {

    static final String PREFIX = "actor-runner: ";

    private static final Logger log = LoggerFactory.getLogger(CliErrors.class);

    private CliErrors() {}

    /** Bad flags: an unknown option, a missing option value. */
    static int onUsageError(ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println(PREFIX + oneLine(e.getMessage()) + " (see actor-runner --help)");
        err.flush();
        return ExitCodes.USAGE;
    }

    /** Bad settings (from {@link Main#call}), or a surprise. */
    static int onFailure(Exception e, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        if (e instanceof InvalidSettingsException invalid) {
            invalid.problems().forEach(problem -> err.println(PREFIX + problem));
            err.flush();
            return ExitCodes.USAGE;
        }
        // The trace is for a bug report; keep it off the terminal unless debug logging is on.
        log.debug("unexpected failure", e);
        err.println(PREFIX + "unexpected error: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + oneLine(e.getMessage())));
        err.flush();
        return ExitCodes.SOFTWARE;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
