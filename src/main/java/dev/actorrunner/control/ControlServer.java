package dev.actorrunner.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runner's control socket: a Unix domain socket that only its owner may use. The socket file
 * gets mode 600 right after bind (checked, and the runner refuses to start otherwise); a default
 * path lies in a directory of mode 700 besides; and every connection's peer is checked with
 * SO_PEERCRED, so a connection from another user (but root) is refused even in the moment between
 * bind and chmod. Each connection is served on a thread of its own ({@link ControlSession}), at
 * most {@link #MAX_SESSIONS} at once; the runner is reached only by messages.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

    /** Sessions served at once; `reload --wait` holds one for the whole reload. */
    static final int MAX_SESSIONS = 8;
    /** How long close() lets waiting sessions write their last line. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(2);

    private final Path path;
    private final ServerSocketChannel server;
    private volatile RunnerHandle runner;
    private final StatusView.HostInfo host;
    private final UserPrincipal owner;
    /** The inode this server bound (dev and ino), to remove at close only the socket file it created. */
    private final Object fileKey;
    private final ExecutorService sessions = new ThreadPoolExecutor(0, MAX_SESSIONS, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> daemon(r, "actor-runner-control-session"));
    private final Set<ControlSession> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closing;
    private volatile int exitCode = -1;

    private ControlServer(Path path, ServerSocketChannel server, StatusView.HostInfo host, UserPrincipal owner,
                          Object fileKey) {
        this.path = path;
        this.fileKey = fileKey;
        this.server = server;
        this.host = host;
        this.owner = owner;
        this.acceptor = daemon(this::acceptLoop, "actor-runner-control");
    }

    /**
     * Binds {@code path} owner-only; {@link #serve} starts answering. Bound before the runner
     * starts, so that a path in use is a usage error and no worker is forked for nothing. A stale
     * socket left by a runner that was killed is replaced; one on which a runner still answers, or
     * anything that is not a socket (a file, a symlink, a fifo), is an error. {@code privateDir}:
     * the path is a default one whose directory this runner may create (mode 700) and must find
     * private; otherwise the path's directory must let no one but this user and root replace the
     * socket. The exception's message is one line for the user.
     */
    public static ControlServer bind(Path path, boolean privateDir, Map<String, String> env,
                                     StatusView.HostInfo host) throws IOException {
        if (privateDir) {
            SocketPaths.preparePrivateDir(path, env);
            SocketPaths.removeDead(path, env);
        } else {
            DirectoryTrust.check(path.getParent(), "the socket");
        }
        removeStale(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Object ours = null;
        try {
            server.bind(UnixDomainSocketAddress.of(path), 16);
            ours = fileKey(path);
            // chmod follows a symlink, but no one else can have swapped the socket for one: the
            // directory was checked above to be ours, root's, or sticky.
            Files.setPosixFilePermissions(path, SocketPaths.OWNER_ONLY_SOCKET);
            var mode = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
            if (!mode.equals(SocketPaths.OWNER_ONLY_SOCKET)) {
                throw new IOException(path + ": mode " + PosixFilePermissions.toString(mode) + " after chmod 600");
            }
        } catch (IOException | RuntimeException e) {
            server.close();
            // Only what this bind created: a failed bind means someone else's file is there.
            if (ours != null) {
                try {
                    deleteIfOurs(path, ours);
                } catch (IOException notRemoved) {
                    e.addSuppressed(notRemoved);
                }
            }
            throw e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(path.toString())
                    ? io : new IOException(path + ": cannot listen there (" + e.getMessage() + ")", e);
        }
        return new ControlServer(path, server, host.withControlSocket(path.toString()), SocketPaths.currentUser(), ours);
    }

    /** Starts answering requests, which go to {@code runner}. Connections made before wait in the backlog. */
    public void serve(RunnerHandle runner) {
        this.runner = runner;
        acceptor.start();
    }

    /** From stat(2): the file type bits of st_mode, and the types of a socket and a symlink. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFLNK = 0120000;

    private static void removeStale(Path path) throws IOException {
        int type;
        try {
            type = ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)).intValue() & S_IFMT;
        } catch (java.nio.file.NoSuchFileException none) {
            return;
        }
        // Never follow or remove a link, a file or a fifo planted there (a fifo too refuses connections).
        if (type == S_IFLNK) throw new IOException(path + ": exists and is a symbolic link, not a socket");
        if (type != S_IFSOCK) throw new IOException(path + ": exists and is not a socket");
        try {
            SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
        } catch (java.net.ConnectException refused) {
            // Left by a runner that was killed: nothing listens on it any more.
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied" : String.valueOf(e.getMessage());
                throw new IOException(path + ": a stale socket that cannot be removed (" + why + ")", e);
            }
            return;
        } catch (IOException e) {
            throw new IOException(path + ": cannot tell whether a runner listens there (" + e.getMessage() + ")", e);
        }
        throw new IOException(path + ": another runner listens there");
    }

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /**
     * Removes the socket file only if it is still the one this server bound: another runner may
     * have taken the path over meanwhile (after someone removed ours), and its socket must survive.
     */
    private static void deleteIfOurs(Path path, Object ours) throws IOException {
        try {
            if (ours.equals(fileKey(path))) Files.delete(path);
        } catch (java.nio.file.NoSuchFileException gone) {
            // nothing to remove
        }
    }

    public Path path() {
        return path;
    }

    boolean closing() {
        return closing;
    }

    /** The runner's exit code once {@link #close(int)} was called, else -1. */
    int exitCode() {
        return exitCode;
    }

    private void acceptLoop() {
        while (!closing) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException closed) {
                return;
            } catch (IOException e) {
                if (!closing) log.warn("control socket {}: {}", path, e.toString());
                return;
            }
            serve(channel);
        }
    }

    private void serve(SocketChannel channel) {
        String refused = refusal(channel);
        ControlSession session = new ControlSession(this, channel, runner, host);
        if (refused != null) {
            session.refuse(refused);
            return;
        }
        open.add(session);
        try {
            sessions.execute(() -> {
                try {
                    session.run();
                } finally {
                    open.remove(session);
                }
            });
        } catch (RejectedExecutionException busy) {
            open.remove(session);
            session.refuse("busy: " + MAX_SESSIONS + " requests are being served; try again");
        }
    }

    /** Why the peer may not use the socket, or null: only our own user (and root) may. */
    private String refusal(SocketChannel channel) {
        try {
            UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (peer.user().equals(owner) || peer.user().getName().equals("root")) return null;
            log.warn("control socket {}: refused a connection from user {}", path, peer.user().getName());
            return "refused: the runner belongs to " + owner.getName();
        } catch (IOException | UnsupportedOperationException noPeerCredentials) {
            return null; // not Linux or macOS: the socket's mode 600 is the check
        }
    }

    /**
     * Stops accepting, lets sessions that wait for the runner's end write their last line (up to
     * {@link #CLOSE_GRACE}), closes the rest and removes the socket file if it is still ours.
     */
    public void close(int runnerExitCode) {
        exitCode = runnerExitCode;
        closing = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            deleteIfOurs(path, fileKey);
        } catch (IOException e) {
            log.warn("control socket {}: not removed: {}", path, e.getMessage());
        }
        sessions.shutdown();
        try {
            if (!sessions.awaitTermination(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                open.forEach(ControlSession::abort);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(-1);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
