package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.control.Json;
import dev.actorrunner.fixtures.Reaper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three runner JVMs on loopback form a fleet (issue 15), each with two workers of the demo, with
 * failure detection relaxed for a loaded 2-core machine. Longer cases live in bench/fleet.sh.
 */
class FleetIT {
    /** Three runners and six workers start at once on a loaded 2-core machine. */
    private static final Duration FORM = Duration.ofSeconds(120);
    private static final int NODES = 3;

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    /** A node of the fleet under test. */
    record Node(String name, RunnerProcess runner, Path socket) {}

    /**
     * Fleet ports below the kernel's ephemeral range (FACTS.md): a node that connects to a seed
     * not yet bound could otherwise be given that very port as its source and connect to itself.
     */
    private static List<Integer> fleetPorts(int n) throws IOException {
        List<Integer> ports = new ArrayList<>();
        while (ports.size() < n) {
            int port = 12000 + ThreadLocalRandom.current().nextInt(8000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                if (!ports.contains(port)) ports.add(port);
            } catch (IOException taken) {
                // another one
            }
        }
        return ports;
    }

    private List<Node> startFleet(Path config) throws IOException {
        List<Integer> ports = fleetPorts(NODES);
        String seeds = ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            String name = "n" + (i + 1);
            Path socket = dir.resolve(name + ".sock");
            List<String> args = new ArrayList<>(List.of("-w", "2", "-p", "0", "--config", config.toString(),
                    "--control-socket", socket.toString(), "--kill-timeout", "20s",
                    "--fleet-bind", "127.0.0.1:" + ports.get(i), "--fleet-seeds", seeds, "--fleet-name", name));
            args.addAll(RunnerProcess.demo());
            nodes.add(new Node(name, reaper.closeLater(RunnerProcess.start(args)), socket));
        }
        return nodes;
    }

    /** Relaxed failure detection: a JVM starting beside five others may miss heartbeats for seconds. */
    private Path config(String extra) throws IOException {
        return Files.writeString(dir.resolve("runner.conf"), """
                actor-runner.fleet {
                  heartbeat-pause = 15s
                  stable-after = 20s
                  min-healthy-time = 2s
                  machine-deadline = 90s
                  progress-deadline = 5m
                """ + extra + "\n}\n");
    }

    private static Cli.Result cli(Node node, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--control-socket", node.socket().toString()));
        return Cli.run(Map.of(), all.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> fleetStatus(Node node) {
        Cli.Result r = cli(node, "fleet", "status", "--json");
        if (r.code() != 0) return Map.of("error", r.err());
        return (Map<String, Object>) Json.parse(r.out().strip());
    }

    /** Every node sees the whole fleet: 3 members, 6 workers ready, one release. */
    private static void awaitWholeFleet(List<Node> nodes) {
        for (Node node : nodes) {
            node.runner().await(() -> {
                Map<String, Object> s = fleetStatus(node);
                return Long.valueOf(NODES).equals(s.get("members")) && Long.valueOf(2L * NODES).equals(s.get("readyWorkers"))
                        && Long.valueOf(0).equals(s.get("unreachable"));
            }, FORM, node.name() + " to see " + NODES + " members and " + 2 * NODES + " workers ready");
        }
    }

    @Test
    void theFleetFormsAndEveryNodeShowsEveryNode() throws Exception {
        List<Node> nodes = startFleet(config(""));
        awaitWholeFleet(nodes);
        for (Node node : nodes) {
            Map<String, Object> s = fleetStatus(node);
            assertEquals(node.name(), s.get("self"));
            assertEquals(1L, s.get("releases"), "one release: " + s);
            Cli.Result table = cli(node, "fleet", "status");
            assertEquals(0, table.code(), table.err());
            assertEquals("3 node(s), 6 worker(s) ready, 1 release(s)", table.outLines().get(0));
            for (Node other : nodes) {
                assertEquals(1, table.outLines().stream().filter(l -> l.startsWith(other.name() + " ") && l.contains(" up ")
                        && l.contains(" 2/2 ")).count(), table.out());
            }
        }
    }
}
