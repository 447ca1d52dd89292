package dev.actorrunner.config;


import static dev.actorrunner.config.SettingsReader.scalar;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigValue;
import dev.actorrunner.config.RunnerSettings.PortRange;
import dev.actorrunner.config.RunnerSettings.Readiness;
import dev.actorrunner.config.RunnerSettings.ReloadStrategy;
import dev.actorrunner.config.SettingsReader.Bad;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Parsers of the settings that have their own little syntax; each throws {@link Bad}. */
final class ValueParsers {

    private static final Pattern RANGE = Pattern.compile("\\s*(\\d{1,5})\\s*-\\s*(\\d{1,5})\\s*");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern ENV_NAME_OR_PREFIX = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*\\*?");
    private static final Pattern HOST_PORT = Pattern.compile("(?:\\[([^\\]]+)\\]|([^:\\s\\[\\]]+)):(\\d{1,5})");
    private static final Pattern DIGITS_AND_DOTS = Pattern.compile("[0-9.]+");
    private static final String OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(?:\\." + OCTET + "){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("\\[?[0-9A-Fa-f:][0-9A-Fa-f:.]*(?:%[A-Za-z0-9_.-]+)?]?");
    private static final Pattern HOST_NAME = Pattern.compile(
            "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\\.?");

    private ValueParsers() {}

    /** {@code tcp}, {@code http:PATH} ({@code http} alone is {@code http:/}), {@code log:REGEX}, {@code none}. */
    static Readiness readiness(ConfigValue v) {
        String s = scalar(v, "tcp, http:PATH, log:REGEX or none").strip();
        if (s.equals("tcp")) return new Readiness.Tcp();
        if (s.equals("none")) return new Readiness.None();
        if (s.equals("http")) return new Readiness.Http("/");
        if (s.startsWith("http:")) {
            String path = s.substring("http:".length());
            if (!path.startsWith("/") || path.chars().anyMatch(Character::isWhitespace)) {
                throw new Bad("http: followed by a path starting with /");
            }
            return new Readiness.Http(path);
        }
        if (s.startsWith("log:")) {
            String regex = s.substring("log:".length());
            if (regex.isEmpty()) throw new Bad("log: followed by a regular expression");
            try {
                return new Readiness.Log(Pattern.compile(regex));
            } catch (PatternSyntaxException e) {
                throw new Bad("log: followed by a valid regular expression (" + e.getDescription() + ")");
            }
        }
        throw new Bad("tcp, http:PATH, log:REGEX or none");
    }

    /** {@code auto}, {@code off}, {@code tcp} or {@code http:PATH} ({@code http} alone is {@code http:/}). */
    static RunnerSettings.Health.Check healthCheck(ConfigValue v) {
        String expected = "auto, off, tcp or http:PATH";
        String s = scalar(v, expected).strip();
        return switch (s) {
            case "auto" -> new RunnerSettings.Health.Check.Auto();
            case "off" -> new RunnerSettings.Health.Check.Off();
            case "tcp" -> new RunnerSettings.Health.Check.Tcp();
            case "http" -> new RunnerSettings.Health.Check.Http("/");
            default -> {
                if (!s.startsWith("http:")) throw new Bad(expected);
                String path = s.substring("http:".length());
                if (!path.startsWith("/") || path.chars().anyMatch(Character::isWhitespace)) {
                    throw new Bad("http: followed by a path starting with /");
                }
                yield new RunnerSettings.Health.Check.Http(path);
            }
        };
    }

    /** {@code off}, or {@code GET:/path} / {@code HEAD:/path}: what a warm-up sends (a cheap idempotent request). */
    static Optional<RunnerSettings.Warmup.Request> warmupRequest(ConfigValue v) {
        String expected = "off, or GET: or HEAD: followed by a path starting with /";
        String s = scalar(v, expected).strip();
        if (s.equals("off")) return Optional.empty();
        int colon = s.indexOf(':');
        String method = colon < 0 ? "" : s.substring(0, colon);
        String path = colon < 0 ? "" : s.substring(colon + 1);
        if (!(method.equals("GET") || method.equals("HEAD")) || !path.startsWith("/")
                || path.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw new Bad(expected);
        }
        return Optional.of(new RunnerSettings.Warmup.Request(method, path));
    }

    /** The signals a worker may be sent for its dump; a SIG prefix is allowed and dropped. */
    private static final java.util.Set<String> DUMP_SIGNALS = java.util.Set.of("QUIT", "ABRT", "USR1", "USR2");

    /** {@code auto}, {@code none}, or QUIT, ABRT, USR1, USR2 (with or without SIG). */
    static String dumpSignal(ConfigValue v) {
        String expected = "auto, none, QUIT, ABRT, USR1 or USR2";
        String s = scalar(v, expected).strip();
        if (s.equals("auto") || s.equals("none")) return s;
        String name = s.toUpperCase(java.util.Locale.ROOT);
        if (name.startsWith("SIG")) name = name.substring(3);
        if (!DUMP_SIGNALS.contains(name)) throw new Bad(expected);
        return name;
    }

    /** A directory path (made if missing, when the first dump is written). */
    static java.nio.file.Path directory(ConfigValue v) {
        String expected = "a directory path";
        String s = scalar(v, expected).strip();
        if (s.isEmpty()) throw new Bad(expected);
        try {
            return java.nio.file.Path.of(s);
        } catch (java.nio.file.InvalidPathException e) {
            throw new Bad(expected);
        }
    }

    /** The largest and smallest memory limits that make sense: 16 MiB to 1 TiB, or off (0). */
    static final long MIN_MEMORY = 16L << 20;
    static final long MAX_MEMORY = 1L << 40;

    /** {@code off}, or a size with a unit: 512MiB, 2GiB, 800MB (at least 16 MiB). */
    static long memorySize(ConfigValue v) {
        String expected = "off, or a size with a unit from 16MiB to 1TiB, like 512MiB or 2GiB";
        String s = scalar(v, expected).strip();
        if (s.equals("off") || s.equals("0")) return 0;
        if (s.chars().allMatch(Character::isDigit)) throw new Bad(expected); // bytes, by accident
        long bytes;
        try {
            bytes = com.typesafe.config.ConfigFactory.empty().withValue("m", v).getBytes("m");
        } catch (com.typesafe.config.ConfigException e) {
            throw new Bad(expected);
        }
        if (bytes < MIN_MEMORY || bytes > MAX_MEMORY) throw new Bad(expected);
        return bytes;
    }

    static ReloadStrategy reloadStrategy(ConfigValue v) {
        String expected = "\"surge\" or \"stop-first\"";
        return switch (scalar(v, expected).strip()) {
            case "surge" -> ReloadStrategy.SURGE;
            case "stop-first" -> ReloadStrategy.STOP_FIRST;
            default -> throw new Bad(expected);
        };
    }

    static RunnerSettings.Transport transport(ConfigValue v) {
        String expected = "\"auto\", \"io_uring\", \"epoll\" or \"nio\"";
        return switch (scalar(v, expected).strip()) {
            case "auto" -> RunnerSettings.Transport.AUTO;
            case "io_uring" -> RunnerSettings.Transport.IO_URING;
            case "epoll" -> RunnerSettings.Transport.EPOLL;
            case "nio" -> RunnerSettings.Transport.NIO;
            default -> throw new Bad(expected);
        };
    }

    static RunnerSettings.Mode mode(ConfigValue v) {
        String expected = "\"auto\", \"tcp\" or \"http\"";
        return switch (scalar(v, expected).strip()) {
            case "auto" -> RunnerSettings.Mode.AUTO;
            case "tcp" -> RunnerSettings.Mode.TCP;
            case "http" -> RunnerSettings.Mode.HTTP;
            default -> throw new Bad(expected);
        };
    }

    /** A path the runner answers itself: starts with "/", no spaces or control characters. */
    static String healthPath(ConfigValue v) {
        String expected = "a path such as /healthz";
        String s = scalar(v, expected).strip();
        if (!s.startsWith("/") || s.chars().anyMatch(c -> c <= ' ' || c == 127)) throw new Bad(expected);
        return s;
    }

    /** {@code "20000-29999"}, inclusive, inside 1-65535. */
    static PortRange portRange(ConfigValue v) {
        String expected = "a port range like \"20000-29999\" inside 1-65535";
        Matcher m = RANGE.matcher(scalar(v, expected));
        if (!m.matches()) throw new Bad(expected);
        int from = Integer.parseInt(m.group(1));
        int to = Integer.parseInt(m.group(2));
        if (from < 1 || to > 65535 || from > to) throw new Bad(expected);
        return new PortRange(from, to);
    }

    /** A variable name, or "" to pass the port through {@code {port}} in the command only. */
    static String portEnv(ConfigValue v) {
        String expected = "an environment variable name, or \"\" for none";
        String s = scalar(v, expected).strip();
        if (!s.isEmpty() && !ENV_NAME.matcher(s).matches()) throw new Bad(expected);
        return s;
    }

    /**
     * {@code all}, {@code none}, or variable names, each a NAME or a PREFIX* (a list, or one string
     * with commas, as --env-inherit gives it). An empty list means none.
     */
    static RunnerSettings.EnvInherit envInherit(ConfigValue v) {
        String expected = "all, none, or a list of variable names (NAME or PREFIX*)";
        List<String> names = new ArrayList<>();
        if (v instanceof ConfigList list) {
            for (ConfigValue element : list) {
                String name = scalar(element, expected).strip();
                // "got a list" would not say which: name it.
                if (!ENV_NAME_OR_PREFIX.matcher(name).matches()) throw new Bad(expected + "; \"" + name + "\" is neither");
                names.add(name);
            }
            return new RunnerSettings.EnvInherit(names);
        }
        String s = scalar(v, expected).strip();
        if (s.equals("all")) return RunnerSettings.EnvInherit.ALL;
        if (s.equals("none")) return RunnerSettings.EnvInherit.NONE;
        for (String name : s.split(",", -1)) {
            if (!ENV_NAME_OR_PREFIX.matcher(name.strip()).matches()) throw new Bad(expected);
            names.add(name.strip());
        }
        return new RunnerSettings.EnvInherit(names);
    }

    /** {@code HOST:PORT} or {@code [IPV6]:PORT}; port 0 takes any free port. */
    static RunnerSettings.HostPort hostPort(ConfigValue v) {
        String expected = "HOST:PORT, like 127.0.0.1:9100";
        Matcher m = HOST_PORT.matcher(scalar(v, expected).strip());
        if (!m.matches()) throw new Bad(expected);
        String host = m.group(1) != null ? m.group(1) : m.group(2);
        if (!isHost(host)) throw new Bad(expected + " (an IP address or host name)");
        int port = Integer.parseInt(m.group(3));
        if (port > 65535) throw new Bad(expected + " (a port from 0 to 65535)");
        return new RunnerSettings.HostPort(host, port);
    }

    static RunnerSettings.LogFormat logFormat(ConfigValue v) {
        String expected = "\"text\" or \"json\"";
        return switch (scalar(v, expected).strip()) {
            case "text" -> RunnerSettings.LogFormat.TEXT;
            case "json" -> RunnerSettings.LogFormat.JSON;
            default -> throw new Bad(expected);
        };
    }

    /** The public address to bind: an IP address, or a host name that resolves to one of this machine's. */
    static String host(ConfigValue v) {
        String expected = "an IP address or host name, like 127.0.0.1, 0.0.0.0, ::1 or localhost";
        String s = scalar(v, expected).strip();
        if (!isHost(s)) throw new Bad(expected);
        return s;
    }

    /**
     * Syntax only, never a DNS lookup (a sandbox without DNS can make one wait for tens of seconds;
     * the front resolves a name at bind time, bounded). Digits and dots must be four numbers from 0
     * to 255: InetAddress would read "1.2.3" as 1.2.0.3 and ask DNS about "999.1.1.1". Anything
     * with a colon must be an IPv6 literal, which InetAddress parses without DNS when it starts
     * with a hex digit or a colon. Otherwise a host name: labels of letters, digits, '-' and '_'.
     */
    static boolean isHost(String s) {
        if (s.isEmpty()) return false;
        if (DIGITS_AND_DOTS.matcher(s).matches()) return IPV4.matcher(s).matches();
        if (s.contains(":")) {
            if (!IPV6_CHARS.matcher(s).matches()) return false;
            try {
                InetAddress.getByName(s);
                return true;
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return s.length() <= 253 && HOST_NAME.matcher(s).matches();
    }
}
