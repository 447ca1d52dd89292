package dev.actorrunner.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a runner needs, validated and immutable. Built by {@link SettingsLoader} from HOCON,
 * environment and flags, or directly from code with {@link #builder(List)}.
 *
 * @param appName         a short name for logs and status (the jar's file name, or the command)
 * @param command         the worker's argv; {@code {port}} in any element is replaced by the
 *                        worker's private port. Never run through a shell.
 * @param workers         desired number of ready workers (N)
 * @param bindHost        the public address (owned by the Front)
 * @param port            the public port (owned by the Front)
 * @param ready           how a worker shows it is listening
 * @param readyTimeout    a worker not listening by then is killed (and a reload aborted)
 * @param readyOwnerCheck tcp and http readiness also require that the listener on the worker's
 *                        port is the worker's or a descendant's (off: any listener counts)
 * @param probeInterval   time between two readiness probes of a starting worker
 * @param killTimeout     grace between SIGTERM and SIGKILL (the ancestor's 60 s kill timer)
 * @param drainTimeout    how long a worker out of rotation may keep its connections before SIGTERM
 * @param queueTimeout    how long a connection accepted while no worker is ready waits for one
 * @param ioThreads       event loop threads of the front
 * @param transport       the front's Netty transport (auto: epoll, else NIO; io_uring is opt-in)
 * @param mode            auto (the default): each connection's first bytes decide between http and
 *                        tcp; tcp: a connection is pinned to a worker; http: each request is routed
 * @param http            settings of the http mode (and of auto mode's HTTP/1.x connections)
 * @param reloadStrategy  surge (new first) or stop-first (the ancestor's order)
 * @param reloadSettle    during a reload, how long a new worker must stay ready before an old one
 *                        is stopped for it; zero stops one as soon as the new one is ready
 * @param slowStart       how long the share of new traffic of a worker that enters rotation beside
 *                        warm ones ramps up; during a reload an old worker stops for a new one only
 *                        once its ramp is over (as with reload-settle); zero: full share at once
 * @param warmup          requests sent to a new worker's private port before it enters rotation
 * @param portEnv         environment variable that carries the private port
 * @param backoffMin      first delay before a crashed worker is replaced
 * @param backoffMax      cap of the exponential backoff
 * @param backoffReset    a worker that stayed up this long resets the backoff
 * @param bootFailureLimit consecutive failures before any worker was ever ready that stop the
 *                        runner with exit code 3; 0 keeps retrying forever
 * @param workerPorts     range the private loopback ports are taken from
 * @param pidFile         where the runner writes its pid, if anywhere
 * @param extraEnv        variables set in every worker's environment (over inherited ones)
 * @param envInherit      which of the runner's own environment variables a worker inherits
 * @param controlSocket   where the CLI's runner listens for {@code actor-runner status} and friends
 * @param metrics         the address of the Prometheus endpoint, if any (off by default)
 * @param logFormat       text lines or JSON lines (the CLI's logging; an embedding host keeps its own)
 * @param health          how ready workers are checked for liveness
 * @param dumps           what a worker is sent before a SIGKILL so that it prints its threads
 * @param recycle         when a worker is replaced for its size or its age
 * @param fleet           the fleet this runner joins ({@link FleetSettings#OFF}: none, the default)
 */
public record RunnerSettings(
        String appName,
        List<String> command,
        int workers,
        String bindHost,
        int port,
        Readiness ready,
        Duration readyTimeout,
        boolean readyOwnerCheck,
        Duration probeInterval,
        Duration killTimeout,
        Duration drainTimeout,
        Duration queueTimeout,
        int ioThreads,
        Transport transport,
        Mode mode,
        Http http,
        ReloadStrategy reloadStrategy,
        Duration reloadSettle,
        String portEnv,
        Duration backoffMin,
        Duration backoffMax,
        Duration backoffReset,
        int bootFailureLimit,
        PortRange workerPorts,
        Optional<Path> pidFile,
        Map<String, String> extraEnv,
        EnvInherit envInherit,
        ControlSocket controlSocket,
        Optional<HostPort> metrics,
        LogFormat logFormat,
        Health health,
        Dumps dumps,
        Recycle recycle,
        Duration slowStart,
        Warmup warmup,
        FleetSettings fleet) {

    public RunnerSettings {
        Objects.requireNonNull(appName, "appName");
        command = List.copyOf(command);
        if (command.isEmpty()) throw new IllegalArgumentException("command must not be empty");
        if (workers < 1) throw new IllegalArgumentException("workers must be at least 1, was " + workers);
        Objects.requireNonNull(ready, "ready");
        Objects.requireNonNull(reloadStrategy, "reloadStrategy");
        Objects.requireNonNull(workerPorts, "workerPorts");
        pidFile = pidFile == null ? Optional.empty() : pidFile;
        extraEnv = extraEnv == null ? Map.of() : Map.copyOf(extraEnv);
        envInherit = envInherit == null ? EnvInherit.ALL : envInherit;
        controlSocket = controlSocket == null ? new ControlSocket.Auto() : controlSocket;
        metrics = metrics == null ? Optional.empty() : metrics;
        logFormat = logFormat == null ? LogFormat.TEXT : logFormat;
        health = health == null ? Health.DEFAULTS : health;
        dumps = dumps == null ? Dumps.DEFAULTS : dumps;
        recycle = recycle == null ? Recycle.OFF : recycle;
        fleet = fleet == null ? FleetSettings.OFF : fleet;
    }

    /** The liveness check of ready workers, resolved: {@code auto} is the readiness check where it has a port to check. */
    public Health.Check liveness() {
        if (!(health.check() instanceof Health.Check.Auto)) return health.check();
        if (ready instanceof Readiness.Http http) return new Health.Check.Http(http.path());
        return ready instanceof Readiness.Tcp ? new Health.Check.Tcp() : new Health.Check.Off();
    }

    /**
     * Which of the runner's own environment variables reach a worker: those whose name is in
     * {@code names}, or starts with an entry written {@code PREFIX*}. {@link #ALL} is {@code ["*"]}
     * (the default: an app sees the environment it was started in, as under gunicorn or PM2);
     * {@link #NONE} is empty. extraEnv and the port variable are set on top, whatever this says.
     */
    public record EnvInherit(List<String> names) {
        public static final EnvInherit ALL = new EnvInherit(List.of("*"));
        public static final EnvInherit NONE = new EnvInherit(List.of());

        public EnvInherit {
            names = List.copyOf(names);
        }

        public boolean passes(String name) {
            for (String n : names) {
                if (n.endsWith("*") ? name.startsWith(n.substring(0, n.length() - 1)) : name.equals(n)) return true;
            }
            return false;
        }

        @Override
        public String toString() {
            return equals(ALL) ? "all" : equals(NONE) ? "none" : String.join(",", names);
        }
    }

    /** Where the control socket goes. */
    public sealed interface ControlSocket {
        /** A per-runner path: $XDG_RUNTIME_DIR/actor-runner-PID.sock, else TMPDIR/actor-runner-USER/PID.sock. */
        record Auto() implements ControlSocket {}

        /** No control socket: signals only. */
        record Off() implements ControlSocket {}

        /** This path (its directory must exist). */
        record At(Path path) implements ControlSocket {}
    }

    /** A TCP address to listen on; port 0 takes any free port. */
    public record HostPort(String host, int port) {
        public HostPort {
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) throw new IllegalArgumentException("bad port " + port);
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** The runner's log lines: {@code text} for people, {@code json} (one object a line) for collectors. */
    public enum LogFormat { TEXT, JSON }

    /**
     * Liveness: every {@code interval} a ready worker is checked, each check bounded by
     * {@code timeout}; {@code failures} in a row (active checks, or in http mode requests that got
     * no answer) and it is replaced.
     */
    public record Health(Check check, Duration interval, Duration timeout, int failures) {
        public static final Health DEFAULTS = new Health(new Check.Auto(), Duration.ofSeconds(5), Duration.ofSeconds(2), 3);

        public Health {
            Objects.requireNonNull(check, "check");
            if (failures < 1) throw new IllegalArgumentException("failures must be at least 1, was " + failures);
        }

        /** What a check does. */
        public sealed interface Check {
            /** The readiness check when it has a port to check (tcp, http:PATH), else none. */
            record Auto() implements Check {}

            /** No liveness check. */
            record Off() implements Check {}

            /** The private port accepts a connection. */
            record Tcp() implements Check {}

            /** {@code GET path} answers 2xx. */
            record Http(String path) implements Check {}
        }
    }

    /**
     * Before every SIGKILL the runner sends {@code signal} (a JVM prints its threads on QUIT) and
     * waits {@code grace}; what the worker prints meanwhile is logged and written to a file in
     * {@code dir}. {@code signal} is "auto" (QUIT for a java worker, none for any other command),
     * "none", or a signal name (QUIT, ABRT, USR1, USR2).
     */
    public record Dumps(String signal, Duration grace, Path dir) {
        public static final Dumps DEFAULTS = new Dumps("auto", Duration.ofSeconds(2), Path.of("dumps"));

        public Dumps {
            Objects.requireNonNull(signal, "signal");
            Objects.requireNonNull(grace, "grace");
            Objects.requireNonNull(dir, "dir");
        }

        /** The signal for {@code command}, or empty for none. */
        public Optional<String> signalFor(List<String> command) {
            if (signal.equals("none")) return Optional.empty();
            if (!signal.equals("auto")) return Optional.of(signal);
            String program = Path.of(command.get(0)).getFileName().toString();
            return program.equals("java") ? Optional.of("QUIT") : Optional.empty();
        }
    }

    /**
     * Recycling: a worker whose process tree holds more than {@code maxMemoryBytes} of RSS, or
     * that has run longer than {@code maxLifetime} (less a random spread of up to a tenth, so that
     * workers started together do not leave together), is replaced as a reload replaces one. Zero
     * is off.
     */
    public record Recycle(long maxMemoryBytes, Duration maxLifetime) {
        public static final Recycle OFF = new Recycle(0, Duration.ZERO);

        public boolean enabled() {
            return maxMemoryBytes > 0 || !maxLifetime.isZero();
        }
    }

    /**
     * Warm-up: once a new worker passes its readiness check, and before it enters rotation,
     * {@code count} requests ({@code concurrency} at a time) are sent straight to its private port;
     * all must answer 2xx within {@code deadline}, else the worker is not ready yet (as a failed
     * readiness check: checked again, and killed at ready-timeout). It calls the app's own endpoint,
     * so that endpoint must be cheap and idempotent.
     *
     * @param request what to send, empty for no warm-up
     */
    public record Warmup(Optional<Request> request, int count, int concurrency, Duration deadline) {
        public static final Warmup OFF = new Warmup(Optional.empty(), 100, 4, Duration.ofSeconds(30));

        /** {@code GET /path} or {@code HEAD /path}. */
        public record Request(String method, String path) {
            @Override
            public String toString() {
                return method + " " + path;
            }
        }

        public boolean on() {
            return request.isPresent();
        }
    }

    /** How the front routes: by connection (any protocol), by HTTP/1.1 request, or by what each connection sends. */
    /** The front's Netty transport; auto picks the best this kernel offers (see front.Transport). */
    public enum Transport { AUTO, IO_URING, EPOLL, NIO }

    public enum Mode {
        /** Each connection's first bytes decide: an HTTP/1.x request line is routed as in HTTP, the rest pinned as in TCP. */
        AUTO,
        /** Each connection pinned to one worker, whatever its protocol. */
        TCP,
        /** Each HTTP/1.1 request routed on its own. */
        HTTP;

        /** Whether the front may route requests over pooled connections to workers (http, and auto's HTTP/1.x connections). */
        public boolean routesRequests() {
            return this != TCP;
        }
    }

    /**
     * The http mode's settings.
     *
     * @param healthPath       a path the runner answers itself (200 while a worker is ready, else 503)
     * @param forwardedHeaders add X-Forwarded-For, -Proto and -Host to each request
     * @param trustForwarded   append to the client's X-Forwarded-* instead of replacing them (only
     *                         behind a proxy of your own that sets them)
     * @param maxInitialLine   longest request line accepted (longer: 414)
     * @param maxHeaderSize    largest header block accepted (larger: 431)
     * @param responseTimeout  how long a worker may keep silent while the runner awaits its response
     *                         (before it starts: the client gets 504; midway: it is cut)
     * @param sniffTimeout     auto mode: how long a new connection may stay silent, or send what may
     *                         still become an HTTP/1.x request line, before it is pinned as in tcp mode
     */
    public record Http(Optional<String> healthPath, boolean forwardedHeaders, boolean trustForwarded,
                       int maxInitialLine, int maxHeaderSize, Duration responseTimeout, Duration sniffTimeout) {
        /** See reference.conf for why 500ms. */
        public static final Duration SNIFF_TIMEOUT = Duration.ofMillis(500);
        public static final Http DEFAULTS = new Http(Optional.empty(), true, false, 8192, 16384, Duration.ofSeconds(60),
                SNIFF_TIMEOUT);

        public Http {
            Objects.requireNonNull(responseTimeout, "responseTimeout");
            Objects.requireNonNull(sniffTimeout, "sniffTimeout");
        }

        /** The shape before auto mode (kept for source compatibility): the default sniff timeout. */
        public Http(Optional<String> healthPath, boolean forwardedHeaders, boolean trustForwarded, int maxInitialLine,
                    int maxHeaderSize, Duration responseTimeout) {
            this(healthPath, forwardedHeaders, trustForwarded, maxInitialLine, maxHeaderSize, responseTimeout, SNIFF_TIMEOUT);
        }

        /** The first shape of this record (kept for source compatibility): the default response timeout. */
        public Http(Optional<String> healthPath, boolean forwardedHeaders, boolean trustForwarded, int maxInitialLine,
                    int maxHeaderSize) {
            this(healthPath, forwardedHeaders, trustForwarded, maxInitialLine, maxHeaderSize, Duration.ofSeconds(60),
                    SNIFF_TIMEOUT);
        }
    }

    /** Reload order. */
    public enum ReloadStrategy {
        /** Fork the replacement first; stop an old worker only once the new one is listening. */
        SURGE,
        /** The Node ancestor's order: stop an old worker, then fork its replacement. */
        STOP_FIRST;

        /** "surge", "stop-first": as the setting is written, for log lines. */
        public String setting() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** How a worker shows it is ready ("listening", in the ancestor's words). */
    public sealed interface Readiness {
        /** The private port accepts a TCP connection. */
        record Tcp() implements Readiness {}

        /** {@code GET path} on the private port answers 2xx. */
        record Http(String path) implements Readiness {}

        /** A line of the worker's stdout or stderr matches the pattern. */
        record Log(java.util.regex.Pattern pattern) implements Readiness {}

        /** Ready as soon as the process has started. */
        record None() implements Readiness {}
    }

    /** An inclusive range of TCP ports. */
    public record PortRange(int from, int to) {
        public PortRange {
            if (from < 1 || to > 65535 || from > to) {
                throw new IllegalArgumentException("bad port range " + from + "-" + to);
            }
        }

        public int size() {
            return to - from + 1;
        }
    }

    /**
     * The same settings running the app jar {@code jar} in place of the current one (a fleet
     * reload to another release: {@code java ... -jar OLD args} becomes {@code java ... -jar NEW
     * args}); empty when the workers run no jar ({@code -- COMMAND}). Nothing is checked here.
     */
    public Optional<RunnerSettings> withAppJar(Path jar) {
        int at = command.indexOf("-jar");
        if (at < 0 || at + 1 >= command.size()) return Optional.empty();
        List<String> argv = new java.util.ArrayList<>(command);
        argv.set(at + 1, jar.toString());
        return Optional.of(new RunnerSettings(jar.getFileName().toString(), argv, workers, bindHost, port, ready,
                readyTimeout, readyOwnerCheck, probeInterval, killTimeout, drainTimeout, queueTimeout, ioThreads, transport, mode,
                http, reloadStrategy, reloadSettle, portEnv, backoffMin, backoffMax, backoffReset, bootFailureLimit,
                workerPorts, pidFile, extraEnv, envInherit, controlSocket, metrics, logFormat, health, dumps, recycle,
                slowStart, warmup, fleet));
    }

    /** Settings with the defaults of reference.conf for the given worker command. */
    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    /** Builds settings from code; every setter has the default of reference.conf. */
    public static final class Builder {
        private String appName;
        private final List<String> command;
        private int workers = 2;
        private String bindHost = "127.0.0.1";
        private int port = 8080;
        private Readiness ready = new Readiness.Tcp();
        private Duration readyTimeout = Duration.ofSeconds(60);
        private boolean readyOwnerCheck = true;
        private Duration probeInterval = Duration.ofMillis(200);
        private Duration killTimeout = Duration.ofSeconds(60);
        private Duration drainTimeout = Duration.ofSeconds(30);
        private Duration queueTimeout = Duration.ofSeconds(30);
        private int ioThreads = 1;
        private Transport transport = Transport.AUTO;
        private Mode mode = Mode.AUTO;
        private Http http = Http.DEFAULTS;
        private ReloadStrategy reloadStrategy = ReloadStrategy.SURGE;
        private Duration reloadSettle = Duration.ZERO;
        private Duration slowStart = Duration.ofSeconds(10);
        private Warmup warmup = Warmup.OFF;
        private String portEnv = "PORT";
        private Duration backoffMin = Duration.ofSeconds(1);
        private Duration backoffMax = Duration.ofSeconds(30);
        private Duration backoffReset = Duration.ofSeconds(60);
        private int bootFailureLimit = 3;
        private PortRange workerPorts = new PortRange(20000, 29999);
        private Path pidFile;
        private Map<String, String> extraEnv = Map.of();
        private EnvInherit envInherit = EnvInherit.ALL;
        private ControlSocket controlSocket = new ControlSocket.Auto();
        private HostPort metrics;
        private LogFormat logFormat = LogFormat.TEXT;
        private Health health = Health.DEFAULTS;
        private Dumps dumps = Dumps.DEFAULTS;
        private Recycle recycle = Recycle.OFF;
        private FleetSettings fleet = FleetSettings.OFF;

        private Builder(List<String> command) {
            this.command = List.copyOf(command);
            this.appName = command.isEmpty() ? "" : command.get(0);
        }

        public Builder appName(String v) { appName = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder bindHost(String v) { bindHost = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder ready(Readiness v) { ready = v; return this; }
        public Builder readyTimeout(Duration v) { readyTimeout = v; return this; }
        public Builder readyOwnerCheck(boolean v) { readyOwnerCheck = v; return this; }
        public Builder probeInterval(Duration v) { probeInterval = v; return this; }
        public Builder killTimeout(Duration v) { killTimeout = v; return this; }
        public Builder drainTimeout(Duration v) { drainTimeout = v; return this; }
        public Builder queueTimeout(Duration v) { queueTimeout = v; return this; }
        public Builder ioThreads(int v) { ioThreads = v; return this; }
        public Builder transport(Transport v) { transport = v; return this; }
        public Builder mode(Mode v) { mode = v; return this; }
        public Builder http(Http v) { http = v; return this; }
        public Builder reloadStrategy(ReloadStrategy v) { reloadStrategy = v; return this; }
        public Builder reloadSettle(Duration v) { reloadSettle = v; return this; }
        public Builder portEnv(String v) { portEnv = v; return this; }
        public Builder backoffMin(Duration v) { backoffMin = v; return this; }
        public Builder backoffMax(Duration v) { backoffMax = v; return this; }
        public Builder backoffReset(Duration v) { backoffReset = v; return this; }
        public Builder bootFailureLimit(int v) { bootFailureLimit = v; return this; }
        public Builder workerPorts(PortRange v) { workerPorts = v; return this; }
        public Builder pidFile(Path v) { pidFile = v; return this; }
        public Builder extraEnv(Map<String, String> v) { extraEnv = v; return this; }
        public Builder envInherit(EnvInherit v) { envInherit = v; return this; }
        public Builder controlSocket(ControlSocket v) { controlSocket = v; return this; }
        public Builder metrics(HostPort v) { metrics = v; return this; }
        public Builder logFormat(LogFormat v) { logFormat = v; return this; }
        public Builder health(Health v) { health = v; return this; }
        public Builder dumps(Dumps v) { dumps = v; return this; }
        public Builder recycle(Recycle v) { recycle = v; return this; }
        public Builder slowStart(Duration v) { slowStart = v; return this; }
        public Builder warmup(Warmup v) { warmup = v; return this; }
        public Builder fleet(FleetSettings v) { fleet = v; return this; }

        public RunnerSettings build() {
            return new RunnerSettings(appName, command, workers, bindHost, port, ready, readyTimeout,
                    readyOwnerCheck, probeInterval, killTimeout, drainTimeout, queueTimeout, ioThreads, transport, mode, http, reloadStrategy, reloadSettle, portEnv, backoffMin, backoffMax,
                    backoffReset, bootFailureLimit, workerPorts, Optional.ofNullable(pidFile), extraEnv,
                    envInherit, controlSocket, Optional.ofNullable(metrics), logFormat, health, dumps, recycle, slowStart, warmup, fleet);
        }
    }
}
