package dev.actorrunner.fleet;

import dev.actorrunner.config.FleetSettings;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/** A {@code fleet} request's arguments as the control socket got them, checked. Pure. */
final class FleetRequest {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private FleetRequest() {}

    /** A fleet reload's arguments; {@code problem} "" when they are good. */
    record Reload(String jar, String sha256, int maxParallel, int canary, boolean await, String problem) {}

    static Reload reload(Map<String, Object> m, FleetSettings settings) {
        String jar = m.get("jar") instanceof String s ? s.strip() : "";
        String sha = m.get("sha256") instanceof String s ? s.strip().toLowerCase(java.util.Locale.ROOT) : "";
        long maxParallel = m.get("maxParallel") instanceof Number n ? n.longValue() : settings.maxParallel();
        long canary = m.get("canary") instanceof Number n ? n.longValue() : 0;
        boolean await = Boolean.TRUE.equals(m.get("wait"));
        String problem = "";
        if (!jar.isEmpty() && !Path.of(jar).isAbsolute()) {
            problem = "--jar: " + jar + ": give the path every machine has, from the root (/srv/app/releases/8/app.jar)";
        } else if (!sha.isEmpty() && !SHA256.matcher(sha).matches()) {
            problem = "--sha256: expected 64 hex digits, got \"" + sha + "\"";
        } else if (!sha.isEmpty() && jar.isEmpty()) {
            problem = "--sha256 needs --jar";
        } else if (maxParallel < 1 || maxParallel > 1024) {
            problem = "--max-parallel: expected a number from 1 to 1024, got " + maxParallel;
        } else if (canary < 0 || canary > 1024) {
            problem = "--canary: expected a number from 0 to 1024, got " + canary;
        }
        return new Reload(jar, sha, (int) maxParallel, (int) canary, await, problem);
    }
}
