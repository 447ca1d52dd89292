package dev.actorrunner.config;

import java.util.List;

/**
 * The settings could not be built. Carries every problem found, one line each, already naming the
 * key or flag at fault (e.g. {@code --workers: expected a number or "auto", got "abc"}), so that a
 * user can fix them all in one go. The lines hold no stack trace and no line break.
 */
public final class InvalidSettingsException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public InvalidSettingsException(List<String> problems) {
        super(String.join("; ", problems));
        if (problems.isEmpty()) throw new IllegalArgumentException("no problems");
        this.problems = problems.stream().map(InvalidSettingsException::oneLine).toList();
    }

    public static InvalidSettingsException of(String problem) {
        return new InvalidSettingsException(List.of(problem));
    }

    /** One line per problem, in the order found. */
    public List<String> problems() {
        return problems;
    }

    // Messages quoted from Typesafe Config or the OS may carry line breaks; the CLI promises one line each.
    private static String oneLine(String s) {
        return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
