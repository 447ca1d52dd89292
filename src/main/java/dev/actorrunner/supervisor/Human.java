package dev.actorrunner.supervisor;

import java.time.Duration;

/** Durations as people write them in config ("60s", "1.5s", "250ms"), not ISO-8601 ("PT1M"). */
public final class Human {
    private Human() {}

    public static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) return ms + "ms";
        if (ms % 1000 == 0) return (ms / 1000) + "s";
        return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }
}
