package dev.actorrunner.process;

/**
 * How a worker process ended. Java reports a process killed by signal S as exit code 128 + S, the
 * shell's convention, so a code above 128 is read as a signal.
 */
public record ExitStatus(int code) {

    /** The signal that ended the process, or 0 if it exited on its own. */
    public int signal() {
        return code > 128 && code <= 128 + 64 ? code - 128 : 0;
    }

    public boolean killedBySigkill() {
        return signal() == 9;
    }

    /** "exit code 1", "signal 15 (TERM)". */
    public String describe() {
        int s = signal();
        return s == 0 ? "exit code " + code : "signal " + s + " (" + signalName(s) + ")";
    }

    static String signalName(int s) {
        return switch (s) {
            case 1 -> "HUP";
            case 2 -> "INT";
            case 3 -> "QUIT";
            case 6 -> "ABRT";
            case 9 -> "KILL";
            case 11 -> "SEGV";
            case 13 -> "PIPE";
            case 15 -> "TERM";
            default -> "SIG" + s;
        };
    }
}
