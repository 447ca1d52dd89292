package dev.actorrunner.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The app jar a generation runs, as it was when its workers were forked: its real path (symlinks
 * resolved, so a deploy that repoints {@code current.jar} shows the release it points at) and the
 * SHA-256 of its bytes (so a deploy that replaced the file in place shows, and one that forgot to
 * does too). Found in any argv of the form {@code .../java ... -jar JAR ...}; any other command
 * has no app jar, and nothing is recorded for it.
 *
 * @param path   the real path, or the path as given when it could not be read
 * @param sha256 lower-case hex, or empty when the file could not be read ({@code problem} says why)
 */
public record AppJar(Path path, String sha256, String problem) {

    /** The jar of {@code argv}, if it runs one; pure. */
    public static Optional<Path> in(List<String> argv) {
        if (argv.isEmpty() || !Path.of(argv.get(0)).getFileName().toString().equals("java")) return Optional.empty();
        int jar = argv.indexOf("-jar");
        return jar > 0 && jar + 1 < argv.size() ? Optional.of(Path.of(argv.get(jar + 1))) : Optional.empty();
    }

    /**
     * Reads and hashes the jar of {@code argv} on the library's own threads (never on the caller's):
     * empty at once when {@code argv} runs no jar.
     */
    public static CompletionStage<Optional<AppJar>> of(List<String> argv) {
        Optional<Path> jar = in(argv);
        if (jar.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
        return CompletableFuture.supplyAsync(() -> Optional.of(read(jar.get())), ProcessThreads.EVENTS);
    }

    /** Blocking: resolves and hashes {@code jar}. */
    public static AppJar read(Path jar) {
        Path real;
        try {
            real = jar.toRealPath();
        } catch (NoSuchFileException e) {
            return new AppJar(jar, "", "cannot be read (no such file)");
        } catch (IOException e) {
            return new AppJar(jar, "", "cannot be read (" + e.getMessage() + ")");
        }
        try (InputStream in = Files.newInputStream(real)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) sha.update(buffer, 0, n);
            return new AppJar(real, HexFormat.of().formatHex(sha.digest()), "");
        } catch (IOException e) {
            return new AppJar(real, "", "cannot be read (" + e.getMessage() + ")");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
