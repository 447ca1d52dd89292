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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet roll as an operator drives it (issue 15), on three runner JVMs of two demo workers each,
 * with a client on every public port throughout: a canary pause and its promotion, an abort that
 * leaves a mixed fleet, a release whose app cannot start, stopped at the first machine by its
 * aborted local reload, and then one whose app dies two seconds after it is ready, stopped at the
 * first machine by min-healthy-time. FleetIT has the forming, the pre-checks and a plain roll;
 * FleetFaultsIT the coordinator's node killed, a rejoin and a frozen runner.
 */
class FleetRollIT {
    private static final int NODES = 3;

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

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
        FleetNodes fleet = new FleetNodes(dir, reaper, NODES);
        Path r1 = fleet.release(1, "dev.actorrunner.demo.HelloServer");
        Path r2 = fleet.release(2, "dev.actorrunner.demo.HelloServer");
        Path r3 = fleet.release(3, "dev.actorrunner.demo.HelloServer");
        Path dying = fleet.release(4, "dev.actorrunner.fixtures.DiesAfterReady");
        List<Node> nodes = fleet.start(2, config, FleetNodes.jarApp(r1));
        awaitFleet(nodes, NODES, 2L * NODES);
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

        // A release whose app cannot start (its Main-Class is not there; the check reads only the
        // manifest): the first machine's local reload aborts, the roll ends there, exit 1.
        Path bad = fleet.release(5, "no.such.Main");
        Cli.Result badJar = cli(nodes.get(2), "fleet", "reload", "--jar", bad.toString(), "--wait");
        assertEquals(1, badJar.code(), badJar.out() + badJar.err());
        assertTrue((badJar.out() + badJar.err()).contains("aborted"), badJar.out() + badJar.err());
        assertEquals(1, nodes.stream().filter(n -> n.runner().output().contains(bad.toString())).count(),
                "only the first machine was touched");
        for (Node node : nodes) {
            node.runner().await(() -> Long.valueOf(2L * NODES).equals(status(node).get("readyWorkers")), FORM,
                    node.name() + ": every worker ready, the first machine's old ones included");
        }

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
