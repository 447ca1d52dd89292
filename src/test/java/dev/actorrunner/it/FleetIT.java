package dev.actorrunner.it;

import dev.actorrunner.fixtures.FleetPorts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.control.Json;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.fixtures.TestJars;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    private List<Node> startFleet(Path config) throws IOException {
        return startFleet(config, RunnerProcess.demo());
    }

    private List<Node> startFleet(Path config, List<String> app) throws IOException {
        List<Integer> ports = FleetPorts.free(NODES);
        String seeds = ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            String name = "n" + (i + 1);
            Path socket = dir.resolve(name + ".sock");
            List<String> args = new ArrayList<>(List.of("-w", "2", "-p", "0", "--config", config.toString(),
                    "--control-socket", socket.toString(), "--kill-timeout", "20s",
                    "--fleet-bind", "127.0.0.1:" + ports.get(i), "--fleet-seeds", seeds, "--fleet-name", name));
            args.addAll(app);
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

    /** The runner's built jar: the app jars below run its demo server. */
    private static final Path JAR = Path.of(System.getProperty("actorrunner.jar", "target/actor-runner.jar")).toAbsolutePath();

    /**
     * Release {@code n} of an app: a jar that runs the runner's demo server. Each release reaches
     * the runner's jar by a path of its own, so that the releases' bytes, and SHA-256s, differ.
     */
    private Path release(int n) throws IOException {
        Path releaseDir = Files.createDirectories(dir.resolve("releases").resolve(String.valueOf(n)));
        Path lib = Files.createSymbolicLink(releaseDir.resolve("actor-runner.jar"), JAR);
        return TestJars.withMainClass(releaseDir.resolve("app.jar"), "dev.actorrunner.demo.HelloServer", lib);
    }

    private static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** When each runner's local reloads started and completed, from its log: [start, end] in ms of the day. */
    private static List<long[]> reloadIntervals(RunnerProcess runner) {
        Map<String, Long> started = new HashMap<>();
        List<long[]> intervals = new ArrayList<>();
        for (String line : runner.lines()) {
            Matcher s = RELOAD_STARTED.matcher(line);
            if (s.find()) started.put(s.group(2), millis(s.group(1)));
            Matcher c = RELOAD_COMPLETED.matcher(line);
            if (c.find() && started.containsKey(c.group(2))) intervals.add(new long[] {started.get(c.group(2)), millis(c.group(1))});
        }
        return intervals;
    }

    private static final Pattern RELOAD_STARTED = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*reload (\\d+) started");
    private static final Pattern RELOAD_COMPLETED = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .*reload (\\d+) completed");

    private static long millis(String time) {
        return java.time.LocalTime.parse(time).toNanoOfDay() / 1_000_000;
    }

    @Test
    void aFleetFormsShowsEveryNodeAndReloadsMachineByMachine() throws Exception {
        Path r1 = release(1);
        Path r2 = release(2);
        List<Node> nodes = startFleet(config(""), List.of("--jvm-opt", "-Xmx64m", "--jvm-opt", "-XX:TieredStopAtLevel=1",
                r1.toString()));
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
                        && l.contains(" 2/2 ") && l.contains(sha256(r1).substring(0, 12))).count(), table.out());
            }
        }

        // A jar that is not there: refused by the pre-check, before any machine is touched.
        Cli.Result missing = cli(nodes.get(0), "fleet", "reload", "--jar", dir.resolve("releases/9/app.jar").toString(), "--wait");
        assertEquals(2, missing.code(), missing.out() + missing.err());
        assertTrue(missing.err().contains("refused, nothing reloaded") && missing.err().contains("no such file"), missing.err());
        // A SHA-256 that is not the jar's: refused too.
        Cli.Result wrongSha = cli(nodes.get(1), "fleet", "reload", "--jar", r2.toString(), "--sha256", sha256(r1), "--wait");
        assertEquals(2, wrongSha.code(), wrongSha.out() + wrongSha.err());
        assertTrue(wrongSha.err().contains("SHA-256 is " + sha256(r2)), wrongSha.err());
        for (Node node : nodes) assertEquals(List.of(), reloadIntervals(node.runner()), node.name() + " reloaded nothing");

        Cli.Result reload = cli(nodes.get(1), "fleet", "reload", "--jar", r2.toString(), "--sha256", sha256(r2), "--wait");
        assertEquals(0, reload.code(), reload.out() + reload.err());
        assertTrue(reload.out().contains("completed, 3 of 3 done"), reload.out());
        for (Node node : nodes) {
            node.runner().await(() -> {
                Map<String, Object> s = fleetStatus(node);
                return Long.valueOf(1).equals(s.get("releases")) && Long.valueOf(6).equals(s.get("readyWorkers"))
                        && s.get("roll") == null && fleetStatus(node).toString().contains(sha256(r2));
            }, FORM, node.name() + " to see every node on release 2");
        }
        // No two machines reloading at once: each runner's reload began after the previous one's had completed.
        List<long[]> intervals = new ArrayList<>();
        for (Node node : nodes) {
            List<long[]> own = reloadIntervals(node.runner());
            assertEquals(1, own.size(), node.name() + " reloaded once:\n" + node.runner().output());
            intervals.addAll(own);
        }
        intervals.sort(java.util.Comparator.comparingLong(i -> i[0]));
        for (int i = 1; i < intervals.size(); i++) {
            assertTrue(intervals.get(i)[0] >= intervals.get(i - 1)[1], "reload " + i + " began at " + intervals.get(i)[0]
                    + " before the previous one completed at " + intervals.get(i - 1)[1]);
        }

        // Through a symlink (releases/current) and without --sha256: the machines publish the real
        // path; the roll must settle, not bring every machine "up to date" again and again.
        Path r3 = release(3);
        Path current = Files.createSymbolicLink(dir.resolve("releases/current"), r3.getParent());
        Cli.Result viaLink = cli(nodes.get(2), "fleet", "reload", "--jar", current.resolve("app.jar").toString(), "--wait");
        assertEquals(0, viaLink.code(), viaLink.out() + viaLink.err());
        for (Node node : nodes) {
            node.runner().await(() -> fleetStatus(node).toString().contains(sha256(r3)) && fleetStatus(node).get("roll") == null,
                    FORM, node.name() + " to see release 3");
        }
        // A loop shows within a refresh of the entries (15 s) and a catch-up look (5 s): watch longer.
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
            for (Node node : nodes) {
                assertEquals(2, node.runner().lines().stream().filter(l -> RELOAD_STARTED.matcher(l).find()).count(),
                        node.name() + " reloaded to release 3 once, and"
                        + " not again:\n" + node.runner().output());
            }
            Thread.sleep(500); // polling interval of an observation window
        }
    }
}
