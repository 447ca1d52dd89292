package dev.actorrunner.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * Whether a directory the user named may hold a file the runner writes (a control socket, a pid
 * file): no one but this user and root may be able to replace an entry in it. Otherwise another
 * user could swap the socket for a symlink before the runner's chmod (which would follow it), or
 * the pid file for one naming a process of their choosing, which the operator's
 * {@code kill -HUP $(cat FILE)} would then signal. A directory others may write to passes when it
 * is sticky, like /tmp: there only an entry's owner may rename or remove it. The directory itself
 * is followed if it is a link (/var/run -> /run).
 */
public final class DirectoryTrust {

    private DirectoryTrust() {}

    /** Throws with one line for the user, naming {@code entry} (say "the socket") when {@code dir} fails. */
    public static void check(Path dir, String entry) throws IOException {
        PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class);
        UserPrincipal me = SocketPaths.currentUser();
        String risk = ": another user could replace " + entry + " there";
        if (!attrs.owner().equals(me) && !isRoot(dir)) {
            String allowed = me.getName().equals("root") ? "root" : me.getName() + " or root";
            throw new IOException(dir + ": owned by " + attrs.owner().getName() + ", not " + allowed + risk);
        }
        Set<PosixFilePermission> p = attrs.permissions();
        boolean othersWrite = p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE);
        if (othersWrite && !isSticky(dir)) {
            throw new IOException(dir + ": mode " + PosixFilePermissions.toString(p)
                    + ", others may write to it and it is not sticky" + risk);
        }
    }

    private static boolean isRoot(Path dir) throws IOException {
        try {
            return ((Integer) Files.getAttribute(dir, "unix:uid")).intValue() == 0;
        } catch (UnsupportedOperationException notUnix) {
            return Files.getOwner(dir).getName().equals("root");
        }
    }

    private static boolean isSticky(Path dir) throws IOException {
        try {
            return (((Integer) Files.getAttribute(dir, "unix:mode")).intValue() & 01000) != 0;
        } catch (UnsupportedOperationException notUnix) {
            return false;
        }
    }
}
