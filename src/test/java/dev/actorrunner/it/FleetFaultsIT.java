package dev.actorrunner.it;

import static dev.actorrunner.it.FleetNodes.FORM;
import static dev.actorrunner.it.FleetNodes.awaitFleet;
import static dev.actorrunner.it.FleetNodes.cli;
import static dev.actorrunner.it.FleetNodes.running;
import static dev.actorrunner.it.FleetNodes.sha12;
import static dev.actorrunner.it.FleetNodes.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.cli.Cli;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.FleetNodes.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's failure cases (issue 15) on three runner JVMs of one demo worker each: the runner of
 * the coordinator's node SIGKILLed in the middle of a roll (a coordinator on a survivor resumes the
 * plan it replicated), that runner started again on the old release (it rejoins and is brought to
 * the new one), and a runner frozen with SIGSTOP until the others have downed it (its fleet system
 * starts again once it runs; its workers never notice).
 *
 * <p>One worker per runner: the cases are about the runners and their fleet, and a reload
 * surges one worker as it does two; four JVMs fewer on a loaded 2-core machine keep the failure
 * detector's pauses honest.
 */
class FleetFaultsIT {
    private static final int NODES = 3;
    private static final Pattern PLAN = Pattern.compile("^plan (\\S+):");
    private static final Pattern RELOAD_STARTED = Pattern.compile("reload \\d+ started");
    /** Akka's ClusterSingletonManager, on the node where the coordinator starts (the oldest). */
    private static final String SINGLETON_STARTS = "Singleton manager starting singleton actor";
    /** Fleet.onTerminated: the fleet system ended and will be started again. */
    private static final String REJOINING = "left the fleet (downed, or its fleet system failed); the workers serve on";

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    /**
     * Failure detection fast enough to keep the test short: a member missing for about 10 s is
     * unreachable, and downed once that has lasted another 10 s. Not faster: a JVM starting beside
     * others on a loaded 2-core machine can miss heartbeats for several seconds, and a healthy node
     * downed would fail the test for the wrong reason.
     */
    private Path config() throws Exception {
        return Files.writeString(dir.resolve("runner.conf"), """
                actor-runner.fleet {
                  heartbeat-pause = 10s
                  stable-after = 10s
                  min-healthy-time = 2s
                  machine-deadline = 90s
                  progress-deadline = 5m
                }
                """);
    }

    @Test
    void aRollSurvivesItsCoordinatorsNodeTheNodeRejoinsAndIsCaughtUpAndAFrozenRunnerRejoinsWithItsWorkers()
            throws Exception {
        FleetNodes fleet = new FleetNodes(dir, reaper, NODES);
        Path config = config();
        Path r1 = fleet.release(1);
        Path r2 = fleet.release(2);
        List<Node> nodes = new ArrayList<>(fleet.start(1, config, FleetNodes.jarApp(r1)));
        awaitFleet(nodes, NODES, NODES);

        // (a) The coordinator's node SIGKILLed while another machine reloads.
        await(nodes, () -> nodes.stream().filter(n -> has(n, SINGLETON_STARTS)).count() == 1, "one node to run the coordinator");
        int killed = indexOf(nodes, n -> has(n, SINGLETON_STARTS));
        Node coordinator = nodes.get(killed);
        List<Node> survivors = nodes.stream().filter(n -> n != coordinator).toList();
        List<LoadClient> load = new ArrayList<>();
        for (Node node : survivors) load.add(reaper.closeLater(new LoadClient(node.runner().publicPort(FORM), 2, true)));
        survivors.get(0).runner().await(() -> load.stream().allMatch(l -> l.ok.get() > 20), FORM, "load on the survivors");

        Cli.Result reload = cli(survivors.get(1), "fleet", "reload", "--jar", r2.toString());
        assertEquals(0, reload.code(), reload.out() + reload.err());
        Matcher planMatch = PLAN.matcher(reload.out().strip());
        assertTrue(planMatch.find(), reload.out());
        String plan = planMatch.group(1);
        String stepStarts = "fleet: plan " + plan + ": reloading this machine to";
        await(nodes, () -> survivors.stream().anyMatch(n -> has(n, stepStarts)), "a machine other than the coordinator's to reload");
        List<Long> killedWorkers = coordinator.runner().descendants();
        coordinator.runner().signal("KILL");
        // Its workers die with it (setpriv --pdeathsig); the Reaper would kill any left all the same.
        RunnerProcess.awaitDead(killedWorkers, FORM);

        String completed = "fleet coordinator: plan " + plan + " to ";
        for (Node node : survivors) {
            await(nodes, () -> {
                Map<String, Object> s = status(node);
                return s.get("roll") == null && Long.valueOf(NODES - 1).equals(s.get("members"))
                        && running(node).entrySet().stream().filter(e -> !e.getKey().equals(coordinator.name()))
                                .allMatch(e -> e.getValue().equals(sha12(r2)));
            }, node.name() + " to see the roll completed and both survivors on release 2");
        }
        assertTrue(survivors.stream().anyMatch(n -> has(n, "fleet coordinator: resuming plan " + plan)),
                () -> "a coordinator on a survivor resumed plan " + plan + ":\n" + outputs(nodes));
        assertTrue(survivors.stream().anyMatch(n -> n.runner().lines().stream()
                        .anyMatch(l -> l.contains(completed) && l.contains(": completed, "))),
                () -> "plan " + plan + " completed:\n" + outputs(nodes));
        for (Node node : survivors) {
            assertEquals(1, count(node, stepStarts), node.name() + " reloaded once for plan " + plan + ":\n" + node.runner().output());
            assertEquals(1, node.runner().lines().stream().filter(l -> RELOAD_STARTED.matcher(l).find()).count(),
                    node.name() + " ran one local reload:\n" + node.runner().output());
            // Its entry outlives it (replicated): shown, as not a member, with what it ran last.
            Map<String, Object> row = rows(node).get(coordinator.name());
            assertTrue(row != null && "gone".equals(row.get("member")),
                    node.name() + " shows " + coordinator.name() + " as gone: " + status(node));
        }
        for (LoadClient l : load) l.close();
        for (int i = 0; i < survivors.size(); i++) {
            assertEquals(List.of(), load.get(i).failures, survivors.get(i).name() + ": every request answered 200");
        }

        // (b) The killed runner started again, same name and fleet port, on release 1: caught up to release 2.
        Node restarted = fleet.start(killed, 1, config, FleetNodes.jarApp(r1));
        nodes.set(killed, restarted);
        awaitFleet(nodes, NODES, NODES);
        String bringing = "fleet coordinator: bringing [" + restarted.name() + "]";
        await(nodes, () -> nodes.stream().anyMatch(n -> has(n, bringing)), "the coordinator to bring " + restarted.name() + " to release 2");
        for (Node node : nodes) {
            await(nodes, () -> {
                Map<String, String> shas = running(node);
                return shas.size() == NODES && shas.values().stream().allMatch(sha12(r2)::equals) && status(node).get("roll") == null;
            }, node.name() + " to see all three on release 2");
        }

        // (c) A runner frozen until the others have downed it, then thawed: its fleet system starts
        // again and rejoins; no worker anywhere is touched.
        Node frozen = survivors.stream().filter(n -> !has(n, SINGLETON_STARTS)).findFirst().orElse(survivors.get(1));
        List<Node> others = nodes.stream().filter(n -> n != frozen).toList();
        // Once the old generation of each reload has exited, the processes below each runner are its
        // workers in rotation and its orphan watchdog (a shell): none may change.
        await(nodes, () -> nodes.stream().allMatch(n -> n.runner().everListening().stream().map(RunnerProcess.Worker::pid)
                .filter(pid -> !workers(n).contains(pid)).noneMatch(RunnerProcess::alive)), "the old workers to exit");
        Map<String, Set<Long>> workersBefore = new HashMap<>();
        Map<String, Set<Long>> below = new HashMap<>();
        for (Node node : nodes) {
            workersBefore.put(node.name(), workers(node));
            below.put(node.name(), new TreeSet<>(node.runner().descendants()));
            assertTrue(below.get(node.name()).containsAll(workers(node)), node.name() + ": " + below + " " + workersBefore);
        }
        frozen.runner().signal("STOP");
        try {
            for (Node node : others) {
                await(nodes, () -> Long.valueOf(NODES - 1).equals(status(node).get("members")),
                        node.name() + " to down the frozen " + frozen.name());
            }
        } finally {
            frozen.runner().signal("CONT");
        }
        frozen.runner().awaitLine(l -> l.contains(REJOINING), FORM, frozen.name() + " to start its fleet system again");
        awaitFleet(nodes, NODES, NODES);
        for (Node node : nodes) {
            assertEquals(workersBefore.get(node.name()), workers(node),
                    node.name() + "'s workers in rotation are those of before the freeze:\n" + node.runner().output());
            assertEquals(below.get(node.name()), new TreeSet<>(node.runner().descendants()),
                    node.name() + "'s processes are those of before the freeze:\n" + node.runner().output());
            List<String> exited = node.runner().lines().stream().filter(l -> {
                Matcher m = RunnerProcess.EXITED.matcher(l);
                return m.find() && workersBefore.get(node.name()).contains(Long.parseLong(m.group(2)));
            }).toList();
            assertEquals(List.of(), exited, node.name() + ": no worker of before the freeze exited");
        }
        assertEquals(2, count(frozen, "fleet: node " + frozen.name() + " at "),
                frozen.name() + " started its fleet system twice:\n" + frozen.runner().output());
    }

    /** Waits for {@code condition}; on timeout, fails with every node's output as it is then. */
    private static void await(List<Node> nodes, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + FORM.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(what + ": not within " + FORM + ";\n" + outputs(nodes));
            // Polling interval: most conditions ask the runners for their fleet status, which a
            // loaded machine need not answer fifty times a second.
            Thread.sleep(200);
        }
    }

    /** The pids of {@code node}'s workers in rotation, as its log says. */
    private static Set<Long> workers(Node node) {
        return node.runner().inRotation().stream().map(RunnerProcess.Worker::pid).collect(Collectors.toCollection(TreeSet::new));
    }

    private static boolean has(Node node, String text) {
        return node.runner().lines().stream().anyMatch(l -> l.contains(text));
    }

    private static long count(Node node, String text) {
        return node.runner().lines().stream().filter(l -> l.contains(text)).count();
    }

    private static int indexOf(List<Node> nodes, Predicate<Node> p) {
        for (int i = 0; i < nodes.size(); i++) if (p.test(nodes.get(i))) return i;
        throw new AssertionError("no such node");
    }

    /** The rows of {@code node}'s fleet status, by node name. */
    private static Map<String, Map<String, Object>> rows(Node node) {
        return FleetNodes.rows(node).stream().collect(Collectors.toMap(r -> (String) r.get("name"), r -> r));
    }

    private static String outputs(List<Node> nodes) {
        return nodes.stream().map(n -> "--- " + n.name() + ":\n" + n.runner().output()).collect(Collectors.joining("\n"));
    }
}
