package dev.actorrunner.front;

/** The public address could not be bound; the message is one line that names it and the cause. */
public final class FrontBindException extends Exception {
    private static final long serialVersionUID = 1L;

    public FrontBindException(String message, Throwable cause) {
        super(message, cause);
    }
}
