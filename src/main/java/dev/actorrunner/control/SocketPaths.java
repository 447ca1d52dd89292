package dev.actorrunner.control;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where control sockets live by default, and how a client finds them. A runner's default socket is
 * {@code $XDG_RUNTIME_DIR/actor-runner-PID.sock} (a per-user directory that systemd and the
 * desktop create with mode 700), else {@code TMPDIR/actor-runner-UID/PID.sock} in a directory the
 * runner creates with mode 700. Either directory is refused when someone else owns it or others
 * may enter it (in a shared /tmp, another user could have created it first), and a socket path
 * given by the user when others could replace entries of its directory.
 */
public final class SocketPaths {
    static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> OWNER_ONLY_SOCKET = PosixFilePermissions.fromString("rw-------");

    private SocketPaths() {}

    /** The default socket path of the runner {@code pid}. */
    public static Path defaultPath(long pid, Map<String, String> env) {
        return xdgDir(env).map(dir -> dir.resolve("actor-runner-" + pid + ".sock"))
                .orElseGet(() -> tmpDir().resolve(pid + ".sock"));
    }

    /**
     * Where the runner {@code pid} hands its sockets to the next runner during an upgrade: beside
     * its default control socket, in the same private directory (see {@link #preparePrivateDir}),
     * under a name that discovery does not take for a control socket.
     */
    public static Path handoverPath(long pid, Map<String, String> env) {
        Path socket = defaultPath(pid, env);
        String name = socket.getFileName().toString();
        return socket.resolveSibling(name.substring(0, name.length() - ".sock".length()) + ".handover");
    }

    /**
     * Creates the default path's directory if it is the runner's own one under TMPDIR (owner-only),
     * and checks that it is private, as is required of $XDG_RUNTIME_DIR too: a directory of this
     * user's, mode 700, not a symbolic link. In a shared /tmp another user could have made it
     * first; and a runner started by root with a user's XDG_RUNTIME_DIR (sudo -E) would otherwise
     * put its socket where that user can swap it. The exception's message is one line for the user.
     */
    public static void preparePrivateDir(Path socket, Map<String, String> env) throws IOException {
        Path dir = socket.getParent();
        boolean xdg = xdgDir(env).filter(dir::equals).isPresent();
        if (!xdg) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                // The umask may have taken bits away, never added any; set it all the same.
                Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
            } catch (java.nio.file.FileAlreadyExistsException exists) {
                // checked below, whoever made it
            }
        }
        String fix = xdg ? "XDG_RUNTIME_DIR must be private to this user: fix or unset it, or give --control-socket PATH"
                : "remove it, or give --control-socket PATH";
        // XDG_RUNTIME_DIR is followed (the variable names it on purpose); our own directory is not.
        PosixFileAttributes attrs = xdg ? Files.readAttributes(dir, PosixFileAttributes.class)
                : Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attrs.isSymbolicLink()) throw new IOException(dir + ": a symbolic link, not a directory (" + fix + ")");
        if (!attrs.isDirectory()) throw new IOException(dir + ": not a directory (" + fix + ")");
        UserPrincipal me = currentUser();
        if (!attrs.owner().equals(me)) {
            throw new IOException(dir + ": owned by " + attrs.owner().getName() + ", not " + me.getName()
                    + " (" + fix + ")");
        }
        if (!attrs.permissions().equals(OWNER_ONLY_DIR)) {
            throw new IOException(dir + ": mode " + PosixFilePermissions.toString(attrs.permissions())
                    + ", expected rwx------ (" + (xdg ? fix : "chmod 700 it, or give --control-socket PATH") + ")");
        }
    }

    /**
     * The sockets a client may mean when it names none: every {@code actor-runner-PID.sock} in
     * $XDG_RUNTIME_DIR and every {@code PID.sock} in the TMPDIR directory whose runner is alive.
     */
    public static List<Path> candidates(Map<String, String> env) {
        List<Path> found = new ArrayList<>();
        xdgDir(env).ifPresent(dir -> found.addAll(sockets(dir, "actor-runner-", true)));
        found.addAll(sockets(tmpDir(), "", true));
        return found;
    }

    /**
     * Removes the default sockets that runners killed by SIGKILL left beside {@code socket}: those
     * whose pid is no longer alive. Best effort; discovery skips them anyway.
     */
    static void removeDead(Path socket, Map<String, String> env) {
        Path dir = socket.getParent();
        String prefix = xdgDir(env).filter(dir::equals).isPresent() ? "actor-runner-" : "";
        List<Path> stale = new ArrayList<>(sockets(dir, prefix, false));
        stale.addAll(sockets(dir, prefix, false, ".handover")); // an upgrade's, of a runner killed during it
        for (Path dead : stale) {
            try {
                Files.deleteIfExists(dead);
            } catch (IOException e) {
                // someone else's, or gone: leave it
            }
        }
    }

    /** The {@code PREFIXpid.sock} files of {@code dir} whose pid is alive (or dead). */
    private static List<Path> sockets(Path dir, String prefix, boolean alive) {
        return sockets(dir, prefix, alive, ".sock");
    }

    private static List<Path> sockets(Path dir, String prefix, boolean alive, String suffix) {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) return found;
        try (DirectoryStream<Path> sockets = Files.newDirectoryStream(dir, prefix + "*" + suffix)) {
            for (Path p : sockets) {
                String name = p.getFileName().toString();
                String pid = name.substring(prefix.length(), name.length() - suffix.length());
                if (!pid.matches("\\d{1,10}")) continue;
                boolean running = ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
                if (running == alive) found.add(p);
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: nothing found there
        }
        return found;
    }

    private static java.util.Optional<Path> xdgDir(Map<String, String> env) {
        String xdg = env.get("XDG_RUNTIME_DIR");
        if (xdg == null || xdg.isBlank()) return java.util.Optional.empty();
        Path dir = Path.of(xdg).toAbsolutePath();
        return Files.isDirectory(dir) ? java.util.Optional.of(dir) : java.util.Optional.empty();
    }

    private static Path tmpDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), "actor-runner-" + uid()).toAbsolutePath();
    }

    /** The process's uid as text (Linux: the owner of /proc/self), else the user's name. */
    private static String uid() {
        try {
            return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException notLinux) {
            return System.getProperty("user.name");
        }
    }

    /** Who this process runs as: the owner of /proc/self on Linux (even without a passwd entry). */
    static UserPrincipal currentUser() throws IOException {
        try {
            return Files.getOwner(Path.of("/proc/self"));
        } catch (IOException | RuntimeException notLinux) {
            return FileSystems.getDefault().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
        }
    }
}
