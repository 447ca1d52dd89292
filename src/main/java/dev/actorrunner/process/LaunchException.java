package dev.actorrunner.process;

/** A worker could not be started; the message is one line meant for the user. */
public final class LaunchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LaunchException(String message, Throwable cause) {
        super(message, cause);
    }
}
