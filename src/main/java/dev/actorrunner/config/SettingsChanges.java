package dev.actorrunner.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a reload's settings change, as lines a person reads ({@code jvm-options: [-Xmx256m] ->
 * [-Xmx512m]}), one per setting, named as in the config file. Pure: no I/O, no clock.
 *
 * <p>Every component of {@link RunnerSettings} is compared, so a setting added to the record later
 * shows up here (as its name in kebab case) without a change to this class. A setting is
 * per-generation unless it is one of {@link #RESTART_ONLY}: the parts of the runner bound once at
 * start (the public address and its front, the control socket, the metrics endpoint, the worker
 * port range, the pid file, the log format).
 *
 * <p>The worker's argv is compared by its parts when both sides run an app jar on the runner's own
 * java (app, jvm-options, args), else whole ({@code command}). Values of {@code env} are never
 * printed, only which names changed: they often hold secrets, and these lines go to the log, to
 * subscribers and to {@code reload --wait}.
 */
public final class SettingsChanges {

    /** Components of {@link RunnerSettings} that only a restart can change, by component name. */
    static final Set<String> RESTART_ONLY = Set.of("bindHost", "port", "mode", "ioThreads", "transport", "queueTimeout", "http",
            "workerPorts", "controlSocket", "metrics", "pidFile", "logFormat");

    /** Config keys of components whose kebab-case name is not their key. */
    private static final Map<String, String> KEYS = Map.ofEntries(
            Map.entry("bindHost", "bind"),
            Map.entry("extraEnv", "env"),
            Map.entry("backoffMin", "restart.backoff-min"),
            Map.entry("backoffMax", "restart.backoff-max"),
            Map.entry("backoffReset", "restart.backoff-reset"),
            Map.entry("dumps", "dump"),
            Map.entry("maxMemoryBytes", "max-memory"),
            Map.entry("check", "check"),
            Map.entry("healthPath", "health-path"));

    private SettingsChanges() {}

    /** Lines for every per-generation setting that differs, in the order of the record; empty if none does. */
    public static List<String> between(RunnerSettings from, RunnerSettings to) {
        List<String> lines = new ArrayList<>();
        for (RecordComponent c : RunnerSettings.class.getRecordComponents()) {
            String name = c.getName();
            if (RESTART_ONLY.contains(name) || name.equals("appName")) continue;
            if (name.equals("command")) {
                command(from.command(), to.command(), lines);
            } else if (name.equals("extraEnv")) {
                env(from.extraEnv(), to.extraEnv(), lines);
            } else {
                compare(key(name), get(c, from), get(c, to), lines);
            }
        }
        return List.copyOf(lines);
    }

    /**
     * One line per restart-only setting that {@code read} would change: {@code port: 8080 -> 9090}.
     * The runner keeps the running value of each.
     */
    public static List<String> restartOnly(RunnerSettings running, RunnerSettings read) {
        List<String> lines = new ArrayList<>();
        for (RecordComponent c : RunnerSettings.class.getRecordComponents()) {
            if (RESTART_ONLY.contains(c.getName())) compare(key(c.getName()), get(c, running), get(c, read), lines);
        }
        return List.copyOf(lines);
    }

    /**
     * What the next generation runs with: {@code read}, but with the restart-only settings of
     * {@code running} and {@code workers} workers.
     */
    public static RunnerSettings nextGeneration(RunnerSettings running, RunnerSettings read, int workers) {
        return copy(read, running, workers);
    }

    /** {@code s} with {@code workers} workers. */
    public static RunnerSettings withWorkers(RunnerSettings s, int workers) {
        return copy(s, s, workers);
    }

    private static RunnerSettings copy(RunnerSettings base, RunnerSettings restartOnly, int workers) {
        RecordComponent[] components = RunnerSettings.class.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            values[i] = c.getName().equals("workers") ? workers : get(c, RESTART_ONLY.contains(c.getName()) ? restartOnly : base);
            types[i] = c.getType();
        }
        try {
            return RunnerSettings.class.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot copy RunnerSettings", e);
        }
    }

    private static void compare(String key, Object a, Object b, List<String> lines) {
        if (Objects.equals(a, b) || (a instanceof Pattern p && b instanceof Pattern q && same(p, q))) return;
        if (a instanceof Record ra && b instanceof Record rb && ra.getClass() == rb.getClass()
                && !(a instanceof RunnerSettings.PortRange) && ra.getClass().getRecordComponents().length > 1) {
            // A block (health, dump, recycle, http): a line per key inside it that differs.
            for (RecordComponent c : ra.getClass().getRecordComponents()) {
                compare(key + "." + key(c.getName()), get(c, ra), get(c, rb), lines);
            }
            return;
        }
        String shownA = show(key, a);
        String shownB = show(key, b);
        if (!shownA.equals(shownB)) lines.add(key + ": " + shownA + " -> " + shownB);
    }

    private static void command(List<String> a, List<String> b, List<String> lines) {
        if (a.equals(b)) return;
        Optional<AppArgv> appA = AppArgv.of(a);
        Optional<AppArgv> appB = AppArgv.of(b);
        if (appA.isEmpty() || appB.isEmpty()) {
            lines.add("command: " + a + " -> " + b);
            return;
        }
        compare("app", appA.get().app(), appB.get().app(), lines);
        compare("jvm-options", appA.get().jvmOptions(), appB.get().jvmOptions(), lines);
        compare("args", appA.get().args(), appB.get().args(), lines);
    }

    /** Names only: the values may be secrets. */
    private static void env(Map<String, String> a, Map<String, String> b, List<String> lines) {
        if (a.equals(b)) return;
        Set<String> names = new TreeSet<>(a.keySet());
        names.addAll(b.keySet());
        List<String> parts = new ArrayList<>();
        for (String name : names) {
            if (!a.containsKey(name)) parts.add(name + " added");
            else if (!b.containsKey(name)) parts.add(name + " removed");
            else if (!a.get(name).equals(b.get(name))) parts.add(name + " changed");
        }
        lines.add("env: " + String.join(", ", parts));
    }

    /**
     * The parts of an argv that {@link WorkerCommand} built for an app jar (the runner's own java,
     * JVM options, {@code -jar JAR}, the app's arguments) or for the demo (java, JVM options,
     * {@code -cp CP MAIN}).
     */
    record AppArgv(String app, List<String> jvmOptions, List<String> args) {
        static Optional<AppArgv> of(List<String> argv) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            if (!argv.get(0).equals(java)) return Optional.empty();
            int n = argv.size();
            if (n >= 4 && argv.get(n - 1).equals(WorkerCommand.DEMO_MAIN_CLASS) && argv.get(n - 3).equals("-cp")) {
                return Optional.of(new AppArgv("demo", argv.subList(1, n - 3), List.of()));
            }
            int jar = argv.indexOf("-jar");
            if (jar < 1 || jar + 1 >= n) return Optional.empty();
            return Optional.of(new AppArgv(argv.get(jar + 1), argv.subList(1, jar), argv.subList(jar + 2, n)));
        }
    }

    /** As {@code key}'s value is written in the config file. */
    private static String show(String key, Object v) {
        if (key.equals("recycle.max-memory") && v instanceof Long bytes) return bytes == 0 ? "off" : size(bytes);
        if (key.equals("recycle.max-lifetime") && Duration.ZERO.equals(v)) return "off";
        return show(v);
    }

    private static String size(long bytes) {
        for (String unit : List.of("TiB", "GiB", "MiB", "KiB")) {
            long scale = 1L << (10 * (List.of("KiB", "MiB", "GiB", "TiB").indexOf(unit) + 1));
            if (bytes % scale == 0) return bytes / scale + unit;
        }
        return bytes + "B";
    }

    /** As a value is written in the config file. */
    static String show(Object v) {
        if (v instanceof Optional<?> o) return o.map(SettingsChanges::show).orElse("off");
        if (v instanceof Duration d) return d.isZero() ? "0s" : SettingsLoader.show(d);
        if (v instanceof Enum<?> e) return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
        if (v instanceof Pattern p) return p.pattern();
        if (v instanceof RunnerSettings.PortRange r) return r.from() + "-" + r.to();
        if (v instanceof RunnerSettings.EnvInherit e) return e.toString();
        if (v instanceof RunnerSettings.Readiness.Http h) return "http:" + h.path();
        if (v instanceof RunnerSettings.Readiness.Log l) return "log:" + l.pattern().pattern();
        if (v instanceof RunnerSettings.Health.Check.Http h) return "http:" + h.path();
        if (v instanceof RunnerSettings.Warmup.Request w) return w.method() + ":" + w.path();
        if (v instanceof RunnerSettings.ControlSocket.At at) return at.path().toString();
        if (v instanceof Record r && r.getClass().getRecordComponents().length == 0) {
            return r.getClass().getSimpleName().toLowerCase(Locale.ROOT); // Tcp(), None(), Auto(), Off()
        }
        return String.valueOf(v);
    }

    private static boolean same(Pattern a, Pattern b) {
        return a.pattern().equals(b.pattern()) && a.flags() == b.flags();
    }

    /** {@code readyTimeout} -> {@code ready-timeout}, unless named otherwise in {@link #KEYS}. */
    static String key(String component) {
        String named = KEYS.get(component);
        if (named != null) return named;
        return component.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    private static Object get(RecordComponent c, Object record) {
        try {
            return c.getAccessor().invoke(record);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + c.getName(), e);
        }
    }
}
