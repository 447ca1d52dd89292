package dev.actorrunner.supervisor;

import dev.actorrunner.RunnerStatus;
import dev.actorrunner.RunnerStatus.State;
import dev.actorrunner.front.Router;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/** The Master's table of workers, in fork order, with the queries its decisions need. */
final class Workers {
    private final Map<Integer, Entry> byId = new LinkedHashMap<>();

    void add(Entry w) {
        byId.put(w.id, w);
    }

    Entry get(int id) {
        return byId.get(id);
    }

    void remove(Entry w) {
        byId.remove(w.id);
    }

    int size() {
        return byId.size();
    }

    List<Entry> all() {
        return List.copyOf(byId.values());
    }

    void setState(Entry w, State state) {
        w.state = state;
        w.since = Instant.now();
    }

    /** Starting or ready: the workers that count toward capacity, oldest first. */
    List<Entry> active() {
        return byId.values().stream()
                .filter(w -> w.state == State.STARTING || w.state == State.READY)
                .toList();
    }

    int count(State state) {
        return (int) byId.values().stream().filter(w -> w.state == state).count();
    }

    /** True when every active worker is ready and belongs to {@code generation}. */
    boolean allReadyIn(int generation) {
        return active().stream().allMatch(w -> w.state == State.READY && w.generation == generation);
    }

    /** The routing table the front reads: the ready workers. */
    List<Router.Route> routes() {
        return byId.values().stream().filter(w -> w.state == State.READY)
                .map(w -> new Router.Route(w.id, w.port)).toList();
    }

    /** Scale down takes a worker that is not serving yet (newest first), else the oldest one. */
    Entry scaleDownVictim() {
        List<Entry> active = active();
        return active.stream().filter(w -> w.state == State.STARTING)
                .max(Comparator.comparingInt(w -> w.id))
                .orElse(active.get(0));
    }

    /** @param connections open connections of a worker id, as the front counts them */
    List<RunnerStatus.Worker> snapshot(IntUnaryOperator connections) {
        return byId.values().stream()
                .map(w -> new RunnerStatus.Worker(w.id, w.generation, w.pid, w.port, w.state, w.since,
                        w.startedAt, w.restarts, connections.applyAsInt(w.id)))
                .toList();
    }
}
