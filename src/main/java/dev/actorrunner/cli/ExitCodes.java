package dev.actorrunner.cli;

/**
 * The runner's exit codes. Distinct codes let a service manager tell "fix your command line" and
 * "your app cannot boot" from a crash, and not restart in a loop on the first two (as gunicorn's
 * worker boot error 3).
 */
public final class ExitCodes {

    /** Stopped as asked (SIGTERM, SIGINT). */
    public static final int OK = 0;
    /** Anything unexpected: a bug, or an environment the runner cannot work in. */
    public static final int SOFTWARE = 1;
    /** A usage or configuration error; nothing was started. */
    public static final int USAGE = 2;
    /** No worker ever became ready and the app failed boot-failure-limit times in a row. */
    public static final int BOOT_FAILED = 3;

    private ExitCodes() {}
}
