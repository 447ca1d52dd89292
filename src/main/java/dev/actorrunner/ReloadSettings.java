package dev.actorrunner;

import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.config.SettingsChanges;
import dev.actorrunner.process.AppJar;
import java.util.List;
import java.util.Optional;

/**
 * Which settings the next reload runs with, decided without timers or I/O: the reads that the
 * Reloads brought (they may finish out of order; the newest request's read wins, an older one
 * that finishes later is stale), the worker count rule, and the restart-only settings kept from
 * the start. Used on the runner's thread only.
 */
final class ReloadSettings {

    /** What the next generation runs: its settings, what they change, and what they would change that only a restart may. */
    record Next(RunnerSettings settings, List<String> changes, List<String> restartOnly, Optional<AppJar> jar) {}

    private final RunnerSettings initial;
    /** The settings as last read, before the running values were kept: its worker count is the file's. */
    private RunnerSettings lastRead;
    private long requests;
    /** The newest settings read and not yet applied, and the request that read them. */
    private RunnerSettings pending;
    private Optional<AppJar> pendingJar = Optional.empty();
    private long pendingRequest;
    /** The app jar as the newest reload with the same settings found it. */
    private Optional<AppJar> sameJar = Optional.empty();

    /** @param initial the settings the runner started with */
    ReloadSettings(RunnerSettings initial) {
        this.initial = initial;
        this.lastRead = initial;
    }

    /** A Reload arrived: its number, in order of arrival. */
    long request() {
        return ++requests;
    }

    /** The settings a reload with the same settings runs (those read last). */
    RunnerSettings lastRead() {
        return lastRead;
    }

    /** Request {@code request} read {@code read} (null: the same settings), whose app jar is {@code jar}. */
    void read(long request, RunnerSettings read, Optional<AppJar> jar) {
        if (read == null) {
            sameJar = jar;
        } else if (request > pendingRequest) {
            pendingRequest = request;
            pending = read;
            pendingJar = jar;
        }
    }

    /**
     * The reload starts: what it runs with, taken from the newest read. The file's worker count
     * applies only when it differs from what the settings applied last said, so that a reload does
     * not undo a scale; else the {@code desired} count stays.
     *
     * @param running the newest generation's settings so far
     */
    Next take(RunnerSettings running, int desired) {
        RunnerSettings read = pending == null ? lastRead : pending;
        Optional<AppJar> jar = pending == null ? sameJar : pendingJar;
        pending = null;
        int count = read.workers() != lastRead.workers() ? read.workers() : desired;
        RunnerSettings next = SettingsChanges.nextGeneration(initial, read, count);
        lastRead = read;
        return new Next(next, SettingsChanges.between(SettingsChanges.withWorkers(running, desired), next),
                SettingsChanges.restartOnly(initial, read), jar);
    }
}
