package dev.actorrunner.probe;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Whether an app has accepted a connection, as Linux shows it in /proc/net/tcp and tcp6: a
 * connection still waiting in a listener's accept queue has no socket inode yet (0). A connect
 * alone proves little: the kernel completes it for a stopped or hung process too, until the
 * backlog is full. Blocking reads; the probe pool's threads only. Each read costs about 1 ms of
 * CPU (see {@link #lastFound}): read as seldom as the check allows.
 */
final class AcceptQueue {
    private static final Path[] TABLES = {Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6")};
    /**
     * The table that held the last connection found: read first, since one read costs about 1 ms
     * of CPU however few connections there are (the kernel walks its whole established-connection
     * hash, 262,144 buckets on a 24 GiB machine), and the checks' connections of one runner all
     * land in the same table.
     */
    private static volatile int lastFound;
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private AcceptQueue() {}

    /**
     * For the connection from local {@code clientPort} to {@code serverPort} (both on this host):
     * true once the server side was accepted, false while it waits in the queue, empty when the
     * tables do not say (not Linux, or the connection is already gone).
     */
    static Optional<Boolean> accepted(int serverPort, int clientPort) {
        int first = lastFound;
        for (int i = 0; i < TABLES.length; i++) {
            int t = (first + i) % TABLES.length;
            try (BufferedReader in = Files.newBufferedReader(TABLES[t], StandardCharsets.US_ASCII)) {
                in.readLine(); // header
                for (String line; (line = in.readLine()) != null; ) {
                    Optional<Boolean> found = serverSide(line, serverPort, clientPort);
                    if (found.isPresent()) {
                        lastFound = t;
                        return found;
                    }
                }
            } catch (IOException | RuntimeException unreadable) {
                // not Linux, or no IPv6: the other table, or no answer
            }
        }
        return Optional.empty();
    }

    /** "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...", addresses as HEX:PORT. */
    static Optional<Boolean> serverSide(String line, int serverPort, int clientPort) {
        String[] f = SPACES.split(line.trim());
        if (f.length < 10 || port(f[1]) != serverPort || port(f[2]) != clientPort) return Optional.empty();
        return Optional.of(!f[9].equals("0"));
    }

    private static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1), 16);
    }
}
