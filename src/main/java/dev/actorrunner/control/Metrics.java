package dev.actorrunner.control;

import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.front.BindAddresses;
import dev.actorrunner.front.Front;
import dev.actorrunner.front.Traffic;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code --metrics HOST:PORT}: Prometheus metrics, served by the Prometheus Java client at
 * {@code /metrics}. Counts that the runner keeps (workers by state, crashes, reloads, open
 * connections) are read from one status per scrape ({@link RunnerCollector}); the front's
 * counters (connections, bytes,
 * connect retries, queue waits, response timeouts) from its atomics; reload durations, unhealthy
 * and recycled workers are observed as the events arrive. Scrapes run on the exporter's own thread and wait for the status there.
 */
public final class Metrics implements AutoCloseable {

    /** A scrape of a runner that does not answer in time shows no runner-side metrics rather than hanging. */
    static final Duration SCRAPE_TIMEOUT = Duration.ofSeconds(2);

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private volatile RunnerHandle runner;
    private final Histogram reloadSeconds;
    private final Counter unhealthy;
    private final Counter recycled;
    private final Map<Integer, Long> reloadStarts = new ConcurrentHashMap<>();
    private HTTPServer server;

    /** @param front null when the runner has no public port of its own */
    Metrics(Front front) {
        reloadSeconds = Histogram.builder().name("actor_runner_reload_duration_seconds")
                .help("How long reloads took, from start to the last old worker's exit (completed) or to the failure (aborted)")
                .labelNames("result")
                .classicOnly()
                .classicUpperBounds(1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)
                .register(registry);
        unhealthy = Counter.builder().name("actor_runner_workers_unhealthy")
                .help("Workers taken out of rotation for failing liveness checks (active or passive), dumped and replaced")
                .register(registry);
        recycled = Counter.builder().name("actor_runner_workers_recycled")
                .help("Workers replaced for reaching max-memory or max-lifetime")
                .register(registry);
        registry.register(new RunnerCollector(front));
        if (front != null) registerFrontMetrics(front);
    }

    /**
     * Starts serving on {@code host:port}, before the runner starts (a port in use is a usage
     * error); until {@link #attach} the runner's own metrics are left out. The message of the
     * exception is one line for the user.
     */
    public static Metrics start(String host, int port, Front front) throws IOException {
        Metrics metrics = new Metrics(front);
        try {
            metrics.server = HTTPServer.builder().inetAddress(BindAddresses.resolve(host)).port(port)
                    .registry(metrics.registry).buildAndStart();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        return metrics;
    }

    /** From now on scrapes read {@code runner}'s status, and its reload events are observed. */
    public void attach(RunnerHandle runner) {
        this.runner = runner;
        runner.listen(this::onEvent);
    }

    /** The port the metrics are served on (the real one when 0 was asked for). */
    public int port() {
        return server.getPort();
    }

    /** Takes a runner event (from any thread): reload durations, unhealthy and recycled workers. */
    public void onEvent(RunnerEvent event) {
        if (event instanceof RunnerEvent.WorkerUnhealthy) {
            unhealthy.inc();
        } else if (event instanceof RunnerEvent.WorkerRecycled) {
            recycled.inc();
        } else if (event instanceof RunnerEvent.ReloadStarted e) {
            reloadStarts.put(e.generation(), System.nanoTime());
        } else if (event instanceof RunnerEvent.ReloadCompleted e) {
            reloadStarts.remove(e.generation());
            reloadSeconds.labelValues("completed").observe(e.took().toNanos() / 1e9);
        } else if (event instanceof RunnerEvent.ReloadAborted e) {
            Long t0 = reloadStarts.remove(e.generation());
            if (t0 != null) reloadSeconds.labelValues("aborted").observe((System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * The metrics read from the runner's status: one ask per scrape, so that they agree with each
     * other; none when the runner does not answer within {@link #SCRAPE_TIMEOUT}.
     */
    private final class RunnerCollector implements MultiCollector {
        private final Front front;

        RunnerCollector(Front front) {
            this.front = front;
        }

        @Override
        public MetricSnapshots collect() {
            RunnerStatus s = status();
            if (s == null) return new MetricSnapshots();
            List<MetricSnapshot> out = new ArrayList<>();
            GaugeSnapshot.Builder byState = GaugeSnapshot.builder().name("actor_runner_workers").help("Workers by state");
            for (RunnerStatus.State state : RunnerStatus.State.values()) {
                byState.dataPoint(gaugePoint(s.workers().stream().filter(w -> w.state() == state).count(),
                        Labels.of("state", state.name().toLowerCase(Locale.ROOT))));
            }
            out.add(byState.build());
            out.add(gauge("actor_runner_workers_desired", "Workers the runner keeps ready", s.desiredWorkers()));
            out.add(gauge("actor_runner_generation", "Generation of the newest workers (1 + reloads started)", s.generation()));
            out.add(gauge("actor_runner_reloading", "1 while a reload runs", s.reloading() ? 1 : 0));
            out.add(counter("actor_runner_restarts",
                    "Workers that died without being asked to (each is replaced after a backoff)", s.crashes()));
            out.add(counter("actor_runner_reloads_started", "Reloads started", s.reloads().started()));
            out.add(counter("actor_runner_reloads_completed", "Reloads completed", s.reloads().completed()));
            out.add(counter("actor_runner_reloads_aborted",
                    "Reloads aborted (a replacement failed, or a stop came first)", s.reloads().aborted()));
            GaugeSnapshot.Builder open = GaugeSnapshot.builder().name("actor_runner_worker_connections_open")
                    .help("Connections the public port holds open to each worker");
            s.workers().forEach(w -> open.dataPoint(gaugePoint(w.connections(), Labels.of("worker", String.valueOf(w.id())))));
            out.add(open.build());
            if (front != null) {
                CounterSnapshot.Builder routed = CounterSnapshot.builder().name("actor_runner_worker_connections_routed")
                        .help("Connections (http mode: requests; auto mode: pinned connections and HTTP/1.x requests) routed to each worker");
                s.workers().forEach(w -> routed.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                        .value(front.routedTo(w.id())).labels(Labels.of("worker", String.valueOf(w.id()))).build()));
                out.add(routed.build());
            }
            return new MetricSnapshots(out);
        }

        private RunnerStatus status() {
            RunnerHandle r = runner;
            if (r == null) return null;
            try {
                return r.status(SCRAPE_TIMEOUT).toCompletableFuture()
                        .get(SCRAPE_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            } catch (ExecutionException | TimeoutException noAnswer) {
                return null;
            }
        }

        private static GaugeSnapshot.GaugeDataPointSnapshot gaugePoint(double value, Labels labels) {
            return GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(labels).build();
        }

        private static GaugeSnapshot gauge(String name, String help, double value) {
            return GaugeSnapshot.builder().name(name).help(help).dataPoint(gaugePoint(value, Labels.EMPTY)).build();
        }

        private static CounterSnapshot counter(String name, String help, double value) {
            return CounterSnapshot.builder().name(name).help(help)
                    .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(value).build()).build();
        }
    }

    private void registerFrontMetrics(Front front) {
        Traffic t = front.traffic();
        CounterWithCallback.builder().name("actor_runner_connections_accepted")
                .help("Connections accepted on the public port").callback(cb -> cb.call(t.accepted())).register(registry);
        CounterWithCallback.builder().name("actor_runner_relayed_bytes")
                .help("Bytes relayed between clients and workers: in = from clients, out = to clients")
                .labelNames("direction")
                .callback(cb -> {
                    cb.call(t.bytesIn(), "in");
                    cb.call(t.bytesOut(), "out");
                })
                .register(registry);
        CounterWithCallback.builder().name("actor_runner_connect_retries")
                .help("Connects to a worker in rotation that failed and were retried on another worker")
                .callback(cb -> cb.call(t.connectFailures())).register(registry);
        CounterWithCallback.builder().name("actor_runner_queue_waits")
                .help("Times a connection (http mode, and auto mode's HTTP/1.x connections: a request) had to wait for a ready worker")
                .callback(cb -> cb.call(t.queueWaits())).register(registry);
        CounterWithCallback.builder().name("actor_runner_response_timeouts")
                .help("Requests (http mode, auto mode's HTTP/1.x) whose worker showed no progress for response-timeout: answered 504, or cut")
                .callback(cb -> cb.call(t.responseTimeouts())).register(registry);
    }

    /** The address the metrics are served on, for the log line. */
    public static String url(String host, int port) {
        InetSocketAddress a = new InetSocketAddress(host, port);
        String h = a.getHostString();
        return "http://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + port + "/metrics";
    }

    @Override
    public void close() {
        if (server != null) server.close();
    }
}
