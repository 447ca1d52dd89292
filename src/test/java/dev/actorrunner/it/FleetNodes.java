package dev.actorrunner.it;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.control.Json;
import dev.actorrunner.fixtures.FleetPorts;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.fixtures.TestJars;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A fleet of runner JVMs on loopback for the fleet ITs (issue 15): nodes n1..nN, each with a fleet
 * port of its own chosen once (so that a node started again comes back at the same address), the
 * same seeds for all, a control socket in the test's directory, and every runner handed to the
 * test's {@link Reaper}. Also what the tests ask of a node ({@code fleet status --json}) and the
 * release jars they roll to.
 */
final class FleetNodes {
    /** Runners and their workers start at once on a loaded 2-core machine. */
    static final Duration FORM = Duration.ofSeconds(120);
    /** The runner's built jar: the release jars run its demo server. */
    static final Path JAR = Path.of(System.getProperty("actorrunner.jar", "target/actor-runner.jar")).toAbsolutePath();

    /** A node of the fleet under test. */
    record Node(String name, RunnerProcess runner, Path socket) {}

    private final Path dir;
    private final Reaper reaper;
    private final List<Integer> ports;

    FleetNodes(Path dir, Reaper reaper, int nodes) throws IOException {
        this.dir = dir;
        this.reaper = reaper;
        this.ports = FleetPorts.free(nodes);
    }

    /** Every node, started at once, each with {@code workers} workers of {@code app} (the runner's trailing arguments). */
    List<Node> start(int workers, Path config, List<String> app) throws IOException {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) nodes.add(start(i, workers, config, app));
        return nodes;
    }

    /** Node {@code i} (0-based, named n{@code i+1}) at its own fleet port: at first, or again after it was killed. */
    Node start(int i, int workers, Path config, List<String> app) throws IOException {
        String name = "n" + (i + 1);
        Path socket = dir.resolve(name + ".sock");
        String seeds = ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        List<String> args = new ArrayList<>(List.of("-w", String.valueOf(workers), "-p", "0", "--config", config.toString(),
                "--control-socket", socket.toString(), "--kill-timeout", "20s",
                "--fleet-bind", "127.0.0.1:" + ports.get(i), "--fleet-seeds", seeds, "--fleet-name", name));
        args.addAll(app);
        return new Node(name, reaper.closeLater(RunnerProcess.start(args)), socket);
    }

    /** The trailing arguments that run {@code jar} as the app, its workers small JVMs. */
    static List<String> jarApp(Path jar) {
        return List.of("--jvm-opt", "-Xmx64m", "--jvm-opt", "-XX:TieredStopAtLevel=1", jar.toString());
    }

    /**
     * Release {@code n}: a jar that runs the runner's demo server. Each release reaches the runner's
     * jar by a path of its own, so that the releases' bytes, and SHA-256s, differ.
     */
    Path release(int n) throws IOException {
        return release(dir, n);
    }

    /** As {@link #release(int)}, under {@code dir}: for a fleet started otherwise (in network namespaces). */
    static Path release(Path dir, int n) throws IOException {
        Path releaseDir = Files.createDirectories(dir.resolve("releases").resolve(String.valueOf(n)));
        Path lib = Files.createSymbolicLink(releaseDir.resolve("actor-runner.jar"), JAR);
        return TestJars.withMainClass(releaseDir.resolve("app.jar"), "dev.actorrunner.demo.HelloServer", lib);
    }

    /** Release {@code n} that runs {@code mainClass}, of the runner or of the test classes (a fixture). */
    Path release(int n, String mainClass) throws IOException {
        Path releaseDir = Files.createDirectories(dir.resolve("releases").resolve(String.valueOf(n)));
        Path lib = Files.createSymbolicLink(releaseDir.resolve("actor-runner.jar"), JAR);
        return TestJars.withMainClass(releaseDir.resolve("app.jar"), mainClass, lib, Path.of("target/test-classes"));
    }

    static Cli.Result cli(Node node, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--control-socket", node.socket().toString()));
        return Cli.run(Map.of(), all.toArray(String[]::new));
    }

    /** {@code fleet status --json} on {@code node}; {"error": ...} when it does not answer. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> status(Node node) {
        Cli.Result r = cli(node, "fleet", "status", "--json");
        if (r.code() != 0) return Map.of("error", r.err());
        return (Map<String, Object>) Json.parse(r.out().strip());
    }

    /** The nodes of a status, one row each. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> rows(Map<String, Object> status) {
        return (List<Map<String, Object>>) (List<?>) status.getOrDefault("nodes", List.of());
    }

    static List<Map<String, Object>> rows(Node node) {
        return rows(status(node));
    }

    /** The SHA-256 each node publishes, by name (a 12-character prefix is enough to tell releases apart). */
    static Map<String, String> running(Node node) {
        return rows(node).stream().filter(r -> r.get("sha256") != null)
                .collect(Collectors.toMap(r -> (String) r.get("name"), r -> ((String) r.get("sha256")).substring(0, 12)));
    }

    /** Every node sees {@code members} members, all reachable, and {@code readyWorkers} workers ready. */
    static void awaitFleet(List<Node> nodes, long members, long readyWorkers) {
        for (Node node : nodes) {
            node.runner().await(() -> {
                Map<String, Object> s = status(node);
                return Long.valueOf(members).equals(s.get("members")) && Long.valueOf(readyWorkers).equals(s.get("readyWorkers"))
                        && Long.valueOf(0).equals(s.get("unreachable"));
            }, FORM, node.name() + " to see " + members + " members and " + readyWorkers + " workers ready");
        }
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static String sha12(Path file) {
        return sha256(file).substring(0, 12);
    }
}
