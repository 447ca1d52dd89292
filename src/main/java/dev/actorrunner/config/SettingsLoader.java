package dev.actorrunner.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.actorrunner.config.RunnerSettings.PortRange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Builds {@link RunnerSettings} from four layers, later winning: the jar's reference.conf, a HOCON
 * file, the environment ({@code WORKER_COUNT}), command-line flags. Every value, whatever its
 * layer, goes through the same checks, and a problem names the layer that supplied the value:
 * {@code --port: ...}, {@code WORKER_COUNT: ...} or {@code config: actor-runner.port: ...}. All
 * problems are collected before failing.
 *
 * <p>What to run (app + args, command, or the demo) is taken whole from the highest layer that
 * names it: {@code actor-runner other.jar} replaces the file's app and its args, and its command.
 *
 * <p>A loader is filled once and loaded once:
 * <pre>{@code
 * RunnerSettings s = new SettingsLoader(System.getenv())
 *         .configFile(path)
 *         .flag("workers", "--workers", "4")
 *         .app("app.jar", List.of("--server.port={port}"))
 *         .load();
 * }</pre>
 */
public final class SettingsLoader {

    /** The environment variable kept from the Node ancestor; beats the file, loses to --workers. */
    public static final String WORKER_COUNT = "WORKER_COUNT";

    static final String ROOT = "actor-runner";
    private static final List<String> RUN_KEYS = List.of("app", "args", "command");

    private final Map<String, String> env;
    private final Map<String, Flag> flags = new LinkedHashMap<>();
    /** --env NAME=VALUE, in order; kept apart from flags because they add to the file's env { }. */
    private final List<String> envFlags = new ArrayList<>();
    private Path configFile;
    private boolean demo;

    /** A command-line value and the flag that gave it, for problem lines. */
    private record Flag(Object value, String name) {}

    /** @param env the runner's environment (System.getenv() in production, a plain map in tests) */
    public SettingsLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** The HOCON file given with --config; null for none. */
    public SettingsLoader configFile(Path file) {
        this.configFile = file;
        return this;
    }

    /**
     * A command-line value for {@code key} (a key under actor-runner, e.g. "workers" or
     * "restart.backoff-min"), reported as {@code flag} in problem lines. A null value means the
     * flag was not given. Give strings (or a list of strings): they are parsed exactly like the
     * same text in a config file.
     */
    public SettingsLoader flag(String key, String flag, Object value) {
        if (RUN_KEYS.contains(key) || !isSettingKey(key)) throw new IllegalArgumentException("not a flag key: " + key);
        if (value != null && key.equals("env")) {
            // NAME=VALUE texts (one, or a list): each sets one entry of env { }, over the file's.
            if (value instanceof List<?> list) list.forEach(v -> envFlags.add(String.valueOf(v)));
            else envFlags.add(String.valueOf(value));
            return this;
        }
        if (value != null) flags.put(key, new Flag(value, flag));
        return this;
    }

    /** APP.jar and its arguments from the command line: they replace the file's app, args and command. */
    public SettingsLoader app(String jar, List<String> args) {
        flags.put("app", new Flag(jar, "app"));
        flags.put("args", new Flag(List.copyOf(args), "app"));
        return this;
    }

    /** {@code -- COMMAND ARGS...} from the command line: replaces the file's app, args and command. */
    public SettingsLoader command(List<String> command) {
        flags.put("command", new Flag(List.copyOf(command), "command"));
        return this;
    }

    /** --demo: run the built-in demo app, whatever the file's app or command. */
    public SettingsLoader demo(boolean demo) {
        this.demo = demo;
        return this;
    }

    /** Merges the layers and validates the result; throws with every problem found. */
    public RunnerSettings load() throws InvalidSettingsException {
        List<String> problems = new ArrayList<>();
        Config file = configFile == null ? ConfigFactory.empty() : ConfigFile.read(configFile, problems);
        if (demo || RUN_KEYS.stream().anyMatch(flags::containsKey)) {
            for (String key : RUN_KEYS) file = file.withoutPath(ROOT + "." + key);
        }
        Config merged = flagLayer(problems).withFallback(envLayer()).withFallback(file).withFallback(reference());
        return build(merged, this::where, demo, env.get("PATH"), problems);
    }

    /**
     * For embedding: settings from the {@code actor-runner} block of a host's config (e.g.
     * {@code system.settings().config()}), with this library's reference.conf as fallback.
     */
    public static RunnerSettings fromConfig(Config config) throws InvalidSettingsException {
        return build(config.withFallback(reference()), key -> "config: " + ROOT + "." + key, false,
                System.getenv("PATH"), new ArrayList<>());
    }

    private Config flagLayer(List<String> problems) {
        Config layer = ConfigFactory.empty();
        for (Map.Entry<String, Flag> e : flags.entrySet()) {
            layer = layer.withValue(ROOT + "." + e.getKey(),
                    ConfigValueFactory.fromAnyRef(e.getValue().value(), e.getValue().name()));
        }
        for (String assignment : envFlags) {
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                problems.add("--env: expected NAME=VALUE, got \"" + assignment + "\"");
                continue;
            }
            // Quoted: a name is one key, whatever dots it holds.
            layer = layer.withValue(ConfigUtil.joinPath(ROOT, "env", assignment.substring(0, eq)),
                    ConfigValueFactory.fromAnyRef(assignment.substring(eq + 1), "--env"));
        }
        return layer;
    }

    private Config envLayer() {
        String workers = env.get(WORKER_COUNT);
        if (workers == null || workers.isBlank()) return ConfigFactory.empty(); // unset and empty alike
        return ConfigFactory.empty().withValue(ROOT + ".workers", ConfigValueFactory.fromAnyRef(workers, WORKER_COUNT));
    }

    /** Names the layer whose value for {@code key} won. */
    private String where(String key) {
        Flag flag = flags.get(key);
        if (flag != null) return flag.name();
        if (key.equals("workers") && envLayer().hasPath(ROOT + ".workers")) return WORKER_COUNT;
        return "config: " + ROOT + "." + key;
    }

    /** Only this library's block: other libraries' reference.conf are none of our business. */
    static Config reference() {
        return Reference.CONFIG;
    }

    /**
     * The class path's reference.conf files include all of Akka's: read through Typesafe Config's
     * own cache, the one Akka reads them from too, they are parsed once per start, not twice (about
     * a tenth of a second of a runner's start).
     */
    private static final class Reference {
        static final Config CONFIG =
                ConfigFactory.defaultReferenceUnresolved(SettingsLoader.class.getClassLoader()).withOnlyPath(ROOT);
    }

    private static boolean isSettingKey(String key) {
        return SettingsReader.KEYS.contains(key)
                || SettingsReader.BLOCKS.entrySet().stream().anyMatch(b -> key.startsWith(b.getKey() + ".")
                        && b.getValue().contains(key.substring(b.getKey().length() + 1)));
    }

    private static RunnerSettings build(Config merged, UnaryOperator<String> where, boolean demo, String pathEnv,
                                        List<String> problems) throws InvalidSettingsException {
        Config block;
        try {
            block = merged.resolve().getConfig(ROOT);
        } catch (ConfigException e) {
            problems.add("config: " + e.getMessage());
            throw new InvalidSettingsException(problems);
        }
        SettingsReader r = new SettingsReader(block, where, problems);
        r.rejectUnknownKeys();
        Map<String, String> extraEnv = r.stringMap("env");
        // A bare command name is looked up as the launcher will: on env { PATH } if set, else on
        // the runner's PATH (whatever env-inherit passes on to the worker).
        Optional<WorkerCommand> run = WorkerCommand.resolve(r, demo, extraEnv.getOrDefault("PATH", pathEnv), problems);
        // With a placeholder for every bad value, so that the checks across keys can still run.
        RunnerSettings settings = RunnerSettings.builder(run.map(WorkerCommand::argv).orElse(List.of("?")))
                .appName(run.map(WorkerCommand::appName).orElse("?"))
                .workers(r.workers())
                .bindHost(r.read("bind", "127.0.0.1", ValueParsers::host))
                .port(r.intIn("port", 0, 65535))
                .ready(r.read("ready", new RunnerSettings.Readiness.Tcp(), ValueParsers::readiness))
                .readyTimeout(r.duration("ready-timeout"))
                .readyOwnerCheck(r.bool("ready-owner-check"))
                .probeInterval(r.duration("probe-interval"))
                .killTimeout(r.duration("kill-timeout"))
                .drainTimeout(r.duration("drain-timeout"))
                .queueTimeout(r.duration("queue-timeout"))
                .ioThreads(r.intIn("io-threads", 1, 64))
                .transport(r.read("transport", RunnerSettings.Transport.AUTO, ValueParsers::transport))
                .mode(r.read("mode", RunnerSettings.Mode.AUTO, ValueParsers::mode))
                .http(new RunnerSettings.Http(
                        r.has("http.health-path")
                                ? Optional.of(r.read("http.health-path", "/", ValueParsers::healthPath))
                                : Optional.empty(),
                        r.bool("http.forwarded-headers"),
                        r.bool("http.trust-forwarded"),
                        r.intIn("http.max-initial-line", 256, 1 << 20),
                        r.intIn("http.max-header-size", 1024, 1 << 20),
                        r.duration("http.response-timeout"),
                        r.duration("http.sniff-timeout")))
                .reloadStrategy(r.read("reload-strategy", RunnerSettings.ReloadStrategy.SURGE, ValueParsers::reloadStrategy))
                .reloadSettle(r.durationOrZero("reload-settle"))
                .slowStart(r.durationOrZero("slow-start"))
                .portEnv(r.read("port-env", "PORT", ValueParsers::portEnv))
                .backoffMin(r.duration("restart.backoff-min"))
                .backoffMax(r.duration("restart.backoff-max"))
                .backoffReset(r.duration("restart.backoff-reset"))
                .bootFailureLimit(r.intIn("boot-failure-limit", 0, Integer.MAX_VALUE))
                .workerPorts(r.read("worker-ports", new PortRange(20000, 29999), ValueParsers::portRange))
                .pidFile(r.has("pid-file") ? pidFile(r) : null)
                .extraEnv(extraEnv)
                .envInherit(r.read("env-inherit", RunnerSettings.EnvInherit.ALL, ValueParsers::envInherit))
                .controlSocket(r.has("control-socket") ? controlSocket(r) : new RunnerSettings.ControlSocket.Auto())
                .metrics(r.has("metrics") ? r.read("metrics", null, ValueParsers::hostPort) : null)
                .logFormat(r.read("log-format", RunnerSettings.LogFormat.TEXT, ValueParsers::logFormat))
                .health(new RunnerSettings.Health(
                        r.read("health.check", new RunnerSettings.Health.Check.Auto(), ValueParsers::healthCheck),
                        r.duration("health.interval"),
                        r.duration("health.timeout"),
                        r.intIn("health.failures", 1, 100)))
                .dumps(new RunnerSettings.Dumps(
                        r.read("dump.signal", "auto", ValueParsers::dumpSignal),
                        r.durationOrZero("dump.grace"),
                        r.read("dump.dir", Path.of("dumps"), ValueParsers::directory)))
                .recycle(new RunnerSettings.Recycle(
                        r.read("recycle.max-memory", 0L, ValueParsers::memorySize),
                        r.read("recycle.max-lifetime", Duration.ZERO, SettingsLoader::maxLifetime)))
                .warmup(new RunnerSettings.Warmup(
                        r.read("warmup.request", Optional.empty(), ValueParsers::warmupRequest),
                        r.intIn("warmup.count", 1, 100_000),
                        r.intIn("warmup.concurrency", 1, 64),
                        r.duration("warmup.deadline")))
                .fleet(FleetSettingsReader.read(r))
                .build();
        checkAcrossKeys(r, settings, run.isPresent());
        if (!problems.isEmpty()) throw new InvalidSettingsException(problems);
        return settings;
    }

    /** Checks that involve two keys, each already found well-formed on its own. */
    private static void checkAcrossKeys(SettingsReader r, RunnerSettings s, boolean commandKnown) {
        if (commandKnown && r.ok("port-env") && s.portEnv().isEmpty()
                && s.command().stream().noneMatch(arg -> arg.contains("{port}"))) {
            r.problem("port-env", "is empty and no {port} appears in the command: a worker could not learn its port");
        }
        if (r.ok("restart.backoff-min", "restart.backoff-max") && s.backoffMin().compareTo(s.backoffMax()) > 0) {
            r.problem("restart.backoff-min", "is above restart.backoff-max ("
                    + show(s.backoffMin()) + " > " + show(s.backoffMax()) + ")");
        }
        PortRange ports = s.workerPorts();
        if (r.ok("port", "worker-ports") && s.port() >= ports.from() && s.port() <= ports.to()) {
            r.problem("worker-ports", "contains the public port " + s.port());
        }
        if (r.ok("workers", "worker-ports") && ports.size() < s.workers()) {
            r.problem("worker-ports", "has " + ports.size() + " ports, fewer than the " + s.workers() + " workers");
        }
    }

    /**
     * Checks what can be checked without writing: the CLI writes the file only once every other
     * setting is known good, and a failure to write then is reported too.
     */
    private static Path pidFile(SettingsReader r) {
        String value = r.read("pid-file", "", v -> {
            String text = SettingsReader.scalar(v, "a file path");
            if (text.isBlank()) throw new SettingsReader.Bad("a file path");
            return text;
        });
        if (value.isEmpty()) return null;
        Path path = Path.of(value).toAbsolutePath().normalize();
        Path dir = path.getParent();
        if (Files.isDirectory(path)) {
            r.problem("pid-file", path + ": is a directory");
        } else if (dir == null || !Files.isDirectory(dir)) {
            r.problem("pid-file", dir + ": no such directory");
        } else if (!Files.isWritable(dir)) {
            r.problem("pid-file", dir + ": directory not writable");
        }
        return path;
    }

    /**
     * "auto" (a per-runner path), "off", or a path whose directory exists; the socket itself is
     * created (and a stale one replaced) only when the runner starts.
     */
    private static RunnerSettings.ControlSocket controlSocket(SettingsReader r) {
        String value = r.read("control-socket", "auto", v -> {
            String text = SettingsReader.scalar(v, "auto, off or a socket path").strip();
            if (text.isEmpty()) throw new SettingsReader.Bad("auto, off or a socket path");
            return text;
        });
        if (value.equals("auto")) return new RunnerSettings.ControlSocket.Auto();
        if (value.equals("off")) return new RunnerSettings.ControlSocket.Off();
        Path path = Path.of(value).toAbsolutePath().normalize();
        Path dir = path.getParent();
        if (Files.isDirectory(path)) {
            r.problem("control-socket", path + ": is a directory");
        } else if (dir == null || !Files.isDirectory(dir)) {
            r.problem("control-socket", dir + ": no such directory");
        } else if (path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            r.problem("control-socket", path + ": too long for a socket path (at most " + MAX_SOCKET_PATH + " bytes)");
        }
        return new RunnerSettings.ControlSocket.At(path);
    }

    /** {@code off}, or a duration above zero. */
    /**
     * "off" (zero), or from a minute up: a worker recycled sooner than it warms up would only ever
     * be replaced (1ms had the runner replace workers as fast as they became ready).
     */
    private static Duration maxLifetime(ConfigValue v) {
        if (v.valueType() == ConfigValueType.STRING && "off".equals(((String) v.unwrapped()).strip())) return Duration.ZERO;
        String expected = "off, or a duration from 1m to " + SettingsReader.MAX_DURATION.toDays() + "d, like 24h";
        Duration d;
        try {
            d = SettingsReader.duration(v);
        } catch (SettingsReader.Bad bad) {
            throw new SettingsReader.Bad(bad.getMessage().startsWith("a duration with a unit") ? "off, or " + bad.getMessage() : expected);
        }
        if (d.compareTo(MIN_LIFETIME) < 0) throw new SettingsReader.Bad(expected);
        return d;
    }

    private static final Duration MIN_LIFETIME = Duration.ofMinutes(1);

    /** sun_path is 108 bytes on Linux, including the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;

    static String show(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** Reading and first checks of the --config file. */
    static final class ConfigFile {
        private ConfigFile() {}

        /** The file's content, or an empty config after recording why it cannot be used. */
        static Config read(Path file, List<String> problems) {
            Path path = file.toAbsolutePath().normalize();
            if (!Files.exists(path)) return unusable(problems, path + ": no such file");
            if (Files.isDirectory(path)) return unusable(problems, path + ": is a directory");
            if (!Files.isReadable(path)) return unusable(problems, path + ": not readable");
            Config config;
            try {
                // CONF whatever the extension: HOCON is a superset of JSON, and a file named
                // "runner.cfg" must not be silently read as nothing.
                config = ConfigFactory.parseFile(path.toFile(),
                        ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
            } catch (ConfigException e) {
                return unusable(problems, e.getMessage());
            }
            ConfigValue block = config.root().get(ROOT);
            if (block != null && block.valueType() != ConfigValueType.OBJECT) {
                return unusable(problems, ROOT + ": expected an object, got " + SettingsReader.render(block));
            }
            // Other top-level keys may be helpers for substitutions, but a setting there was meant
            // for the block and would silently do nothing.
            config.root().keySet().stream().filter(SettingsReader.KEYS::contains).sorted().forEach(key ->
                    problems.add("config: " + key + ": settings go under " + ROOT + " { }"));
            return config;
        }

        private static Config unusable(List<String> problems, String why) {
            problems.add("config: " + why);
            return ConfigFactory.empty();
        }
    }
}
