package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.control.Json;
import dev.actorrunner.fixtures.FleetPorts;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.fixtures.TestJars;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet roll as an operator drives it (issue 15), on three runner JVMs of two demo workers each,
 * with a client on every public port throughout: a canary pause and its promotion, an abort that
 * leaves a mixed fleet, and a release whose app dies two seconds after it is ready, stopped at the
 * first machine by min-healthy-time. FleetIT has the forming, the pre-checks and a plain roll.
 */
class FleetRollIT {
    private static final Duration FORM = Duration.ofSeconds(120);
    private static final int NODES = 3;
    private static final Path JAR = Path.of(System.getProperty("actorrunner.jar", "target/actor-runner.jar")).toAbsolutePath();

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    record Node(String name, RunnerProcess runner, Path socket) {}

    private List<Node> startFleet(Path config, Path app) throws IOException {
        List<Integer> ports = FleetPorts.free(NODES);
        String seeds = ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            String name = "n" + (i + 1);
            Path socket = dir.resolve(name + ".sock");
            nodes.add(new Node(name, reaper.closeLater(RunnerProcess.start(List.of("-w", "2", "-p", "0",
                    "--config", config.toString(), "--control-socket", socket.toString(), "--kill-timeout", "20s",
                    "--fleet-bind", "127.0.0.1:" + ports.get(i), "--fleet-seeds", seeds, "--fleet-name", name,
                    "--jvm-opt", "-Xmx64m", "--jvm-opt", "-XX:TieredStopAtLevel=1", app.toString()))), socket));
        }
        return nodes;
    }

    private static Cli.Result cli(Node node, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--control-socket", node.socket().toString()));
        return Cli.run(Map.of(), all.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(Node node) {
        Cli.Result r = cli(node, "fleet", "status", "--json");
        if (r.code() != 0) return Map.of("error", r.err());
        return (Map<String, Object>) Json.parse(r.out().strip());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rows(Node node) {
        return (List<Map<String, Object>>) (List<?>) status(node).getOrDefault("nodes", List.of());
    }

    /** The SHA-256 each node publishes, by name (a 12-character prefix is enough to tell releases apart). */
    private static Map<String, String> running(Node node) {
        return rows(node).stream().filter(r -> r.get("sha256") != null)
                .collect(Collectors.toMap(r -> (String) r.get("name"), r -> ((String) r.get("sha256")).substring(0, 12)));
    }

    /** A release jar: the demo server (or a fixture of the test classes) behind a path of its own. */
    private Path release(int n, String mainClass) throws IOException {
        Path releaseDir = Files.createDirectories(dir.resolve("releases").resolve(String.valueOf(n)));
        Path lib = Files.createSymbolicLink(releaseDir.resolve("actor-runner.jar"), JAR);
        return TestJars.withMainClass(releaseDir.resolve("app.jar"), mainClass, lib, Path.of("target/test-classes"));
    }

    private static String sha12(Path file) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(file))).substring(0, 12);
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCanaryPausesThenPromotesUnderLoadAnAbortLeavesAMixedFleetAndADyingReleaseStopsAtTheFirstMachine()
            throws Exception {
        Path config = Files.writeString(dir.resolve("runner.conf"), """
                actor-runner.fleet {
                  heartbeat-pause = 15s
                  stable-after = 20s
                  min-healthy-time = 5s
                  machine-deadline = 90s
                  progress-deadline = 5m
                }
                """);
        Path r1 = release(1, "dev.actorrunner.demo.HelloServer");
        Path r2 = release(2, "dev.actorrunner.demo.HelloServer");
        Path r3 = release(3, "dev.actorrunner.demo.HelloServer");
        Path dying = release(4, "dev.actorrunner.fixtures.DiesAfterReady");
        List<Node> nodes = startFleet(config, r1);
        for (Node node : nodes) {
            node.runner().await(() -> Long.valueOf(NODES).equals(status(node).get("members"))
                    && Long.valueOf(2L * NODES).equals(status(node).get("readyWorkers")), FORM, node.name() + " to see the fleet");
        }
        // A client on every public port, kept-alive, for the whole test.
        List<LoadClient> load = new ArrayList<>();
        for (Node node : nodes) load.add(reaper.closeLater(new LoadClient(node.runner().publicPort(FORM), 2, true)));
        nodes.get(0).runner().await(() -> load.stream().allMatch(l -> l.ok.get() > 20), FORM, "load on every port");

        // Canary: one machine, then a pause that lasts until promote.
        Cli.Result canary = cli(nodes.get(0), "fleet", "reload", "--jar", r2.toString(), "--canary", "1", "--wait");
        assertEquals(0, canary.code(), canary.out() + canary.err());
        assertTrue(canary.out().contains("paused"), canary.out());
        Map<String, String> afterCanary = running(nodes.get(2));
        assertEquals(1, afterCanary.values().stream().filter(sha12(r2)::equals).count(), "one machine on release 2: " + afterCanary);
        Cli.Result promote = cli(nodes.get(1), "fleet", "promote");
        assertEquals(0, promote.code(), promote.out() + promote.err());
        nodes.get(0).runner().await(() -> running(nodes.get(0)).values().stream().allMatch(sha12(r2)::equals)
                && running(nodes.get(0)).size() == NODES && status(nodes.get(0)).get("roll") == null, FORM,
                "every machine on release 2 after the promotion");

        // Abort at the pause: the canary keeps release 3, the others release 2, and status says so.
        Cli.Result second = cli(nodes.get(2), "fleet", "reload", "--jar", r3.toString(), "--canary", "1", "--wait");
        assertEquals(0, second.code(), second.out() + second.err());
        Cli.Result abort = cli(nodes.get(0), "fleet", "abort");
        assertEquals(0, abort.code(), abort.out() + abort.err());
        for (Node node : nodes) {
            node.runner().await(() -> Long.valueOf(2).equals(status(node).get("releases")), FORM,
                    node.name() + " to show two releases");
        }
        Map<String, String> mixed = running(nodes.get(1));
        assertEquals(1, mixed.values().stream().filter(sha12(r3)::equals).count(), mixed.toString());
        assertEquals(2, mixed.values().stream().filter(sha12(r2)::equals).count(), mixed.toString());

        for (LoadClient l : load) l.close();
        for (int i = 0; i < NODES; i++) {
            assertEquals(List.of(), load.get(i).failures, nodes.get(i).name() + ": every request answered 200");
        }

        // A release that dies 2 s after it is ready: min-healthy-time (5 s) ends the roll at the first machine.
        Cli.Result broken = cli(nodes.get(1), "fleet", "reload", "--jar", dying.toString(), "--wait");
        assertEquals(1, broken.code(), broken.out() + broken.err());
        assertTrue((broken.out() + broken.err()).contains("aborted"), broken.out() + broken.err());
        long reloadedTo4 = nodes.stream().filter(n -> n.runner().output().contains(dying.toString())).count();
        assertEquals(1, reloadedTo4, "only the first machine was touched");
        Map<String, String> after = running(nodes.get(1));
        assertTrue(after.values().stream().filter(h -> h.equals(sha12(r2)) || h.equals(sha12(r3))).count() >= 2,
                "the machines after it keep what they ran: " + after);
    }
}
