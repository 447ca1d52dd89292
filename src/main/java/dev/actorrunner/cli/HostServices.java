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
    private final Optional<Metrics> metrics;

    private HostServices(Optional<ControlServer> control, Optional<Metrics> metrics) {
        this.control = control;
        this.metrics = metrics;
    }

    /** Binds what the settings ask for; the exception's message is one line for the user. */
    static HostServices bind(RunnerSettings settings, Front front, Map<String, String> env) throws IOException {
        Optional<Metrics> metrics = Optional.empty();
        if (settings.metrics().isPresent()) {
            RunnerSettings.HostPort at = settings.metrics().get();
            metrics = Optional.of(Metrics.start(at.host(), at.port(), front));
            log.info("metrics at {}", Metrics.url(at.host(), metrics.get().port()));
        }
        try {
            Optional<ControlServer> control = bindControl(settings, front, env, metrics.map(m ->
                    Metrics.url(settings.metrics().get().host(), m.port())));
            return new HostServices(control, metrics);
        } catch (IOException e) {
            metrics.ifPresent(Metrics::close);
            throw e;
        }
    }

    private static Optional<ControlServer> bindControl(RunnerSettings settings, Front front, Map<String, String> env,
                                                       Optional<String> metricsUrl) throws IOException {
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
            control = ControlServer.bind(path, defaultPath, env, host);
        } catch (IOException e) {
            throw new IOException("control socket: " + e.getMessage(), e);
        }
        log.info("control socket {}: actor-runner status | reload | scale N | stop{}", path,
                defaultPath ? "" : " --control-socket " + path);
        return Optional.of(control);
    }

    /** Starts answering: requests go straight to the runner actor, a reload as {@code reload} makes it. */
    void attach(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner, Supplier<ActorRunner.Reload> reload) {
        attach(system, runner, reload, Optional.empty());
    }

    /** As above, with the fleet the runner is a member of, for {@code actor-runner fleet ...}. */
    void attach(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner, Supplier<ActorRunner.Reload> reload,
                Optional<FleetControl> fleet) {
        RunnerHandle handle = new RunnerHandle(system, runner, reload, fleet);
        metrics.ifPresent(m -> m.attach(handle));
        control.ifPresent(c -> c.serve(handle));
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
