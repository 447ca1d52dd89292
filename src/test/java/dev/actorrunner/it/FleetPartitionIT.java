package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static dev.actorrunner.it.FleetNodes.cli;
import static dev.actorrunner.it.FleetNodes.sha256;
import static dev.actorrunner.it.FleetNodes.status;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.fixtures.NamespaceClient;
import dev.actorrunner.fixtures.NetNamespaces;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.FleetNodes.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network partition of the fleet (issue 15), as bench/fleet-partition.sh does it by hand: three
 * runner JVMs, each in a network namespace of its own, joined by a bridge in one more namespace
 * (NetNamespaces; nothing of the host's network is touched). Mid-roll one node is cut off: the
 * majority completes the roll without it, its workers serve a client in its namespace throughout,
 * a `fleet reload` asked there fails fast, and once the link heals it rejoins and is brought to the
 * release. Needs root and iproute2 (skipped otherwise).
 *
 * <p>The cut comes at the canary pause, so that where the roll stands when the node goes silent
 * is known: the first machine done, the other two pending. Without the pause, the roll's next step
 * races the failure detector (heartbeat-pause), and the cut node could as well be sent its step
 * before it is seen unreachable, which makes another case (a step that misses machine-deadline).
 */
class FleetPartitionIT {
    /** Three runners and six workers start at once on a loaded 2-core machine (as FleetIT). */
    private static final Duration FORM = Duration.ofSeconds(120);
    /** heartbeat-pause (15 s) and a few heartbeats, on a loaded machine. */
    private static final Duration DETECT = Duration.ofSeconds(60);
    /** Detection, then stable-after (20 s) until the Split Brain Resolver downs, then the removal and a step. */
    private static final Duration DOWN_AND_ROLL = Duration.ofSeconds(120);
    /** A rejoin (join retried every 3 s), a catch-up look (5 s), its check and its step. */
    private static final Duration REJOIN = Duration.ofSeconds(120);
    /**
     * How soon `fleet reload` must fail on the cut-off side: the node refuses on its own, seeing
     * unreachable members, without asking the coordinator. Asking it would take Fleet's
     * START_TIMEOUT (30 s: the check's 20 s, a majority write's 5 s, 5 s more) to time out, so
     * 10 s tells the two apart and leaves room for a loaded machine.
     */
    private static final Duration FAST = Duration.ofSeconds(10);
    private static final int NODES = 3;
    /** The node cut off: last in the plan's order, so still pending at the canary pause, and not the coordinator's (n1, the first seed, is the oldest). */
    private static final int CUT = 3;
    private static final Path JAR = FleetNodes.JAR;
    private static final Pattern TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) ");

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    private List<Node> startFleet(NetNamespaces net, Path config, Path app) throws IOException {
        String seeds = IntStream.rangeClosed(1, NODES).mapToObj(i -> NetNamespaces.address(i) + ":2551").collect(Collectors.joining(","));
        List<Node> nodes = new ArrayList<>();
        for (int i = 1; i <= NODES; i++) {
            String name = "n" + i;
            Path socket = dir.resolve(name + ".sock");
            // The control socket is a path on the shared file system: the CLI reaches it from here.
            nodes.add(new Node(name, reaper.closeLater(RunnerProcess.startJarUnder(net.exec(i), JAR, List.of("-w", "2", "-p", "0",
                    "--config", config.toString(), "--control-socket", socket.toString(), "--kill-timeout", "20s",
                    "--fleet-bind", NetNamespaces.address(i) + ":2551", "--fleet-seeds", seeds, "--fleet-name", name,
                    "--jvm-opt", "-Xmx64m", "--jvm-opt", "-XX:TieredStopAtLevel=1", app.toString()))), socket));
        }
        return nodes;
    }

    private static Optional<Map<String, Object>> row(Map<String, Object> status, String name) {
        return FleetNodes.rows(status).stream().filter(r -> name.equals(r.get("name"))).findFirst();
    }

    /** The time of day (ms) of the first line of {@code runner} that contains {@code text}, from the log's timestamp. */
    private static long firstAt(RunnerProcess runner, String text) {
        String line = runner.lines().stream().filter(l -> l.contains(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no line with \"" + text + "\" in:\n" + runner.output()));
        Matcher m = TIME.matcher(line);
        if (!m.find()) throw new AssertionError("no time at the start of: " + line);
        return java.time.LocalTime.parse(m.group(1)).toNanoOfDay() / 1_000_000;
    }

    private static String outputs(List<Node> nodes) {
        return nodes.stream().map(n -> "--- " + n.name() + ":\n" + n.runner().output()).collect(Collectors.joining("\n"));
    }

    @Test
    void aNodeCutOffMidRollServesOnRefusesAReloadAndIsBroughtToTheReleaseOnceItHeals() throws Exception {
        Optional<String> unavailable = NetNamespaces.unavailable();
        assumeTrue(unavailable.isEmpty(), () -> "FleetPartitionIT skipped: " + unavailable.orElse(""));
        long t0 = System.nanoTime();
        // Registered first, so closed last: after the runners and the client, whatever is left in the namespaces is killed.
        NetNamespaces net = reaper.closeLater(NetNamespaces.create(NODES));
        // A private network of namespaces made here: plain tcp on purpose.
        Path config = Files.writeString(dir.resolve("runner.conf"), """
                actor-runner.fleet {
                  insecure = on
                  heartbeat-pause = 15s
                  stable-after = 20s
                  min-healthy-time = 2s
                  machine-deadline = 90s
                  progress-deadline = 5m
                }
                """);
        Path r1 = FleetNodes.release(dir, 1);
        Path r2 = FleetNodes.release(dir, 2);
        String sha2 = sha256(r2);
        List<Node> nodes = startFleet(net, config, r1);
        Node first = nodes.get(0);
        Node cut = nodes.get(CUT - 1);
        List<Node> majority = nodes.stream().filter(n -> n != cut).toList();
        for (Node node : nodes) {
            node.runner().await(() -> {
                Map<String, Object> s = status(node);
                return Long.valueOf(NODES).equals(s.get("members")) && Long.valueOf(2L * NODES).equals(s.get("readyWorkers"))
                        && Long.valueOf(0).equals(s.get("unreachable"));
            }, FORM, node.name() + " to see " + NODES + " members and " + 2 * NODES + " workers ready");
        }
        long formed = System.nanoTime();

        // A client in the cut-off node's namespace, on its public port, from before the cut to after the rejoin.
        NamespaceClient client = reaper.closeLater(NamespaceClient.start(net.exec(CUT), cut.runner().publicPort(FORM),
                Duration.ofMinutes(8)));
        cut.runner().await(() -> client.ok() >= 20, FORM, "the client in " + net.node(CUT) + " to be answered:\n" + client.output());

        Cli.Result canary = cli(first, "fleet", "reload", "--jar", r2.toString(), "--canary", "1", "--wait");
        assertEquals(0, canary.code(), canary.out() + canary.err() + "\n" + outputs(nodes));
        assertTrue(canary.out().contains("paused"), canary.out());
        Matcher planId = Pattern.compile("plan (\\w+)").matcher(canary.out());
        assertTrue(planId.find(), canary.out());
        String plan = planId.group(1);
        List<Node> coordinators = nodes.stream().filter(n -> n.runner().output().contains("fleet coordinator: plan " + plan)).toList();
        assertEquals(List.of(first), coordinators, "the coordinator runs on n1, the oldest member:\n" + outputs(nodes));
        Map<String, Object> paused = status(first);
        assertEquals(Optional.of(sha2), row(paused, "n1").map(r -> r.get("sha256")), "n1 is the canary: " + paused);

        // The cut: n3's link to the hub goes down; each side sees the other unreachable.
        net.cut(CUT);
        long cutAt = System.nanoTime();
        for (Node node : majority) {
            node.runner().await(() -> row(status(node), cut.name()).map(r -> "unreachable".equals(r.get("member"))).orElse(false),
                    DETECT, node.name() + " to see " + cut.name() + " unreachable");
        }
        cut.runner().await(() -> Long.valueOf(NODES - 1).equals(status(cut).get("unreachable")), DETECT,
                cut.name() + " to see the other " + (NODES - 1) + " unreachable");

        // Asked on the minority side: refused there at once, nothing reaches a coordinator.
        long askedAt = System.nanoTime();
        CompletableFuture<Cli.Result> asked = CompletableFuture.supplyAsync(() -> cli(cut, "fleet", "reload", "--jar", r2.toString(), "--wait"));
        Cli.Result minority;
        try {
            // Bounded here too: a client left waiting must fail the test, not hang it (teardown ends the runner, and the call).
            minority = asked.get(FAST.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("fleet reload on n3: no answer within " + FAST + "\n--- n3:\n" + cut.runner().output());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - askedAt);
        String seen = "fleet reload on n3 answered in " + took.toMillis() + " ms, exit " + minority.code() + ": "
                + minority.out() + minority.err() + "\n--- n3:\n" + cut.runner().output();
        assertEquals(2, minority.code(), seen);
        assertTrue(minority.err().contains("unreachable members: n1, n2; nothing reloaded"), seen);
        assertTrue(took.compareTo(FAST) < 0, "not within " + FAST + ": " + seen);

        // The majority goes on: promoted, the roll waits while n3 is unreachable, then (n3 downed and
        // removed) reloads n2 and skips n3, which is no member when its turn comes.
        Cli.Result promote = cli(nodes.get(1), "fleet", "promote");
        assertEquals(0, promote.code(), promote.out() + promote.err() + "\n" + outputs(nodes));
        String completed = "fleet coordinator: plan " + plan + " to app.jar (sha256 " + sha2.substring(0, 12) + "): completed, 2 of 3 done, skipped n3";
        first.runner().awaitLine(l -> l.contains(completed), DOWN_AND_ROLL, "the roll to complete on the majority side");
        long completedAt = System.nanoTime();
        assertTrue(first.runner().output().contains("fleet coordinator: no new step while [n3] unreachable"), outputs(nodes));
        long removed = firstAt(first.runner(), "fleet: n3 left the fleet");
        long n2Reloaded = firstAt(nodes.get(1).runner(), "reload 2 started");
        assertTrue(n2Reloaded >= removed, "n2's step began (" + n2Reloaded + ") only after n3 was removed (" + removed + "):\n" + outputs(nodes));
        assertEquals(List.of(), cut.runner().lines().stream().filter(l -> l.contains("reload 2 started")).toList(),
                "n3 was not reloaded while cut off:\n" + cut.runner().output());
        // The minority downed itself (keep-majority): its fleet system ended, its workers serve on.
        cut.runner().awaitLine(l -> l.contains("fleet: node n3 left the fleet (downed"), DOWN_AND_ROLL, "n3 to leave the fleet");
        assertEquals(0, client.failed(), "no request failed in n3's namespace during the cut:\n" + client.output()
                + "\n--- n3:\n" + cut.runner().output());

        // Healed: n3 rejoins as a new incarnation and the coordinator brings it to the release.
        net.heal(CUT);
        long healedAt = System.nanoTime();
        for (Node node : nodes) {
            node.runner().await(() -> {
                Map<String, Object> s = status(node);
                return Long.valueOf(NODES).equals(s.get("members")) && Long.valueOf(0).equals(s.get("unreachable"))
                        && Long.valueOf(2L * NODES).equals(s.get("readyWorkers")) && s.get("roll") == null
                        && nodes.stream().allMatch(n -> row(s, n.name()).map(r -> sha2.equals(r.get("sha256"))).orElse(false));
            }, REJOIN, node.name() + " to see " + NODES + " members, all on release 2 (" + sha2.substring(0, 12) + "):\n" + status(node));
        }
        long rejoined = System.nanoTime();
        assertTrue(first.runner().output().contains("fleet coordinator: bringing [n3] to the release of plan " + plan),
                outputs(nodes));

        client.stop(Duration.ofSeconds(30));
        assertEquals(0, client.failed(), "every request in n3's namespace answered 200:\n" + client.output()
                + "\n--- n3:\n" + cut.runner().output());
        assertTrue(client.ok() > 100, client.output());
        System.out.printf("FleetPartitionIT: formed %ds, cut to roll completed %ds, healed to n3 on release 2 %ds,"
                        + " reload on the cut side %d ms, client %d ok %d failed, total %ds%n",
                Duration.ofNanos(formed - t0).toSeconds(), Duration.ofNanos(completedAt - cutAt).toSeconds(),
                Duration.ofNanos(rejoined - healedAt).toSeconds(), took.toMillis(), client.ok(), client.failed(),
                Duration.ofNanos(System.nanoTime() - t0).toSeconds());
    }
}
