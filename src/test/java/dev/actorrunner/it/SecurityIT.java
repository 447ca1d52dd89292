package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.fixtures.EchoApp.Echo;
import dev.actorrunner.fixtures.EchoApp;
import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.it.RunnerProcess.Worker;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #5's security cases through a real runner JVM, as a user starts it: the worker
 * ({@link EchoApp}) reports the argv and environment it was exec'd with; the runner has a secret
 * in its environment; files planted where the runner writes are not followed.
 */
class SecurityIT {
    /** Generous: two JVMs start one after the other on a loaded 2-core machine. */
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final Map<String, String> RUNNER_ENV = Map.of("RUNNER_SECRET", "s3cret", "LC_SECURITY_IT", "x");

    @TempDir
    Path dir;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    /** A runner of one EchoApp worker ("stay"), ready once the worker has printed everything. */
    private RunnerProcess runner(List<String> options, List<String> appArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("-p", "0", "-w", "1", "--ready", "log:^echo-done$",
                "--kill-timeout", "20s", "--control-socket", dir.resolve("c.sock").toString()));
        args.addAll(options);
        args.addAll(List.of("--", RunnerProcess.javaBin(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), EchoApp.class.getName(), "stay"));
        args.addAll(appArgs);
        RunnerProcess r = RunnerProcess.start(List.of(), args, RUNNER_ENV);
        reaper.closeLater(r);
        return r;
    }

    /** What the one worker printed, once it is in rotation. */
    private static Echo echo(RunnerProcess r, Worker w) {
        String tag = "[worker " + w.id() + " pid " + w.pid() + "] ";
        r.awaitLine(l -> l.endsWith(tag + "echo-done"), BOOT, "the worker's report");
        return Echo.parse(r.lines().stream().filter(l -> l.contains(tag)).toList());
    }

    /** The runner's own environment, as exec gave it to the runner. */
    private static Map<String, String> environ(long pid) throws IOException {
        Map<String, String> env = new TreeMap<>();
        for (byte[] entry : EchoApp.split(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "environ")))) {
            String s = new String(entry, StandardCharsets.UTF_8);
            env.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
        }
        return env;
    }

    @Test
    void argvReachesTheAppVerbatimAndTheEnvironmentIsTheRunnersPlusEnvAndPort() throws Exception {
        Path pwned = Path.of("/tmp/pwned-" + UUID.randomUUID());
        List<String> args = new ArrayList<>(List.of("a b", "\"quoted\"", "'single'", "$(touch " + pwned + ")",
                "; touch " + pwned, "`touch " + pwned + "`", "*", "", "line one\nline two", "${RUNNER_SECRET}",
                "--help", "-w", "9", "--", "port={port}"));
        // Both JVMs encode and decode argv in their locale's charset: only UTF-8 carries this one whole.
        if (Charset.forName(System.getProperty("sun.jnu.encoding")).equals(StandardCharsets.UTF_8)) args.add("é 日本");
        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        Path pidFile = Files.createSymbolicLink(dir.resolve("runner.pid"), victim);
        try {
            RunnerProcess r = runner(List.of("--env", "EXTRA=from --env", "--pid-file", pidFile.toString()), args);
            Worker w = r.awaitInRotation(1, BOOT).get(0);
            Echo echo = echo(r, w);

            List<byte[]> seen = echo.args().subList(1, echo.args().size()); // after "stay"
            assertEquals(args.size(), seen.size(), r.output());
            for (int i = 0; i < args.size(); i++) {
                String expected = args.get(i).replace("{port}", String.valueOf(w.port()));
                assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), seen.get(i), "argument " + i + ": " + args.get(i));
            }
            assertFalse(Files.exists(pwned), "a shell ran an argument");

            Map<String, String> expected = environ(r.pid());
            assertEquals("s3cret", expected.get("RUNNER_SECRET"), "the runner was started with the secret");
            expected.put("EXTRA", "from --env");
            expected.put("PORT", String.valueOf(w.port()));
            assertEquals(expected, echo.envMap(), "the runner adds nothing but env and PORT, and removes nothing");
            assertEquals("/dev/null", echo.stdin());

            assertEquals("precious", Files.readString(victim), "the planted pid-file link was not followed");
            assertFalse(Files.isSymbolicLink(pidFile));
            assertEquals(r.pid() + "\n", Files.readString(pidFile));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pidFile)));
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve("c.sock"), LinkOption.NOFOLLOW_LINKS)));
            Set<String> shared = sockets(r.pid());
            shared.retainAll(sockets(w.pid()));
            assertEquals(Set.of(), shared, "the worker holds none of the runner's sockets (public port, control socket)");
        } finally {
            Files.deleteIfExists(pwned);
        }
    }

    @Test
    void withEnvInheritNoneTheWorkerGetsOnlyEnvAndPort() throws Exception {
        Path conf = Files.writeString(dir.resolve("runner.conf"),
                "actor-runner { env-inherit = none, env { APP_MODE = \"a b\" } }");
        RunnerProcess r = runner(List.of("-c", conf.toString()), List.of());
        Worker w = r.awaitInRotation(1, BOOT).get(0);
        assertEquals(Map.of("APP_MODE", "a b", "PORT", String.valueOf(w.port())), echo(r, w).envMap());
    }

    @Test
    void anAllowListKeepsTheRunnersSecretFromTheWorker() throws Exception {
        RunnerProcess r = runner(List.of("--env-inherit", "PATH,LC_*"), List.of());
        Worker w = r.awaitInRotation(1, BOOT).get(0);
        Map<String, String> runnerEnv = environ(r.pid());
        Map<String, String> expected = new TreeMap<>();
        runnerEnv.forEach((k, v) -> {
            if (k.equals("PATH") || k.startsWith("LC_")) expected.put(k, v);
        });
        expected.put("PORT", String.valueOf(w.port()));
        Map<String, String> seen = echo(r, w).envMap();
        assertEquals(expected, seen);
        assertEquals("x", seen.get("LC_SECURITY_IT"));
        assertFalse(seen.containsKey("RUNNER_SECRET"));
    }

    @Test
    void aPlantedControlDirectoryOrSocketLinkIsRefusedWithExitTwoAndNoWorker() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Path planted = Files.createDirectory(tmp.resolve("actor-runner-" + Files.getAttribute(Path.of("/proc/self"), "unix:uid")));
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxrwxrwx"));
        List<String> echoApp = List.of("--", RunnerProcess.javaBin(), "-cp", System.getProperty("java.class.path"),
                EchoApp.class.getName(), "stay");
        List<String> auto = new ArrayList<>(List.of("-p", "0", "-w", "1", "--control-socket", "auto"));
        auto.addAll(echoApp);
        RunnerProcess r = RunnerProcess.start(List.of("-Djava.io.tmpdir=" + tmp), auto, nullXdg());
        reaper.closeLater(r);
        assertEquals(2, r.awaitExit(BOOT), r.output());
        assertTrue(r.output().contains("actor-runner: control socket: " + planted + ": mode rwxrwxrwx, expected rwx------"),
                r.output());
        assertTrue(r.everListening().isEmpty() && !r.output().contains("[worker "), r.output());
        try (var inside = Files.list(planted)) {
            assertEquals(0, inside.count(), "nothing created in the planted directory");
        }

        Path victim = Files.writeString(dir.resolve("victim"), "precious");
        Path link = Files.createSymbolicLink(dir.resolve("link.sock"), victim);
        List<String> at = new ArrayList<>(List.of("-p", "0", "-w", "1", "--control-socket", link.toString()));
        at.addAll(echoApp);
        RunnerProcess second = RunnerProcess.start(List.of(), at, Map.of());
        reaper.closeLater(second);
        assertEquals(2, second.awaitExit(BOOT), second.output());
        assertTrue(second.output().contains("actor-runner: control socket: " + link
                + ": exists and is a symbolic link, not a socket"), second.output());
        assertEquals("precious", Files.readString(victim));
    }

    private static Map<String, String> nullXdg() {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("XDG_RUNTIME_DIR", null);
        return env;
    }

    /** The inodes of the sockets a process holds open ("socket:[123]"). */
    private static Set<String> sockets(long pid) throws IOException {
        Set<String> found = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:")) found.add(target);
                } catch (IOException closedMeanwhile) {
                    // gone between the listing and the read
                }
            }
        }
        return found;
    }
}
