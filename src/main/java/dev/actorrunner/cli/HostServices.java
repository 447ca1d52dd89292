package dev.actorrunner.cli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.control.ControlServer;
import dev.actorrunner.control.FleetControl;
import dev.actorrunner.control.Metrics;
import dev.actorrunner.control.RunnerHandle;
import dev.actorrunner.control.SocketPaths;
import dev.actorrunner.control.StatusView;
import dev.actorrunner.control.UpgradeControl;
import dev.actorrunner.front.Front;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CLI runner's control socket and metrics endpoint. Both are bound before the runner starts
 * (a socket or port in use is a usage error, like a busy public port, and no worker is forked for
 * nothing), answer once the runner runs, and are closed after it stopped: the socket file is
 * removed and a client waiting in {@code stop --wait} gets its last line.
 */
final class HostServices {
    private static final Logger log = LoggerFactory.getLogger(HostServices.class);

    private final Optional<ControlServer> control;
    private volatile Optional<Metrics> metrics;
    /** An upgrade's next runner: the metrics port, still the runner before's, is bound at {@link #takeOver}. */
    private final Optional<RunnerSettings.HostPort> metricsLater;
    private final Front front;
    private volatile RunnerHandle handle;

    private HostServices(Optional<ControlServer> control, Optional<Metrics> metrics,
                         Optional<RunnerSettings.HostPort> metricsLater, Front front) {
        this.control = control;
        this.metrics = metrics;
        this.metricsLater = metricsLater;
        this.front = front;
    }

    /** Binds what the settings ask for; the exception's message is one line for the user. */
    static HostServices bind(RunnerSettings settings, Front front, Map<String, String> env) throws IOException {
        return bind(settings, front, env, false);
    }

    /**
     * As {@link #bind(RunnerSettings, Front, Map)}; {@code successor}: this runner takes over from
     * another (an upgrade), whose control socket path and metrics port are still in use: the
     * socket is bound unpublished, the metrics port not at all, until {@link #takeOver}.
     */
    static HostServices bind(RunnerSettings settings, Front front, Map<String, String> env, boolean successor)
            throws IOException {
        Optional<Metrics> metrics = Optional.empty();
        if (settings.metrics().isPresent() && successor) {
            Optional<String> url = settings.metrics().filter(at -> at.port() != 0).map(at -> Metrics.url(at.host(), at.port()));
            return new HostServices(bindControl(settings, front, env, url, true), metrics, settings.metrics(), front);
        }
        if (settings.metrics().isPresent()) {
            RunnerSettings.HostPort at = settings.metrics().get();
            metrics = Optional.of(Metrics.start(at.host(), at.port(), front));
            log.info("metrics at {}", Metrics.url(at.host(), metrics.get().port()));
        }
        try {
            Optional<ControlServer> control = bindControl(settings, front, env, metrics.map(m ->
                    Metrics.url(settings.metrics().get().host(), m.port())), successor);
            return new HostServices(control, metrics, Optional.empty(), front);
        } catch (IOException e) {
            metrics.ifPresent(Metrics::close);
            throw e;
        }
    }

    private static Optional<ControlServer> bindControl(RunnerSettings settings, Front front, Map<String, String> env,
                                                       Optional<String> metricsUrl, boolean unpublished) throws IOException {
        long pid = ProcessHandle.current().pid();
        Path path;
        boolean defaultPath;
        if (settings.controlSocket() instanceof RunnerSettings.ControlSocket.At at) {
            path = at.path();
            defaultPath = false;
        } else if (settings.controlSocket() instanceof RunnerSettings.ControlSocket.Auto) {
            path = SocketPaths.defaultPath(pid, env);
            defaultPath = true;
        } else {
            return Optional.empty();
        }
        List<String> addresses = front.addresses().stream().map(HostServices::describe).toList();
        StatusView.HostInfo host = new StatusView.HostInfo(pid, version(), addresses, path.toString(),
                metricsUrl.orElse(null));
        ControlServer control;
        try {
            control = ControlServer.bind(path, defaultPath, env, host, unpublished);
        } catch (IOException e) {
            throw new IOException("control socket: " + e.getMessage(), e);
        }
        log.info("control socket {}: actor-runner status | reload | scale N | stop{}", path,
                defaultPath ? "" : " --control-socket " + path);
        return Optional.of(control);
    }

    /** Starts answering: requests go straight to the runner actor, a reload as {@code reload} makes it. */
    void attach(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner, Supplier<ActorRunner.Reload> reload) {
        attach(system, runner, reload, Optional.empty(), Optional.empty());
    }

    /**
     * As above, with the fleet the runner is a member of, for {@code actor-runner fleet ...}, and
     * its upgrade, for {@code actor-runner upgrade}.
     */
    void attach(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner, Supplier<ActorRunner.Reload> reload,
                Optional<FleetControl> fleet, Optional<UpgradeControl> upgrade) {
        RunnerHandle handle = new RunnerHandle(system, runner, reload, fleet, upgrade);
        this.handle = handle;
        metrics.ifPresent(m -> m.attach(handle));
        control.ifPresent(c -> c.serve(handle));
    }

    /**
     * The runner before let go (an upgrade): the control socket moves to its path (replacing the
     * one there in one rename), and the metrics port, which that runner closed, is bound now (a
     * few tries: it closes it as it lets go). Failures are logged: the runner serves regardless.
     */
    void takeOver() {
        control.ifPresent(c -> {
            try {
                c.publish();
                log.info("control socket {}: this runner answers there now", c.path());
            } catch (IOException e) {
                log.warn("control socket {}: cannot take the path over ({}); the runner answers at none", c.path(),
                        e.getMessage());
            }
        });
    }

    /** After the runner before released its metrics port: binds it (tries for up to 5 s). */
    void takeOverMetrics() {
        if (metricsLater.isEmpty() || metrics.isPresent()) return;
        RunnerSettings.HostPort at = metricsLater.get();
        IOException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                Metrics m = Metrics.start(at.host(), at.port(), front);
                if (handle != null) m.attach(handle);
                metrics = Optional.of(m);
                log.info("metrics at {}", Metrics.url(at.host(), m.port()));
                return;
            } catch (IOException e) {
                last = e;
                try {
                    Thread.sleep(100); // not an actor's thread: the handover's; the port is freed any moment
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        log.warn("metrics: {}", last == null ? "not bound" : last.getMessage());
    }

    /**
     * This runner handed over to the next one (an upgrade): its control socket leaves the path to
     * the next runner's rename (sessions open now, such as the upgrade's own, still get their
     * answers) and its metrics port closes, for the next runner to bind.
     */
    void handOver() {
        control.ifPresent(ControlServer::unpublish);
        metrics.ifPresent(Metrics::close);
        metrics = Optional.empty();
    }

    /** After the runner stopped, with the process's exit code. */
    void close(int exitCode) {
        control.ifPresent(c -> c.close(exitCode));
        metrics.ifPresent(Metrics::close);
    }

    private static String describe(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private static String version() {
        try {
            String line = new Main.Version().getVersion()[0];
            return line.startsWith("actor-runner ") ? line.substring("actor-runner ".length()) : line;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
