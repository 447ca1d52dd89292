package dev.actorrunner.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The fleet this runner joins (issue 15): the {@code actor-runner.fleet { }} block and the
 * {@code --fleet-*} flags. Off unless {@code bind} is set. The fleet runs in an ActorSystem of its
 * own, separate from the workers' (see {@code dev.actorrunner.fleet}).
 *
 * @param enabled          whether this runner is a fleet member at all
 * @param name             this node's stable name in the fleet (default: the host name)
 * @param bind             the fleet's own address (Akka Artery), not the public one
 * @param seeds            static seed nodes, the same list on every node; the first one may form
 *                         the cluster alone; empty: this node is its own seed
 * @param insecure         plain tcp on a non-loopback address was chosen on purpose
 * @param tls              PEM files for Artery tls-tcp with mutual authentication, if given
 * @param heartbeatPause   failure detector: heartbeats may be missing this long before a member is
 *                         unreachable (acceptable-heartbeat-pause)
 * @param stableAfter      Split Brain Resolver: membership must be stable this long before it downs
 * @param minHealthyTime   fleet reload: a machine's new generation must stay healthy this long
 * @param machineDeadline  fleet reload: one machine's step must end within this
 * @param progressDeadline fleet reload: the whole roll must make progress within this
 * @param maxParallel      fleet reload: machines reloaded at once, unless the request says otherwise
 */
public record FleetSettings(boolean enabled, String name, RunnerSettings.HostPort bind,
                            List<RunnerSettings.HostPort> seeds, boolean insecure, Optional<Tls> tls,
                            Duration heartbeatPause, Duration stableAfter, Duration minHealthyTime,
                            Duration machineDeadline, Duration progressDeadline, int maxParallel) {

    /** No fleet: the runner is alone, as before issue 15. */
    public static final FleetSettings OFF = new FleetSettings(false, "", new RunnerSettings.HostPort("127.0.0.1", 0),
            List.of(), false, Optional.empty(), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(10),
            Duration.ofMinutes(5), Duration.ofMinutes(10), 1);

    public FleetSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bind, "bind");
        seeds = List.copyOf(seeds);
        tls = tls == null ? Optional.empty() : tls;
    }

    /**
     * A node named {@code name} of a fleet that joins a host's own cluster ({@code Fleet.join}):
     * bind, seeds, TLS and failure detection are the host's, so only the name and the roll's
     * defaults (those of {@code conf/actor-runner.conf}) are set here.
     */
    public static FleetSettings joining(String name) {
        if (name.isBlank()) throw new IllegalArgumentException("a fleet node needs a name");
        return new FleetSettings(true, name, OFF.bind(), List.of(), false, Optional.empty(), OFF.heartbeatPause(),
                OFF.stableAfter(), OFF.minHealthyTime(), OFF.machineDeadline(), OFF.progressDeadline(), OFF.maxParallel());
    }

    /** The seeds to contact: the configured ones, or this node alone. */
    public List<RunnerSettings.HostPort> seedsOrSelf() {
        return seeds.isEmpty() ? List.of(bind) : seeds;
    }

    /** The three PEM files of mutual TLS: this node's private key and certificate, and the CA that signs every node's. */
    public record Tls(Path key, Path cert, Path ca) {
        public Tls {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(cert, "cert");
            Objects.requireNonNull(ca, "ca");
        }
    }

    /**
     * Whether {@code host} is a loopback address, by its text alone (no DNS, as every setting): a
     * literal IPv4 address in 127.0.0.0/8, ::1 and localhost. A name that merely begins with "127."
     * ({@code 127.example.com}) is a name like any other, and may resolve anywhere.
     */
    public static boolean isLoopback(String host) {
        String h = unbracketed(host);
        return h.equals("localhost") || LOOPBACK_V4.matcher(h).matches() || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
    }

    /**
     * Whether {@code host} is the wildcard address (0.0.0.0, ::): every interface, but no address a
     * peer can reach, so not one a cluster node can advertise.
     */
    public static boolean isWildcard(String host) {
        String h = unbracketed(host);
        return h.equals("0.0.0.0") || h.equals("::") || h.equals("0:0:0:0:0:0:0:0");
    }

    private static final java.util.regex.Pattern LOOPBACK_V4 =
            java.util.regex.Pattern.compile("127(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

    private static String unbracketed(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
