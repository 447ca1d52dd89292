package dev.actorrunner.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.RunnerStatus;
import dev.actorrunner.control.ControlProtocol.Command;
import dev.actorrunner.control.ControlProtocol.Reply;
import dev.actorrunner.control.ControlProtocol.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ControlProtocolTest {

    @Test
    void everyRequestSurvivesItsWireForm() {
        for (Request r : List.of(Request.status(), Request.reload(true), Request.reload(false), Request.scale(3, false),
                Request.scale(-2, true), Request.stop(true), Request.stop(false), Request.upgrade(true, null),
                Request.upgrade(false, "/opt/actor-runner/actor-runner-2.jar"))) {
            assertEquals(r, Request.parse(r.toJson()), r.toJson());
            assertFalse(r.toJson().contains("\n"));
        }
        assertEquals("{\"command\":\"reload\",\"wait\":true}", Request.reload(true).toJson());
    }

    @Test
    void aMinimalRequestIsEnough() {
        assertEquals(new Request(Command.RELOAD, false, 0, false), Request.parse("{\"command\":\"reload\"}"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "not json                                    | not a request: bad JSON",
        "[1]                                         | not a request",
        "{}                                          | no \"command\"",
        "{\"command\":\"restart\"}                   | unknown command \"restart\"",
        "{\"command\":\"reload\",\"wait\":\"yes\"}   | \"wait\" must be true or false",
        "{\"command\":\"scale\"}                     | scale needs \"workers\"",
        "{\"command\":\"scale\",\"workers\":0}       | workers: expected a number from 1 to 1024, got 0",
        "{\"command\":\"scale\",\"workers\":2.5}     | scale needs \"workers\", a number",
        "{\"command\":\"scale\",\"workers\":-5000,\"relative\":true} | a change of at most 1024",
    })
    void aBadRequestSaysWhatIsWrong(String line, String expected) {
        ControlProtocol.BadRequest e = assertThrows(ControlProtocol.BadRequest.class, () -> Request.parse(line));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void repliesReadBack() {
        Reply progress = Reply.parse(ControlProtocol.progress("worker 5 ready"));
        assertFalse(progress.isFinal());
        assertEquals("worker 5 ready", progress.message());
        Reply ok = Reply.parse(ControlProtocol.result(true, "done", Map.of("status", Map.of("a", 1))));
        assertTrue(ok.isFinal() && ok.ok());
        assertEquals(Map.of("a", 1L), ok.fields().get("status"));
        Reply failed = Reply.parse(ControlProtocol.result(false, "aborted"));
        assertTrue(failed.isFinal() && !failed.ok());
        Reply error = Reply.parse(ControlProtocol.error("nope"));
        assertEquals("error", error.type());
        assertEquals("error", Reply.parse("garbage").type());
    }

    @Test
    void theStatusTableShowsEveryWorkerAndTheReloads() {
        Instant now = Instant.parse("2030-01-01T10:00:00Z");
        RunnerStatus s = new RunnerStatus("app.jar", 2, 3, true, false, 1, List.of(
                new RunnerStatus.Worker(4, 2, 1004, 20004, RunnerStatus.State.READY, now.minusSeconds(100),
                        now.minusSeconds(125), 1, 7, 35), // ramping up: slow start gives it 35% now
                new RunnerStatus.Worker(6, 3, 1006, 20006, RunnerStatus.State.STARTING, now.minusSeconds(2),
                        now.minusSeconds(2), 0, 0),
                new RunnerStatus.Worker(7, 3, -1, -1, RunnerStatus.State.STARTING, now, null, 0, 0)),
                now.minusSeconds(7300), Optional.of(new RunnerStatus.ReloadProgress(3, now.minusSeconds(3), 2, 1)), true,
                Optional.of(new RunnerStatus.ReloadResult(2, false, now.minusSeconds(60), Duration.ofSeconds(12), 0,
                        "worker 5 (pid 1005, gen 2) not ready within 10s: killed")),
                new RunnerStatus.ReloadTotals(2, 0, 1), List.of(
                        new RunnerStatus.Generation(2, "app.jar", Optional.of(new RunnerStatus.AppJar(
                                java.nio.file.Path.of("/srv/releases/1.2/app.jar"), "ab12cd", ""))),
                        new RunnerStatus.Generation(3, "app.jar", Optional.of(new RunnerStatus.AppJar(
                                java.nio.file.Path.of("/srv/app.jar"), "", "cannot be read (gone)")))));
        StatusView.HostInfo host = new StatusView.HostInfo(999, "1.0", List.of("127.0.0.1:8080"), "/run/x.sock", null);
        Map<String, Object> json = StatusView.toJson(s, host,
                Map.of(1004L, new ProcessStats.Usage(150L * 1024 * 1024, 2.04)), ProcessStats.Usage.UNKNOWN, now);
        // The client renders what came over the wire.
        @SuppressWarnings("unchecked")
        Map<String, Object> wire = (Map<String, Object>) Json.parse(Json.write(json));
        String table = StatusView.table(wire);
        assertTrue(table.startsWith("app.jar: 1 of 2 workers ready on 127.0.0.1:8080, generation 3, 1 crash\n"), table);
        assertTrue(table.contains("runner: pid 999, up 2h01m"), table);
        assertTrue(table.contains("reload: 3 running for 3.0s, 1 of 2 replaced, another queued; last: 2 aborted at "), table);
        assertTrue(table.contains("after 12s, 0 replaced: worker 5 (pid 1005, gen 2) not ready within 10s: killed"), table);
        assertTrue(table.contains("\ngeneration 2: /srv/releases/1.2/app.jar sha256 ab12cd\n"
                + "generation 3: /srv/app.jar: cannot be read (gone)\n"), table);
        Map<?, ?> g2 = (Map<?, ?>) ((List<?>) wire.get("generations")).get(0);
        assertEquals(Map.of("generation", 2L, "app", "app.jar", "jar", "/srv/releases/1.2/app.jar", "sha256", "ab12cd"), g2);
        List<String> rows = table.lines().dropWhile(l -> !l.contains("ID")).toList();
        assertEquals(List.of("ID", "PID", "GEN", "STATE", "SHARE", "UPTIME", "RESTARTS", "CONNS", "RSS", "CPU%"),
                List.of(rows.get(0).trim().split(" +")));
        assertEquals(List.of("4", "1004", "2", "ready", "35%", "2m05s", "1", "7", "150.0M", "2.0"),
                List.of(rows.get(1).trim().split(" +")));
        assertEquals(List.of("6", "1006", "3", "starting", "-", "2.0s", "0", "0", "-", "-"), List.of(rows.get(2).trim().split(" +")));
        assertEquals(List.of("7", "-", "3", "starting", "-", "-", "0", "0", "-", "-"), List.of(rows.get(3).trim().split(" +")));
        assertEquals(4, rows.size());
    }
}
