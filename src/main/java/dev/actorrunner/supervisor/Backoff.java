package dev.actorrunner.supervisor;

import java.time.Duration;

/**
 * Delay before a crashed worker is replaced: min, 2 min, 4 min ... capped at max ("unbounded
 * exponential backoff is not a thing"). {@link #reset()} once a worker has stayed up for a while,
 * so a crash after weeks of service is replaced at once while a crash loop slows down.
 */
final class Backoff {
    private final Duration min;
    private final Duration max;
    private int failures;

    Backoff(Duration min, Duration max) {
        this.min = min;
        this.max = max.compareTo(min) < 0 ? min : max;
    }

    /** Records one more failure and returns how long to wait before the next attempt. */
    Duration next() {
        failures++;
        return delay(failures);
    }

    void reset() {
        failures = 0;
    }

    int failures() {
        return failures;
    }

    private Duration delay(int n) {
        // Doubling past 2^20 overflows nothing useful: any realistic min is capped long before.
        int shift = Math.min(n - 1, 20);
        Duration d = min.multipliedBy(1L << shift);
        return d.compareTo(max) > 0 ? max : d;
    }
}
