package dev.actorrunner.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
    /** 127.0.0.1 and 0.0.0.0 as /proc/net/tcp writes them; ::, ::ffff:127.0.0.1 as tcp6 does. */
    private static final Set<String> LOOPBACK_OR_ANY = Set.of("0100007F", "00000000",
            "00000000000000000000000000000000", "0000000000000000FFFF00000100007F");
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
        // NOT_OWNED only if every fd of the tree was seen: a child we may not look into (run
        // through sudo, a binary with file capabilities, /proc mounted hidepid) may hold it.
        boolean sawAll = true;
        for (long p : pids) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(p), "fd"))) {
                for (Path fd : fds) {
                    try {
                        if (inodes.contains(socketInode(Files.readSymbolicLink(fd).toString()))) return Verdict.OWNED;
                    } catch (NoSuchFileException closed) {
                        // closed meanwhile
                    }
                }
            } catch (NoSuchFileException exited) {
                // exited meanwhile: it holds nothing
            } catch (IOException | RuntimeException e) {
                sawAll = false;
            }
        }
        return sawAll ? Verdict.NOT_OWNED : Verdict.UNKNOWN;
    }

    /**
     * Inodes of the sockets in LISTEN state on {@code port} that a connection to 127.0.0.1 can
     * reach: bound to 127.0.0.1 or the wildcard, IPv4 or IPv6 (dual stack, or IPv4-mapped).
     */
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
                        .filter(f -> f[1].endsWith(hexPort)
                                && LOOPBACK_OR_ANY.contains(f[1].substring(0, f[1].length() - hexPort.length())))
                        .forEach(f -> inodes.add(f[9]));
            }
        }
        return inodes;
    }

    private static String socketInode(String linkTarget) {
        return linkTarget.startsWith("socket:[") ? linkTarget.substring(8, linkTarget.length() - 1) : "";
    }
}
