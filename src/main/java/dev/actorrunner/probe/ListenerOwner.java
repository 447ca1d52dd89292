package dev.actorrunner.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Whether the socket listening on a loopback port belongs to a worker: the worker's own process or
 * one of its descendants holds it. A port that accepts a connection is not enough: the private
 * port was free when it was handed out, but another process (a second runner sharing the range,
 * any app) may bind it before the worker does. Then the worker's bind fails, yet a bare connect
 * succeeds, and the runner would count the worker ready and send it another program's traffic.
 *
 * <p>Linux only, from /proc: the listening sockets' inodes from /proc/net/tcp and tcp6, then the
 * {@code socket:[inode]} links in /proc/PID/fd of the worker and its descendants. Where that
 * cannot be read (not Linux, no /proc, another user's fds), the answer is "unknown" and the probe
 * keeps the connect's verdict: the check may only ever refuse a worker that demonstrably does not
 * own the listener.
 */
final class ListenerOwner {

    /** What /proc says about a port: a worker's, someone else's, or it cannot tell. */
    enum Verdict { OWNED, NOT_OWNED, UNKNOWN }

    private static final String LISTEN = "0A";
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    private ListenerOwner() {}

    static Verdict of(int port, long pid) {
        Set<String> inodes;
        try {
            inodes = listeningInodes(port);
        } catch (IOException | RuntimeException e) {
            return Verdict.UNKNOWN;
        }
        if (inodes.isEmpty()) return Verdict.UNKNOWN; // gone meanwhile, or a table we cannot read
        List<Long> pids = Stream.concat(Stream.of(pid), ProcessHandle.of(pid).stream()
                .flatMap(ProcessHandle::descendants).map(ProcessHandle::pid)).toList();
        boolean readAny = false;
        for (long p : pids) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(p), "fd"))) {
                readAny = true;
                for (Path fd : fds) {
                    if (inodes.contains(socketInode(fd))) return Verdict.OWNED;
                }
            } catch (IOException | RuntimeException e) {
                // exited meanwhile, or not ours to read
            }
        }
        return readAny ? Verdict.NOT_OWNED : Verdict.UNKNOWN;
    }

    /** Inodes of the sockets in LISTEN state on {@code port}, any local address, IPv4 and IPv6. */
    static Set<String> listeningInodes(int port) throws IOException {
        String hexPort = String.format(Locale.ROOT, ":%04X", port);
        Set<String> inodes = new HashSet<>();
        for (Path table : TABLES) {
            if (!Files.isReadable(table)) continue;
            // The kernel lists every listening socket first, then the established and TIME_WAIT
            // ones, of which a busy host has tens of thousands (and generating them takes seconds):
            // read only up to the first line that is not LISTEN.
            try (Stream<String> lines = Files.lines(table)) {
                lines.skip(1).map(line -> line.trim().split("\\s+"))
                        .takeWhile(f -> f.length > 9 && f[3].equals(LISTEN))
                        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                        .filter(f -> f[1].endsWith(hexPort))
                        .forEach(f -> inodes.add(f[9]));
            }
        }
        return inodes;
    }

    private static String socketInode(Path fd) {
        try {
            String target = Files.readSymbolicLink(fd).toString();
            return target.startsWith("socket:[") ? target.substring(8, target.length() - 1) : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
