package dev.actorrunner.supervisor;

import dev.actorrunner.front.Router;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The runner's table of workers, in fork order, with the queries its decisions need. */
public final class Workers {
    private final Map<Integer, Entry> byId = new LinkedHashMap<>();

    public void add(Entry w) {
        byId.put(w.id, w);
    }

    /** The worker, or null when it is not (or no longer) in the table. */
    public Entry get(int id) {
        return byId.get(id);
    }

    public void remove(Entry w) {
        byId.remove(w.id);
    }

    public int size() {
        return byId.size();
    }

    /** Every worker, oldest first; a copy, so the caller may change the table while it walks it. */
    public List<Entry> all() {
        return List.copyOf(byId.values());
    }

    public void setState(Entry w, WorkerState state) {
        w.state = state;
        w.since = Instant.now();
    }

    /** Starting or ready: the workers that count toward capacity, oldest first. */
    public List<Entry> active() {
        return byId.values().stream()
                .filter(w -> w.state == WorkerState.STARTING || w.state == WorkerState.READY)
                .toList();
    }

    public int count(WorkerState state) {
        return (int) byId.values().stream().filter(w -> w.state == state).count();
    }

    /** True when every active worker is ready and belongs to {@code generation}. */
    boolean allReadyIn(int generation) {
        return active().stream().allMatch(w -> w.state == WorkerState.READY && w.generation == generation);
    }

    /** Workers of a generation before {@code generation}, in any state: alive until their exit is seen. */
    public int olderThan(int generation) {
        return (int) byId.values().stream().filter(w -> w.generation < generation).count();
    }

    /** The routing table the front reads: the ready workers. */
    public List<Router.Route> routes() {
        return byId.values().stream().filter(w -> w.state == WorkerState.READY)
                .map(w -> new Router.Route(w.id, w.port())).toList();
    }

    /** Scale down takes a worker that is not serving yet (newest first), else the oldest one. */
    Entry scaleDownVictim() {
        List<Entry> active = active();
        return active.stream().filter(w -> w.state == WorkerState.STARTING)
                .max(Comparator.comparingInt(w -> w.id))
                .orElse(active.get(0));
    }
}
