package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.fixtures.TestJars;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What conf/actor-runner.service relies on, without systemd as PID 1: the runner started as its
 * ExecStart starts it (bin/actor-runner, the shipped conf/actor-runner.conf, a control socket in a
 * directory of mode 700 as RuntimeDirectory= makes, an app jar) and signalled as systemd signals it.
 * <ul>
 *   <li>Type=exec and ExecReload=kill -HUP $MAINPID: the launcher execs java, so the unit's main
 *       process is the runner itself, and HUP to it is a rolling reload;</li>
 *   <li>KillMode=mixed, KillSignal=SIGTERM, TimeoutStopSec: SIGTERM to the runner alone drains and
 *       stops every worker by SIGTERM and exits 0 within TimeoutStopSec, a client connection open;</li>
 *   <li>RestartPreventExitStatus=2 3: a configuration error exits 2, an app that cannot boot 3.</li>
 * </ul>
 * docker/test.sh runs the same unit under a real systemd (PID 1 of a container) where podman
 * works; this test runs wherever the integration tests run.
 */
class SystemdUnitIT {
    private static final Path UNIT = Path.of("conf/actor-runner.service");
    private static final Path SHIPPED_CONF = Path.of("conf/actor-runner.conf");
    private static final Path LAUNCHER = Path.of("bin/actor-runner");
    private static final Path JAR = Path.of(System.getProperty("actorrunner.jar", "target/actor-runner.jar"));
    /** JVM starts (the runner's, then two workers') on a loaded 2-core machine. */
    private static final Duration START = Duration.ofSeconds(60);
    private static final Pattern RELOADED = Pattern.compile("reload \\d+ completed in");
    /** A row of `actor-runner status`: ID PID GEN STATE ... */
    private static final Pattern READY_ROW = Pattern.compile("^\\s*\\d+\\s+(\\d+)\\s+\\d+\\s+ready\\s");
    private static final Pattern KILLED = Pattern.compile("after SIGTERM: SIGKILL|signal 9");

    @RegisterExtension
    final Reaper reaper = new Reaper();
    /** Stands for /opt/my-service and /run/my-service: the app jar, configs and the control socket. */
    private Path dir;

    @BeforeEach
    void makeTheServiceDirectory() throws IOException {
        assertTrue(Files.isRegularFile(JAR), JAR + ": build it first (mvn package; failsafe runs after it)");
        dir = Files.createTempDirectory("actor-runner-unit-"); // mode 700, as RuntimeDirectoryMode=0700
    }

    @AfterEach
    void removeIt() throws Exception {
        reaper.killAll(); // the runners first: they hold files here
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @Test
    void systemdAnalyzeVerifyAcceptsTheUnit() throws Exception {
        Path analyze = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze").map(Path::of)
                .filter(Files::isExecutable).findFirst().orElse(null);
        assumeTrue(analyze != null, "needs systemd-analyze (Debian: apt-get install systemd)");
        // verify checks that ExecStart's program exists: the unit's /opt/actor-runner is this
        // repository here. Nothing else is changed.
        String unit = Files.readString(UNIT).replace("/opt/actor-runner/bin/actor-runner",
                LAUNCHER.toAbsolutePath().toString());
        Path copy = Files.writeString(dir.resolve("my-service.service"), unit);
        Process p = reaper.register(new ProcessBuilder(analyze.toString(), "verify", copy.toString())
                .redirectErrorStream(true).start());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "systemd-analyze verify still running after 60s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // It exits 0 on a value it cannot parse ("Failed to parse ..., ignoring"): only silence is a pass.
        assertEquals(0, p.exitValue(), out);
        assertEquals("", out.strip());
    }

    /** The unit's promises, read from it, against the runner's shipped defaults. */
    @Test
    void theUnitStopsOnlyTheRunnerAndWaitsLongerThanItsGracefulStop() throws IOException {
        Map<String, String> service = serviceSection();
        assertEquals("exec", service.get("Type"), "the launcher must exec java: $MAINPID is then the runner");
        assertEquals("/bin/kill -HUP $MAINPID", service.get("ExecReload"));
        assertEquals("mixed", service.get("KillMode"), "SIGTERM to the runner alone; it stops the workers");
        assertEquals("SIGTERM", service.get("KillSignal"));
        assertEquals(Set.of("2", "3"), Set.of(service.get("RestartPreventExitStatus").split("\\s+")));
        Duration stop = Duration.ofSeconds(Long.parseLong(service.get("TimeoutStopSec")));
        Duration graceful = shippedDefaults().getDuration("actor-runner.drain-timeout")
                .plus(shippedDefaults().getDuration("actor-runner.kill-timeout"));
        assertTrue(stop.compareTo(graceful) > 0,
                "TimeoutStopSec " + stop + " must exceed drain-timeout + kill-timeout (" + graceful + ")");
    }

    @Test
    void sigtermToTheRunnerAloneDrainsTheWorkersAndExitsZeroWithinTimeoutStopSec() throws Exception {
        Path app = TestJars.withMainClass(dir.resolve("app.jar"), "dev.actorrunner.demo.HelloServer", JAR);
        Path socket = dir.resolve("control.sock");
        // tcp mode: a kept-alive HTTP client holds its worker's drain only when its connection is
        // pinned (in the shipped default, auto, its worker drains at once: AutoModeIT).
        RunnerProcess r = launch(List.of("--config", SHIPPED_CONF.toString(), "--control-socket", socket.toString(),
                "-p", "0", "--mode", "tcp", app.toString()), Map.of());
        List<RunnerProcess.Worker> first = r.awaitInRotation(2, START);
        int port = r.publicPort(START);
        String command = ProcessHandle.of(r.pid()).flatMap(h -> h.info().command()).orElse("");
        assertTrue(command.endsWith("/java"), "the unit's main process must be java, not a shell: " + command);

        String status = client("status", "--control-socket", socket.toString());
        Set<Long> readyPids = status.lines().map(READY_ROW::matcher).filter(java.util.regex.Matcher::find)
                .map(m -> Long.parseLong(m.group(1))).collect(Collectors.toSet());
        assertEquals(first.stream().map(RunnerProcess.Worker::pid).collect(Collectors.toSet()), readyPids, status);

        r.signal("HUP"); // ExecReload
        r.awaitLine(l -> RELOADED.matcher(l).find(), START, "the HUP's reload to complete");
        List<Integer> firstIds = first.stream().map(RunnerProcess.Worker::id).toList();
        List<RunnerProcess.Worker> last = r.inRotation();
        assertEquals(2, last.size(), r.output());
        assertTrue(last.stream().noneMatch(w -> firstIds.contains(w.id())), "HUP replaced every worker: " + last);

        List<Long> below = r.descendants();
        Duration timeoutStop = Duration.ofSeconds(Long.parseLong(serviceSection().get("TimeoutStopSec")));
        try (Socket client = keptAlive(port)) {
            long t0 = System.nanoTime();
            r.signal("TERM"); // KillMode=mixed: the runner only, never its workers
            r.awaitLine(l -> l.contains("leaves rotation: draining 1 connection(s)"), START,
                    "the client's worker to wait for its connection");
            assertTrue(RunnerProcess.alive(r.pid()), "the runner waits for the open connection");
            client.close(); // the client leaves; its worker may now stop
            int code = r.awaitExit(timeoutStop);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertEquals(0, code, r.output());
            assertTrue(took.compareTo(timeoutStop) < 0, "stop took " + took);
        }
        for (RunnerProcess.Worker w : last) {
            r.awaitLine(l -> l.contains("(pid " + w.pid() + ", gen " + w.generation() + ") exited after stop: exit code 0"),
                    Duration.ofSeconds(1), "worker " + w + " to exit 0 after SIGTERM");
        }
        assertTrue(r.lines().stream().noneMatch(l -> KILLED.matcher(l).find()), r.output());
        assertTrue(r.lines().stream().anyMatch(l -> l.contains("all workers stopped")), r.output());
        RunnerProcess.awaitDead(below, Duration.ofSeconds(5));
        assertEquals(List.of(), r.errLines());
    }

    @Test
    void aConfigurationErrorExits2WithOneLine() throws Exception {
        Path conf = Files.writeString(dir.resolve("actor-runner.conf"), "actor-runner { workers = abc }\n");
        Path app = TestJars.withMainClass(dir.resolve("app.jar"), "dev.actorrunner.demo.HelloServer", JAR);
        RunnerProcess r = launch(List.of("--config", conf.toString(), "--control-socket",
                dir.resolve("control.sock").toString(), "-p", "0", app.toString()), Map.of());
        assertEquals(2, r.awaitExit(START), r.output() + "\n" + r.errLines());
        assertEquals(1, r.errLines().size(), String.join("\n", r.errLines()));
        assertEquals("actor-runner: config: actor-runner.workers: expected a number or \"auto\", got \"abc\"",
                r.errLines().get(0));
        assertEquals(List.of(), r.lines(), "nothing started");
    }

    /** The launcher's own error, before any java: the same one line and exit code 2. */
    @Test
    void aLauncherWithoutItsJarExits2WithOneLine() throws Exception {
        Path missing = dir.resolve("nowhere/actor-runner.jar");
        RunnerProcess r = launch(List.of("--config", SHIPPED_CONF.toString(), "-p", "0", "--demo"),
                Map.of("ACTOR_RUNNER_JAR", missing.toString()));
        assertEquals(2, r.awaitExit(START), r.output() + "\n" + r.errLines());
        assertEquals(List.of("actor-runner: ACTOR_RUNNER_JAR=" + missing + ": no such file"), r.errLines());
        assertEquals(List.of(), r.lines());
    }

    @Test
    void anAppThatCannotBootExits3AndLeavesNoWorker() throws Exception {
        Path app = TestJars.withMainClass(dir.resolve("app.jar"), "no.such.Main");
        RunnerProcess r = launch(List.of("--config", SHIPPED_CONF.toString(), "--control-socket",
                dir.resolve("control.sock").toString(), "-p", "0", app.toString()), Map.of());
        List<Long> seen = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (RunnerProcess.alive(r.pid()) && System.nanoTime() < deadline) {
            seen.addAll(r.descendants());
            RunnerProcess.pause();
        }
        assertEquals(3, r.awaitExit(Duration.ofSeconds(5)), r.output());
        assertTrue(r.lines().stream().anyMatch(l -> l.contains("boot failed: app failed to start 3 time(s) in a row")),
                r.output());
        assertTrue(seen.size() >= 3, "three workers tried to boot: " + seen);
        RunnerProcess.awaitDead(seen, Duration.ofSeconds(5));
    }

    /**
     * bin/actor-runner ARGS with the java running this test. No class archive: one in target/ may
     * belong to an older build (the JVM would ignore it silently; docker/test.sh checks its use).
     */
    private RunnerProcess launch(List<String> args, Map<String, String> env) throws IOException {
        Map<String, String> all = new HashMap<>(Map.of("JAVA_HOME", System.getProperty("java.home"),
                "ACTOR_RUNNER_JAR", JAR.toAbsolutePath().toString(), "ACTOR_RUNNER_CDS", "off"));
        all.putAll(env);
        all.put("JAVA_OPTS", null);
        return reaper.closeLater(RunnerProcess.startLauncher(LAUNCHER, args, all));
    }

    /** bin/actor-runner as the client, as the unit's comment shows it; its output, if it exits 0. */
    private String client(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("ACTOR_RUNNER_JAR", JAR.toAbsolutePath().toString());
        pb.environment().put("ACTOR_RUNNER_CDS", "off");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = reaper.register(pb.start());
        assertTrue(p.waitFor(START.toSeconds(), TimeUnit.SECONDS), "actor-runner " + String.join(" ", args) + ": hangs");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** A client that got its answer and keeps the connection open, as a browser does. */
    private static Socket keptAlive(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder got = new StringBuilder();
        while (!got.toString().contains("hello from pid")) {
            int b = in.read();
            if (b < 0) throw new IOException("closed before the answer: " + got);
            got.append((char) b);
        }
        return s;
    }

    /** conf/actor-runner.conf over the jar's reference.conf: what the unit's runner reads. */
    private static Config shippedDefaults() {
        return ConfigFactory.parseFile(SHIPPED_CONF.toFile()).withFallback(ConfigFactory.defaultReference()).resolve();
    }

    /** KEY=VALUE lines of the unit's [Service] section (continued lines joined, comments skipped). */
    private static Map<String, String> serviceSection() throws IOException {
        String joined = Files.readString(UNIT).replaceAll("\\\\\\n\\s*", " ");
        Map<String, String> keys = new LinkedHashMap<>();
        String section = "";
        for (String line : joined.lines().map(String::strip).collect(Collectors.toList())) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("[")) section = line;
            else if (section.equals("[Service]") && line.contains("=")) {
                keys.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return keys;
    }
}
