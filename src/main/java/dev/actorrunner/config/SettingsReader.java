package dev.actorrunner.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Reads the merged {@code actor-runner} block key by key. A bad value does not stop the reading: it
 * becomes a problem line and a placeholder is returned, so that one run reports every bad key.
 * Values may be strings wherever a number is expected, because flags and the environment arrive
 * as strings and must get the same checks and messages as the config file.
 */
final class SettingsReader {

    /** Every key under actor-runner; anything else in a config file is a typo, and an error. */
    static final Set<String> KEYS = Set.of("workers", "bind", "port", "ready", "ready-timeout", "ready-owner-check",
            "probe-interval", "kill-timeout", "drain-timeout", "queue-timeout", "io-threads", "transport", "mode", "http", "reload-strategy", "reload-settle", "slow-start", "port-env", "jvm-options", "pid-file",
            "boot-failure-limit", "restart", "worker-ports", "app", "args", "command", "env", "env-inherit",
            "control-socket", "metrics", "log-format", "health", "dump", "recycle", "warmup", "fleet");
    /** The keys that are blocks of their own, with the keys each may hold, in the order a message lists them. */
    static final Map<String, List<String>> BLOCKS = Map.of(
            "restart", List.of("backoff-min", "backoff-max", "backoff-reset"),
            "http", List.of("health-path", "forwarded-headers", "trust-forwarded", "max-initial-line",
                    "max-header-size", "response-timeout", "sniff-timeout"),
            "health", List.of("check", "interval", "timeout", "failures"),
            "dump", List.of("signal", "grace", "dir"),
            "recycle", List.of("max-memory", "max-lifetime"),
            "warmup", List.of("request", "count", "concurrency", "deadline"),
            "fleet", FleetSettingsReader.KEYS);

    // Akka timers refuse delays beyond ~248 days and code that turns a duration into int
    // milliseconds overflows past 24.8 days; no runner timeout needs more than that.
    static final Duration MAX_DURATION = Duration.ofDays(24);

    private final Config block;
    private final UnaryOperator<String> where;
    private final List<String> problems;
    private final Set<String> badKeys = new HashSet<>();

    /**
     * @param block    the merged, resolved actor-runner block
     * @param where    names the source of a key's winning value: {@code --workers},
     *                 {@code WORKER_COUNT} or {@code config: actor-runner.workers}
     * @param problems receives one line per problem
     */
    SettingsReader(Config block, UnaryOperator<String> where, List<String> problems) {
        this.block = block;
        this.where = where;
        this.problems = problems;
    }

    /** Records {@code "<where key>: <what>"}. */
    void problem(String key, String what) {
        problems.add(where.apply(key) + ": " + what);
        badKeys.add(key);
    }

    /** No problem was recorded for any of these keys (so their values are not placeholders). */
    boolean ok(String... keys) {
        return Arrays.stream(keys).noneMatch(badKeys::contains);
    }

    /** A key with a value other than null. */
    boolean has(String key) {
        ConfigValue v = raw(key);
        return v != null && v.valueType() != ConfigValueType.NULL;
    }

    /** Reports keys that are not settings, and a block ({@code restart}, {@code http}, ...) that is not an object. */
    void rejectUnknownKeys() {
        block.root().keySet().stream().filter(key -> !KEYS.contains(key)).sorted().forEach(key ->
                problems.add("config: unknown key " + ConfigUtil.joinPath("actor-runner", key)));
        BLOCKS.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(b -> {
            ConfigValue value = raw(b.getKey());
            if (value instanceof ConfigObject object) {
                object.keySet().stream().filter(key -> !b.getValue().contains(key)).sorted().forEach(key ->
                        problems.add("config: unknown key " + ConfigUtil.joinPath("actor-runner", b.getKey(), key)));
            } else {
                List<String> keys = b.getValue();
                String listed = String.join(", ", keys.subList(0, keys.size() - 1)) + " and " + keys.get(keys.size() - 1);
                problem(b.getKey(), "expected an object with " + listed + ", got " + render(value));
            }
        });
    }

    /** A number from 1 to 1024, or "auto" for one worker per available processor. */
    int workers() {
        return read("workers", 1, v -> {
            if (v.valueType() == ConfigValueType.STRING && "auto".equals(((String) v.unwrapped()).strip())) {
                return Math.min(Runtime.getRuntime().availableProcessors(), 1024);
            }
            return (int) inRange(integer(v, "a number or \"auto\""), 1, 1024);
        });
    }

    boolean bool(String key) {
        return read(key, false, v -> {
            Object u = v.unwrapped();
            if (u instanceof Boolean b) return b;
            String s = u == null ? "" : String.valueOf(u).strip();
            return switch (s) {
                case "on", "true", "yes" -> true;
                case "off", "false", "no" -> false;
                default -> throw new Bad("on or off");
            };
        });
    }

    /** The range is named whatever is wrong: "port = [1]" says which numbers would do. */
    int intIn(String key, int min, int max) {
        return read(key, min, v -> (int) inRange(integer(v, range(min, max)), min, max));
    }

    Duration duration(String key) {
        return read(key, Duration.ofSeconds(1), SettingsReader::duration);
    }

    /** A duration that may be zero ("0s": off). */
    Duration durationOrZero(String key) {
        return read(key, Duration.ZERO, SettingsReader::durationOrZero);
    }

    String string(String key) {
        return read(key, "", v -> scalar(v, "a string"));
    }

    Optional<String> optionalString(String key) {
        return has(key) ? Optional.of(string(key)) : Optional.empty();
    }

    List<String> strings(String key) {
        return read(key, List.of(), SettingsReader::strings);
    }

    Optional<List<String>> optionalStrings(String key) {
        return has(key) ? Optional.of(strings(key)) : Optional.empty();
    }

    /** An object of NAME = "value" pairs (for env). */
    Map<String, String> stringMap(String key) {
        return read(key, Map.of(), v -> {
            String expected = "an object of NAME = \"value\" pairs";
            if (!(v instanceof ConfigObject object)) throw new Bad(expected);
            Map<String, String> map = new LinkedHashMap<>();
            for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
                if (e.getKey().isEmpty() || e.getKey().contains("=")) throw new Bad(expected);
                map.put(e.getKey(), scalar(e.getValue(), expected));
            }
            return map;
        });
    }

    /**
     * Parses the value of {@code key}; a {@link Bad} from {@code parse} becomes the problem line
     * {@code "<where>: expected <what>, got <value>"} and {@code fallback} is returned.
     */
    <T> T read(String key, T fallback, Function<ConfigValue, T> parse) {
        int dot = key.indexOf('.');
        if (dot > 0 && badKeys.contains(key.substring(0, dot))) {
            // "restart = 5" is one problem, already reported: not one more for each key under it.
            badKeys.add(key);
            return fallback;
        }
        ConfigValue v = raw(key);
        try {
            return parse.apply(v == null ? ConfigValueFactory.fromAnyRef(null) : v);
        } catch (Bad bad) {
            problem(key, "expected " + bad.getMessage() + ", got " + render(v));
            return fallback;
        }
    }

    // Walks the path by hand: Config.getValue throws on null, and on a path through a non-object.
    private ConfigValue raw(String key) {
        ConfigValue v = block.root();
        for (String part : ConfigUtil.splitPath(key)) {
            if (!(v instanceof ConfigObject object)) return null;
            v = object.get(part);
        }
        return v;
    }

    /** A value that cannot be used; the message completes "expected ..., got ...". */
    static final class Bad extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Bad(String expected) {
            super(expected, null, false, false);
        }
    }

    static String render(ConfigValue v) {
        if (v == null) return "nothing";
        return switch (v.valueType()) {
            case STRING -> "\"" + v.unwrapped() + "\"";
            case NUMBER, BOOLEAN -> String.valueOf(v.unwrapped());
            case LIST -> "a list";
            case OBJECT -> "an object";
            case NULL -> "null";
        };
    }

    static String scalar(ConfigValue v, String expected) {
        return switch (v.valueType()) {
            case STRING, NUMBER, BOOLEAN -> String.valueOf(v.unwrapped());
            default -> throw new Bad(expected);
        };
    }

    static long integer(ConfigValue v, String expected) {
        Object u = v.unwrapped();
        if (u instanceof Integer || u instanceof Long) return ((Number) u).longValue();
        if (u instanceof String s) {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                throw new Bad(expected);
            }
        }
        throw new Bad(expected);
    }

    static long inRange(long n, long min, long max) {
        if (n < min || n > max) throw new Bad(range(min, max));
        return n;
    }

    private static String range(long min, long max) {
        return max == Integer.MAX_VALUE ? "a number of " + min + " or more" : "a number from " + min + " to " + max;
    }

    /**
     * HOCON durations ("60s", "500ms", "2 minutes"), with a unit required: a bare number means
     * milliseconds in HOCON, so "--kill-timeout 60" would SIGKILL every worker after 60 ms.
     */
    static Duration duration(ConfigValue v) {
        Duration d = anyDuration(v);
        if (d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
            throw new Bad("a duration above 0 and at most " + MAX_DURATION.toDays() + "d");
        }
        return d;
    }

    static Duration durationOrZero(ConfigValue v) {
        Duration d = anyDuration(v);
        if (d.isNegative() || d.compareTo(MAX_DURATION) > 0) {
            throw new Bad("a duration of 0s or more and at most " + MAX_DURATION.toDays() + "d");
        }
        return d;
    }

    private static Duration anyDuration(ConfigValue v) {
        String expected = "a duration with a unit, like 60s or 500ms";
        if (v.valueType() != ConfigValueType.STRING) throw new Bad(expected);
        String s = ((String) v.unwrapped()).strip();
        if (s.isEmpty() || s.chars().allMatch(c -> Character.isDigit(c) || c == '.')) throw new Bad(expected);
        try {
            return ConfigFactory.empty().withValue("d", v).getDuration("d");
        } catch (ConfigException e) {
            throw new Bad(expected);
        }
    }

    static List<String> strings(ConfigValue v) {
        String expected = "a list of strings";
        if (v.valueType() != ConfigValueType.LIST) throw new Bad(expected);
        List<String> list = new ArrayList<>();
        for (ConfigValue element : (ConfigList) v) {
            list.add(scalar(element, expected));
        }
        return List.copyOf(list);
    }
}
