package dev.actorrunner.front;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * systemd's socket activation (sd_listen_fds(3)): the listening sockets handed to this process as
 * fds 3, 4, ..., named by LISTEN_FDS and addressed by LISTEN_PID. With them, a restart of the runner
 * under systemd queues connections in the socket systemd keeps instead of refusing them.
 */
public final class SocketActivation {
    static final int FIRST_FD = 3;

    private SocketActivation() {}

    /**
     * The inherited listening fds, or none when the variables are absent or addressed to another
     * process (a LISTEN_PID left in the environment by a parent that was activated itself).
     *
     * @throws FrontBindException when the variables are there for this process but malformed
     */
    public static List<Integer> fds(Map<String, String> env, long pid) throws FrontBindException {
        String forPid = env.get("LISTEN_PID");
        String count = env.get("LISTEN_FDS");
        if (forPid == null || count == null) return List.of();
        if (!forPid.strip().equals(Long.toString(pid))) return List.of();
        int n;
        try {
            n = Integer.parseInt(count.strip());
        } catch (NumberFormatException e) {
            throw new FrontBindException("socket activation: LISTEN_FDS=" + count + " is not a number", null);
        }
        if (n < 1 || n > 64) {
            throw new FrontBindException("socket activation: LISTEN_FDS=" + count + ": expected 1 to 64 sockets", null);
        }
        return IntStream.range(FIRST_FD, FIRST_FD + n).boxed().toList();
    }

    /**
     * Makes {@code fd} non-blocking: epoll accepts until the queue is empty, and a blocking accept
     * on an empty queue would stall the event loop. systemd sets it with NonBlocking=yes in the
     * socket unit; systemd-socket-activate does not. Java has no fcntl: the JDK's own
     * (sun.nio.ch.IOUtil, exported to the runner by its jar's manifest) does it; where that is
     * not reachable (an embedding host without the export), a blocking fd is refused.
     */
    static void nonBlocking(int fd) throws FrontBindException {
        try {
            Class<?> io = Class.forName("sun.nio.ch.IOUtil");
            Method newFd = io.getMethod("newFD", int.class);
            Method configure = io.getMethod("configureBlocking", FileDescriptor.class, boolean.class);
            configure.invoke(null, newFd.invoke(null, fd), false);
            return;
        } catch (ReflectiveOperationException | RuntimeException notReachable) {
            // not exported to us: the fd may be non-blocking already
        }
        if (blocking(fd)) {
            throw new FrontBindException("socket activation: fd " + fd + " is blocking: set NonBlocking=yes in the"
                    + " socket unit, or run with --add-exports java.base/sun.nio.ch=ALL-UNNAMED", null);
        }
    }

    /** From /proc/self/fdinfo: its flags (octal) without O_NONBLOCK (04000). */
    static boolean blocking(int fd) throws FrontBindException {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("flags:")) return (Long.parseLong(line.substring(6).strip(), 8) & 04000) == 0;
            }
        } catch (IOException | NumberFormatException e) {
            throw new FrontBindException("socket activation: fd " + fd + " is not open in this process", null);
        }
        return true;
    }
}
