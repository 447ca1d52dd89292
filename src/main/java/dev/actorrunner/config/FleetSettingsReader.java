package dev.actorrunner.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the {@code fleet { }} block into {@link FleetSettings}, reporting problems as every other
 * setting does. The one check across keys that matters most: a fleet bound to an address other
 * than loopback needs its TLS files, unless {@code fleet.insecure = on} says plain tcp on purpose.
 */
final class FleetSettingsReader {

    /** The keys of the fleet block, in the order a message lists them. */
    static final List<String> KEYS = List.of("bind", "seeds", "name", "insecure", "tls-key", "tls-cert", "tls-ca",
            "heartbeat-pause", "stable-after", "min-healthy-time", "machine-deadline", "progress-deadline",
            "max-parallel");

    /** A node name goes into logs, JSON and Akka roles: no spaces, no commas. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    private FleetSettingsReader() {}

    static FleetSettings read(SettingsReader r) {
        if (!r.has("fleet.bind")) return FleetSettings.OFF;
        RunnerSettings.HostPort bind = r.read("fleet.bind", FleetSettings.OFF.bind(), ValueParsers::hostPort);
        if (r.ok("fleet.bind") && bind.port() == 0) {
            r.problem("fleet.bind", "needs a fixed port: the other nodes list it among their seeds");
        }
        // Artery advertises the address it binds: the others would be told to reach 0.0.0.0.
        if (r.ok("fleet.bind") && FleetSettings.isWildcard(bind.host())) {
            r.problem("fleet.bind", bind.host() + " is every interface, not an address the other nodes can reach:"
                    + " give this machine's own address (10.0.0.1:2551)");
        }
        List<RunnerSettings.HostPort> seeds = r.read("fleet.seeds", List.of(), FleetSettingsReader::seeds);
        String name = r.has("fleet.name") ? r.read("fleet.name", "?", v -> {
            String s = SettingsReader.scalar(v, "a name of letters, digits, '.', '_' and '-'").strip();
            if (!NAME.matcher(s).matches()) throw new SettingsReader.Bad("a name of letters, digits, '.', '_' and '-'");
            return s;
        }) : hostName();
        boolean insecure = r.bool("fleet.insecure");
        Optional<FleetSettings.Tls> tls = tls(r);
        if (r.ok("fleet.bind") && !FleetSettings.isWildcard(bind.host()) && !FleetSettings.isLoopback(bind.host())
                && tls.isEmpty() && !insecure) {
            r.problem("fleet.bind", bind.host() + " is not a loopback address: give fleet.tls-key, fleet.tls-cert"
                    + " and fleet.tls-ca (mutual TLS), or set fleet.insecure = on to run it in the clear");
        }
        return new FleetSettings(true, name, bind, seeds, insecure, tls,
                r.duration("fleet.heartbeat-pause"), r.duration("fleet.stable-after"),
                r.duration("fleet.min-healthy-time"), r.duration("fleet.machine-deadline"),
                r.duration("fleet.progress-deadline"), r.intIn("fleet.max-parallel", 1, 1024));
    }

    /** A list of HOST:PORT, or one string of them separated by commas (the flag's form). */
    private static List<RunnerSettings.HostPort> seeds(ConfigValue v) {
        String expected = "HOST:PORT,... (the fleet addresses of the seed nodes)";
        List<RunnerSettings.HostPort> seeds = new ArrayList<>();
        if (v.valueType() == ConfigValueType.NULL) return List.of();
        if (v.valueType() == ConfigValueType.LIST) {
            for (ConfigValue element : (ConfigList) v) seeds.add(seed(element, expected));
        } else {
            for (String part : SettingsReader.scalar(v, expected).split(",")) {
                if (!part.isBlank()) seeds.add(seed(ConfigValueFactory.fromAnyRef(part.strip()), expected));
            }
        }
        return List.copyOf(seeds);
    }

    private static RunnerSettings.HostPort seed(ConfigValue v, String expected) {
        try {
            RunnerSettings.HostPort hp = ValueParsers.hostPort(v);
            if (hp.port() == 0) throw new SettingsReader.Bad(expected);
            return hp;
        } catch (SettingsReader.Bad bad) {
            throw new SettingsReader.Bad(expected);
        }
    }

    private static Optional<FleetSettings.Tls> tls(SettingsReader r) {
        List<String> keys = List.of("fleet.tls-key", "fleet.tls-cert", "fleet.tls-ca");
        long given = keys.stream().filter(r::has).count();
        if (given == 0) return Optional.empty();
        if (given < keys.size()) {
            r.problem("fleet.tls-key", "fleet.tls-key, fleet.tls-cert and fleet.tls-ca go together: give all three");
            return Optional.empty();
        }
        return Optional.of(new FleetSettings.Tls(pem(r, "fleet.tls-key"), pem(r, "fleet.tls-cert"), pem(r, "fleet.tls-ca")));
    }

    private static Path pem(SettingsReader r, String key) {
        Path path = Path.of(r.string(key)).toAbsolutePath().normalize();
        if (!Files.isRegularFile(path)) {
            r.problem(key, path + ": no such file");
        } else if (!Files.isReadable(path)) {
            r.problem(key, path + ": not readable");
        }
        return path;
    }

    /**
     * The machine's name without a DNS query: $HOSTNAME is not exported to most services, so the
     * kernel's, and only then Java's, which may ask a resolver.
     */
    private static String hostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (NAME.matcher(name).matches()) return name;
        } catch (Exception e) {
            // not Linux: ask Java
        }
        try {
            String name = InetAddress.getLocalHost().getHostName();
            return NAME.matcher(name).matches() ? name : "node";
        } catch (UnknownHostException e) {
            return "node";
        }
    }
}
