package dev.actorrunner.cli;

import dev.actorrunner.control.DirectoryTrust;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.function.Supplier;

/**
 * The runner's pid in a file, for {@code kill -HUP $(cat FILE)}. Written owner-only, and never
 * through a symlink: pid files often live in shared directories, where a planted link to, say,
 * ~/.bashrc would otherwise make the runner overwrite its target. The content goes to a fresh
 * temp file (created exclusively) in the same directory, which is then renamed onto the path:
 * rename(2) replaces a symlink itself, and readers never see a half-written pid. The directory
 * must be one no other user can replace entries in ({@link DirectoryTrust}).
 */
final class PidFile implements AutoCloseable {

    private final Path path;
    private final String content;

    private PidFile(Path path, String content) {
        this.path = path;
        this.content = content;
    }

    /** Writes {@code pid} to {@code path}; the message of the exception is one line for the user. */
    static PidFile write(Path path, long pid) throws IOException {
        SecureRandom random = new SecureRandom();
        return write(path, pid, () -> "." + path.getFileName() + "." + Long.toUnsignedString(random.nextLong(), 36) + ".tmp");
    }

    /** Tries this many temp names: a name taken (by anything, a planted symlink too) is skipped. */
    static final int TEMP_ATTEMPTS = 8;

    /**
     * As {@link #write(Path, long)}, the temp file's name in the same directory from
     * {@code tempNames}. It is created with O_CREAT|O_EXCL (CREATE_NEW), which fails on any
     * existing entry, a symlink included, rather than follow it.
     */
    static PidFile write(Path path, long pid, Supplier<String> tempNames) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        try {
            DirectoryTrust.check(dir, "the pid file");
        } catch (NoSuchFileException e) {
            throw new IOException(dir + ": cannot create a file there (no such directory)", e);
        }
        String content = pid + "\n";
        Path tmp = null;
        for (int attempt = 0; tmp == null; attempt++) {
            Path candidate = dir.resolve(tempNames.get());
            try {
                Files.newByteChannel(candidate, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))).close();
                tmp = candidate;
            } catch (FileAlreadyExistsException taken) {
                if (attempt + 1 >= TEMP_ATTEMPTS) {
                    throw new IOException(dir + ": cannot create a file there (" + TEMP_ATTEMPTS
                            + " temp names in a row were taken)", taken);
                }
            } catch (IOException e) {
                throw new IOException(dir + ": cannot create a file there (" + reason(e) + ")", e);
            }
        }
        try {
            // NOFOLLOW: the name is ours (we just created it), but were it swapped for a link, write nothing through it.
            Files.writeString(tmp, content, StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS);
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException(path + ": cannot write (" + reason(e) + ")", e);
        }
        return new PidFile(path, content);
    }

    Path path() {
        return path;
    }

    /**
     * Deletes the file if it still holds our pid: a second runner started meanwhile may have
     * taken the path over, and its pid file must survive our exit.
     */
    @Override
    public void close() {
        try {
            if (Files.isRegularFile(path) && Files.readString(path, StandardCharsets.US_ASCII).equals(content)) {
                Files.delete(path);
            }
        } catch (IOException | RuntimeException e) {
            // Exiting anyway; a stale pid file is harmless next to a failed exit.
        }
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) return "no such directory";
        if (e instanceof AccessDeniedException) return "permission denied";
        String reason = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason()
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return reason.replaceAll("[\\r\\n]+", " ");
    }
}
