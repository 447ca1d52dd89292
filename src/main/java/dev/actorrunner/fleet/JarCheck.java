package dev.actorrunner.fleet;

import dev.actorrunner.process.AppJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * What a node checks before a fleet reload touches anything: the release's jar is there, is an
 * app (a Main-Class), and is the very file the operator meant (its SHA-256). Blocking: run it off
 * the actors' threads.
 */
final class JarCheck {
    private JarCheck() {}

    /**
     * What the check found: {@code problem} "" when the jar is fit to run, else why not in a few
     * words; {@code sha256} its hash ("" when it is not fit). The hash goes back to the
     * coordinator, which pins the release by it: the path may be a symlink that each machine
     * resolves, and only the bytes say which release a machine runs.
     */
    record Result(String problem, String sha256) {
        static Result bad(String problem) {
            return new Result(problem, "");
        }
    }

    /** {@code sha256} "" skips the comparison (the hash is still reported). */
    static Result check(Path jar, String sha256) {
        if (!Files.isRegularFile(jar)) return Result.bad(jar + ": no such file");
        try (JarFile file = new JarFile(jar.toFile(), false)) {
            Manifest manifest = file.getManifest();
            if (manifest == null || manifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS) == null) {
                return Result.bad(jar + ": no Main-Class in its manifest");
            }
        } catch (IOException e) {
            return Result.bad(jar + ": not a jar (" + e.getMessage() + ")");
        }
        AppJar read = AppJar.read(jar);
        if (!read.problem().isEmpty()) return Result.bad(jar + ": " + read.problem());
        if (!sha256.isEmpty() && !read.sha256().equalsIgnoreCase(sha256)) {
            return Result.bad(jar + ": SHA-256 is " + read.sha256() + ", not " + sha256.toLowerCase(java.util.Locale.ROOT));
        }
        return new Result("", read.sha256());
    }

    /** "" when {@code jar} is fit to run; otherwise why not, in a few words. {@code sha256} "" skips the hash check. */
    static String problem(Path jar, String sha256) {
        return check(jar, sha256).problem();
    }
}
