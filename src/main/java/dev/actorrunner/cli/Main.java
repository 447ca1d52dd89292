package dev.actorrunner.cli;

import dev.actorrunner.config.InvalidSettingsException;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.config.SettingsLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code actor-runner [OPTIONS] APP.jar [APP_ARGS...]}, {@code actor-runner [OPTIONS] -- COMMAND
 * [ARGS...]} or {@code actor-runner [OPTIONS] --demo}. Every option is passed on as text to
 * {@link SettingsLoader}, so a flag and the same value in the config file get the same checks and
 * messages. {@link #main} is the only place that exits the JVM; tests run {@link #commandLine}.
 */
@Command(name = "actor-runner", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        customSynopsis = {
            "actor-runner [OPTIONS] APP.jar [APP_ARGS...]",
            "       actor-runner [OPTIONS] -- COMMAND [ARGS...]",
            "       actor-runner [OPTIONS] --demo",
            "       actor-runner status [--json] | reload [--wait] | scale N | stop [--wait]",
            "       actor-runner upgrade [--wait] [--runner-jar PATH]",
            "       actor-runner fleet status [--json] | reload [--jar PATH --sha256 HEX] [--max-parallel N]"
                    + " [--canary N] [--wait] | promote | abort",
            "           (to a running runner; each takes --control-socket PATH)"},
        description = {
            "Runs N workers of an app behind one public port and replaces them one by one on a reload,"
                    + " so that no client notices a deploy, crash or restart.",
            "Each worker gets a private port in $PORT and in {port} of any argument, the runner's environment"
                    + " (see --env-inherit), and its arguments verbatim: never a shell.",
            "Signals: HUP reloads (reading --config again), TERM and INT stop gracefully, TTIN adds a worker,"
                    + " TTOU removes one, USR2 upgrades the runner itself (see upgrade).",
            "Arguments after APP.jar or COMMAND go to the app unchanged, even if they look like options.",
            "status, reload, scale, stop and upgrade talk to a running runner through its control socket"
                    + " (an app jar named like one of them: ./status).",
            "Flags win over $WORKER_COUNT, which wins over --config. Durations: 500ms, 60s, 2m.",
            ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:stopped as asked",
            "1:unexpected error",
            "2:usage or configuration error",
            "3:the app failed to boot (boot-failure-limit)"})
public final class Main implements Callable<Integer> {

    @Option(names = {"-w", "--workers"}, paramLabel = "N|auto",
            description = "Workers to keep ready (default: $WORKER_COUNT, else 2); auto = one per processor.")
    String workers;

    @Option(names = {"-p", "--port"}, paramLabel = "N", description = "Public port (default: 8080; 0 = any free port, printed at start).")
    String port;

    @Option(names = "--bind", paramLabel = "HOST", description = "Public address: an IP address or host name of this machine (default: 127.0.0.1).")
    String bind;

    @Option(names = "--worker-ports", paramLabel = "FROM-TO",
            description = "The workers' private loopback ports (default: 20000-29999); give each runner on a machine its own.")
    String workerPorts;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "HOCON file with settings under actor-runner { } (see conf/actor-runner.conf); read again"
                    + " on each reload, the flags still winning.")
    Path config;

    @Option(names = "--ready", paramLabel = "tcp|http:PATH|log:REGEX|none",
            description = "How a worker shows it is ready (default: tcp, the worker's own socket on its port accepts a connection).")
    String ready;

    @Option(names = "--ready-timeout", paramLabel = "DURATION",
            description = "A worker not ready by then is killed (default: 60s).")
    String readyTimeout;

    @Option(names = "--ready-owner-check", paramLabel = "on|off",
            description = "tcp and http readiness: the listener must be the worker's or a child's (default: on;"
                    + " off for an app whose listener is a separate proxy process, e.g. docker run -p).")
    String readyOwnerCheck;

    @Option(names = "--kill-timeout", paramLabel = "DURATION",
            description = "Grace between SIGTERM and SIGKILL of a stopping worker (default: 60s).")
    String killTimeout;

    @Option(names = "--mode", paramLabel = "auto|tcp|http",
            description = "auto looks at each connection's first bytes: HTTP/1.x is routed as in http, anything else"
                    + " pinned as in tcp; tcp pins each connection to a worker (any protocol); http routes each"
                    + " HTTP/1.1 request, so a reload never meets a request (default: auto).")
    String mode;

    @Option(names = "--sniff-timeout", paramLabel = "DURATION",
            description = "auto mode: a connection that sends nothing this long (its server speaks first), or not"
                    + " yet a whole HTTP/1.x request line, is pinned as in tcp mode (default: 500ms).")
    String sniffTimeout;

    @Option(names = "--health-path", paramLabel = "PATH",
            description = "http and auto modes: answer GET PATH in the runner itself, 200 while a worker is ready,"
                    + " else 503 (default: off).")
    String healthPath;

    @Option(names = "--drain-timeout", paramLabel = "DURATION",
            description = "How long a worker out of rotation may finish its connections before SIGTERM (default: 30s).")
    String drainTimeout;

    @Option(names = "--queue-timeout", paramLabel = "DURATION",
            description = "How long a connection waits for a ready worker before it is closed (default: 30s).")
    String queueTimeout;

    @Option(names = "--reload-strategy", paramLabel = "surge|stop-first",
            description = "surge starts each replacement first; stop-first stops an old worker first (default: surge).")
    String reloadStrategy;

    @Option(names = "--reload-settle", paramLabel = "DURATION",
            description = "During a reload, how long a new worker must stay ready before an old one is stopped"
                    + " for it; one that exits meanwhile aborts the reload (default: 0s).")
    String reloadSettle;

    @Option(names = "--slow-start", paramLabel = "DURATION",
            description = "A worker that enters rotation beside warm ones gets a share of new traffic that ramps"
                    + " from 10%% to full over this long; in a reload the old worker it replaces serves until then"
                    + " (default: 10s; 0s: off).")
    String slowStart;

    @Option(names = "--warmup", paramLabel = "GET:PATH|HEAD:PATH|off",
            description = "Once a new worker is ready, and before it enters rotation, call this endpoint of the app on"
                    + " its private port; all calls must answer 2xx, else it is not ready yet (default: off).")
    String warmup;

    @Option(names = "--warmup-count", paramLabel = "N", description = "Warm-up requests per new worker (default: 100).")
    String warmupCount;

    @Option(names = "--warmup-concurrency", paramLabel = "N", description = "Warm-up requests at a time (default: 4).")
    String warmupConcurrency;

    @Option(names = "--warmup-deadline", paramLabel = "DURATION",
            description = "How long the whole warm-up may take (default: 30s).")
    String warmupDeadline;

    @Option(names = "--health", paramLabel = "auto|tcp|http:PATH|off",
            description = "Liveness check of ready workers (default: auto, the readiness check where it checks a port).")
    String health;

    @Option(names = "--health-interval", paramLabel = "DURATION", description = "Time between two liveness checks (default: 5s).")
    String healthInterval;

    @Option(names = "--health-timeout", paramLabel = "DURATION",
            description = "A liveness check's bound; http and auto modes: also how long a request may wait for its first response"
                    + " byte before it counts against its worker (default: 2s).")
    String healthTimeout;

    @Option(names = "--health-failures", paramLabel = "N",
            description = "Checks failed in a row that replace a worker; as many failed requests in a row (no answer"
                    + " in time, no connect) make it checked at once (default: 3).")
    String healthFailures;

    @Option(names = "--response-timeout", paramLabel = "DURATION",
            description = "http and auto modes: a worker silent this long gets its request answered 504, or its response cut"
                    + " (default: 60s).")
    String responseTimeout;

    @Option(names = "--dump-signal", paramLabel = "auto|none|QUIT|ABRT|USR1|USR2",
            description = "Sent to a hung worker, and before every SIGKILL, so it prints its threads (default: auto, QUIT for java).")
    String dumpSignal;

    @Option(names = "--dump-grace", paramLabel = "DURATION", description = "How long a worker may print it (default: 2s).")
    String dumpGrace;

    @Option(names = "--dump-dir", paramLabel = "DIR", description = "Where each dump is written whole (default: dumps).")
    String dumpDir;

    @Option(names = "--max-memory", paramLabel = "SIZE|off",
            description = "Replace a worker whose process tree's RSS is above SIZE, e.g. 512MiB (default: off).")
    String maxMemory;

    @Option(names = "--max-lifetime", paramLabel = "DURATION|off",
            description = "Replace a worker that has run longer (1m to 24d, less up to a tenth, at random), e.g. 24h (default: off).")
    String maxLifetime;

    @Option(names = "--port-env", paramLabel = "NAME",
            description = "Variable that carries a worker's private port (default: PORT; \"\" for none).")
    String portEnv;

    @Option(names = "--env", paramLabel = "NAME=VALUE",
            description = "A variable for every worker, over an inherited one of that name; repeatable.")
    List<String> envVars;

    @Option(names = "--env-inherit", paramLabel = "all|none|NAME,...",
            description = "Which of the runner's variables workers inherit; a NAME may end in * for a prefix"
                    + " (default: all).")
    String envInherit;

    @Option(names = "--jvm-opt", paramLabel = "OPT",
            description = "A JVM option of the app's workers, e.g. -Xmx256m; repeatable.")
    List<String> jvmOptions;

    @Option(names = "--pid-file", paramLabel = "FILE",
            description = "Write the runner's pid there (mode 600; a directory others may write to must be sticky, like /tmp).")
    String pidFile;

    @Option(names = "--boot-failure-limit", paramLabel = "N",
            description = "Failures in a row before any worker was ready that end the runner with exit code 3"
                    + " (default: 3; 0 = retry forever).")
    String bootFailureLimit;

    @Option(names = "--backoff-min", paramLabel = "DURATION",
            description = "First delay before a crashed worker is replaced (default: 1s).")
    String backoffMin;

    @Option(names = "--backoff-max", paramLabel = "DURATION", description = "Cap of that delay (default: 30s).")
    String backoffMax;

    @Option(names = "--control-socket", paramLabel = "auto|off|PATH",
            description = "Socket for actor-runner status, reload, scale, stop (default: auto, a per-runner path"
                    + " printed at start).")
    String controlSocket;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (default: off).")
    String metrics;

    @Option(names = "--log-format", paramLabel = "text|json", description = "Log lines as text or JSON (default: text).")
    String logFormat;

    @Option(names = "--fleet-bind", paramLabel = "HOST:PORT",
            description = "Join a fleet of runners (an Akka Cluster in an ActorSystem of its own) at this address"
                    + " (default: off). Other than loopback it needs fleet.tls-* files in --config, or fleet.insecure = on.")
    String fleetBind;

    @Option(names = "--fleet-seeds", paramLabel = "HOST:PORT,...",
            description = "The fleet's seed nodes, the same list on every node (default: this node alone).")
    String fleetSeeds;

    @Option(names = "--fleet-name", paramLabel = "NAME", description = "This node's stable name in the fleet (default: the host name).")
    String fleetName;

    @Option(names = "--demo", description = "Run the built-in demo HTTP app instead of an app.")
    boolean demo;

    @Parameters(paramLabel = "APP.jar|COMMAND", arity = "0..*", description = "The app and its arguments.")
    List<String> positionals = List.of();

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    private final Host host;

    /** Runs a runner until it stops. */
    interface Host {
        /**
         * @param settings the settings read at start
         * @param reread   reads them again as at start (the --config file, the environment as it
         *                 was at start, the flags given at start), for each reload; blocking I/O
         * @return the exit code
         */
        int run(RunnerSettings settings, Callable<RunnerSettings> reread);
    }

    /**
     * @param env  the environment (WORKER_COUNT, PATH)
     * @param host runs the runner until it stops and returns the exit code; tests give a fake
     */
    Main(Map<String, String> env, ToIntFunction<RunnerSettings> host) {
        this(env, (settings, reread) -> host.applyAsInt(settings));
    }

    Main(Map<String, String> env, Host host) {
        this.env = env;
        this.host = host;
    }

    public static void main(String[] args) {
        Boot.early(args);
        System.exit(commandLine(new Main(System.getenv(), (Host) RunnerHost::run)).execute(args));
    }

    /** The configured picocli command line around {@code main}; {@code execute} never exits. */
    static CommandLine commandLine(Main main) {
        // Subcommands first: the settings below then apply to them too.
        CommandLine cli = new CommandLine(main)
                .addSubcommand(new ControlCommands.Status(main.env))
                .addSubcommand(new ControlCommands.Reload(main.env))
                .addSubcommand(new ControlCommands.Scale(main.env))
                .addSubcommand(new ControlCommands.Stop(main.env))
                .addSubcommand(new ControlCommands.Upgrade(main.env))
                .addSubcommand("fleet", FleetCommands.commandLine(main.env))
                // APP_ARGS belong to the app, even "--server.port={port}" or "-w": stop parsing at APP.jar.
                .setStopAtPositional(true)
                // "@file" is an app argument, not a picocli argument file.
                .setExpandAtFiles(false)
                // "--jvm-opt -parameters" is a JVM option, not -p (--port) clustered with "arameters".
                .setAllowOptionsAsOptionParameters(true)
                .setParameterExceptionHandler(CliErrors::onUsageError)
                .setExecutionExceptionHandler(CliErrors::onFailure);
        // "scale -1" is one fewer, not an option; and options may follow N.
        cli.getSubcommands().get("scale").setUnmatchedOptionsArePositionalParams(true).setStopAtPositional(false);
        return cli;
    }

    @Override
    public Integer call() throws InvalidSettingsException {
        RunnerSettings settings = settings();
        Boot.loggingStarted();
        LogFormats.apply(settings.logFormat());
        // An upgrade's next runner writes it once it takes over (Takeover): the runner before still runs.
        Optional<PidFile> pidFile = Handover.Taker.requested(env) ? Optional.empty() : writePidFile(settings);
        try {
            return host.run(settings, this::settings);
        } finally {
            pidFile.ifPresent(PidFile::close);
        }
    }

    /**
     * The settings from the parsed command line, the environment and the --config file. Called
     * again on each reload (off the actor threads): the file is read anew, the flags and the
     * environment are those of the start, so the flags still win over the file.
     */
    RunnerSettings settings() throws InvalidSettingsException {
        SettingsLoader loader = new SettingsLoader(env)
                .configFile(config)
                .flag("workers", "--workers", workers)
                .flag("port", "--port", port)
                .flag("bind", "--bind", bind)
                .flag("worker-ports", "--worker-ports", workerPorts)
                .flag("ready", "--ready", ready)
                .flag("ready-timeout", "--ready-timeout", readyTimeout)
                .flag("ready-owner-check", "--ready-owner-check", readyOwnerCheck)
                .flag("kill-timeout", "--kill-timeout", killTimeout)
                .flag("drain-timeout", "--drain-timeout", drainTimeout)
                .flag("mode", "--mode", mode)
                .flag("http.sniff-timeout", "--sniff-timeout", sniffTimeout)
                .flag("http.health-path", "--health-path", healthPath)
                .flag("queue-timeout", "--queue-timeout", queueTimeout)
                .flag("reload-strategy", "--reload-strategy", reloadStrategy)
                .flag("reload-settle", "--reload-settle", reloadSettle)
                .flag("slow-start", "--slow-start", slowStart)
                .flag("warmup.request", "--warmup", warmup)
                .flag("warmup.count", "--warmup-count", warmupCount)
                .flag("warmup.concurrency", "--warmup-concurrency", warmupConcurrency)
                .flag("warmup.deadline", "--warmup-deadline", warmupDeadline)
                .flag("health.check", "--health", health)
                .flag("health.interval", "--health-interval", healthInterval)
                .flag("health.timeout", "--health-timeout", healthTimeout)
                .flag("health.failures", "--health-failures", healthFailures)
                .flag("http.response-timeout", "--response-timeout", responseTimeout)
                .flag("dump.signal", "--dump-signal", dumpSignal)
                .flag("dump.grace", "--dump-grace", dumpGrace)
                .flag("dump.dir", "--dump-dir", dumpDir)
                .flag("recycle.max-memory", "--max-memory", maxMemory)
                .flag("recycle.max-lifetime", "--max-lifetime", maxLifetime)
                .flag("port-env", "--port-env", portEnv)
                .flag("env", "--env", envVars)
                .flag("env-inherit", "--env-inherit", envInherit)
                .flag("jvm-options", "--jvm-opt", jvmOptions)
                .flag("pid-file", "--pid-file", pidFile)
                .flag("boot-failure-limit", "--boot-failure-limit", bootFailureLimit)
                .flag("restart.backoff-min", "--backoff-min", backoffMin)
                .flag("restart.backoff-max", "--backoff-max", backoffMax)
                .flag("control-socket", "--control-socket", controlSocket)
                .flag("metrics", "--metrics", metrics)
                .flag("log-format", "--log-format", logFormat)
                .flag("fleet.bind", "--fleet-bind", fleetBind)
                .flag("fleet.seeds", "--fleet-seeds", fleetSeeds)
                .flag("fleet.name", "--fleet-name", fleetName)
                .demo(demo);
        if (!positionals.isEmpty() && commandAfterDoubleDash()) {
            loader.command(positionals);
        } else if (!positionals.isEmpty()) {
            loader.app(positionals.get(0), positionals.subList(1, positionals.size()));
        }
        return loader.load();
    }

    /**
     * Whether the positionals were introduced by {@code --} ("-- java -jar x.jar" is a command)
     * rather than by an APP.jar ("x.jar -- y" passes "--" on to the app): picocli keeps the
     * positionals of both alike, so look at the argument just before them.
     */
    private boolean commandAfterDoubleDash() {
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        int before = original.size() - positionals.size() - 1;
        return before >= 0 && original.get(before).equals("--");
    }

    private static Optional<PidFile> writePidFile(RunnerSettings settings) throws InvalidSettingsException {
        if (settings.pidFile().isEmpty()) return Optional.empty();
        try {
            return Optional.of(PidFile.write(settings.pidFile().get(), ProcessHandle.current().pid()));
        } catch (IOException e) {
            throw InvalidSettingsException.of("pid file: " + e.getMessage());
        }
    }

    /** --version: from the version properties the build writes into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/actor-runner-version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[] {
                "actor-runner " + p.getProperty("version", "(unknown version)"),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
