package dev.actorrunner.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actorrunner.config.RunnerSettings.EnvInherit;
import dev.actorrunner.config.RunnerSettings.PortRange;
import dev.actorrunner.fixtures.CapturedLog;
import dev.actorrunner.fixtures.EchoApp;
import dev.actorrunner.fixtures.EchoApp.Echo;
import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.fixtures.Reaper;
import java.nio.charset.Charset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the launcher hands a real worker: argv byte for byte with no shell in between, and an
 * environment built from the runner's by env-inherit, env and the port variable, nothing else.
 * The "runner's environment" is a map given to the launcher, with a secret in it.
 */
class WhatAWorkerGetsTest {

    private static final PortRange PORTS = new PortRange(23700, 23799);
    private static final Map<String, String> RUNNER_ENV = Map.of(
            "PATH", System.getenv("PATH"),
            "HOME", "/home/runner",
            "LANG", "C.UTF-8",
            "LC_TIME", "C",
            "DATABASE_URL", "postgres://db/app",
            "RUNNER_SECRET", "s3cret");

    @RegisterExtension
    final Reaper reaper = new Reaper();
    private final OsProcessLauncher launcher = new OsProcessLauncher(PORTS, RUNNER_ENV);
    private final CapturedLog appLog = new CapturedLog("app");

    @AfterEach
    void closeLauncherAndLog() {
        launcher.close();
        appLog.close();
    }

    /** Runs {@code command} to its exit (bounded) and returns the lines it printed, tags removed. */
    private Run run(List<String> command, Map<String, String> extraEnv, EnvInherit inherit) throws Exception {
        LaunchSpec spec = new LaunchSpec(1, 1, command, "PORT", extraEnv, inherit, Optional.empty());
        WorkerProcess worker = launcher.launch(spec).toCompletableFuture().get(30, TimeUnit.SECONDS);
        reaper.register(worker.pid());
        // exited() completes after both output streams reached EOF: every line is in the log.
        assertEquals(0, worker.exited().toCompletableFuture().get(60, TimeUnit.SECONDS).code(), appLog.messages().toString());
        String tag = "[worker 1 pid " + worker.pid() + "] ";
        List<String> lines = appLog.messages().stream().filter(m -> m.startsWith(tag))
                .map(m -> m.substring(tag.length())).toList();
        return new Run(worker.port(), lines);
    }

    private record Run(int port, List<String> lines) {
        Echo echo() {
            assertTrue(lines.contains("echo-done"), lines.toString());
            return Echo.parse(lines);
        }
    }

    private static List<String> echo(String... args) {
        List<String> argv = new ArrayList<>(Processes.javaCommand(EchoApp.class.getName(), "exit"));
        argv.addAll(List.of(args));
        return argv;
    }

    @Test
    void argumentsReachTheAppByteForByteAndNoShellRunsThem() throws Exception {
        Path pwned = Path.of("/tmp/pwned-" + UUID.randomUUID());
        Path pwnedByBackticks = Path.of(pwned + "-bt");
        List<String> args = List.of("a b", "\"quoted\"", "'single'", "$(touch " + pwned + ")", "; rm -rf x",
                "`touch " + pwnedByBackticks + "`", "*", "", "line one\nline two", "tab\there", "${HOME}", "$PORT",
                "a\\b", "| cat", "&& true", "> out", "--help", "-V", "--", "é ü 日本", "port={port}");
        try {
            Run run = run(echo(args.toArray(String[]::new)), Map.of(), EnvInherit.ALL);
            List<byte[]> seen = run.echo().args();
            assertEquals(args.size() + 1, seen.size(), run.lines().toString()); // "exit", then ours
            // Java encodes argv in the runner's charset (sun.jnu.encoding): UTF-8 unless LANG says otherwise.
            Charset jnu = Charset.forName(System.getProperty("sun.jnu.encoding"));
            for (int i = 0; i < args.size(); i++) {
                String expected = args.get(i).replace("{port}", String.valueOf(run.port()));
                assertArrayEquals(expected.getBytes(jnu), seen.get(i + 1), "argument " + i + ": " + args.get(i));
            }
            assertFalse(Files.exists(pwned), "$(...) was run by a shell");
            assertFalse(Files.exists(pwnedByBackticks), "`...` was run by a shell");
        } finally {
            Files.deleteIfExists(pwned);
            Files.deleteIfExists(pwnedByBackticks);
        }
    }

    @Test
    void byDefaultTheWorkerGetsTheRunnersEnvironmentPlusEnvAndPortAndNothingElse() throws Exception {
        Run run = run(echo(), Map.of("EXTRA", "1", "HOME", "/srv/app"), EnvInherit.ALL);
        Map<String, String> expected = new TreeMap<>(RUNNER_ENV);
        expected.put("EXTRA", "1");
        expected.put("HOME", "/srv/app"); // env { } wins over an inherited variable
        expected.put("PORT", String.valueOf(run.port()));
        assertEquals(expected, run.echo().envMap());
    }

    @Test
    void socketActivationsVariablesNeverReachAWorker() {
        Map<String, String> runner = new java.util.HashMap<>(RUNNER_ENV);
        runner.putAll(Map.of("LISTEN_PID", "1", "LISTEN_FDS", "1", "LISTEN_FDNAMES", "http"));
        Map<String, String> env = WorkerEnvironment.of(runner, new LaunchSpec(1, 1, List.of("x"), "", Map.of(), EnvInherit.ALL, java.util.Optional.empty()), 1);
        assertEquals(new TreeMap<>(RUNNER_ENV), new TreeMap<>(env));
    }

    @Test
    void withInheritNoneTheWorkerGetsOnlyEnvAndPort() throws Exception {
        Run run = run(echo(), Map.of("EXTRA", "1"), EnvInherit.NONE);
        assertEquals(Map.of("EXTRA", "1", "PORT", String.valueOf(run.port())), run.echo().envMap());
    }

    @Test
    void anAllowListPassesExactlyTheNamesAndPrefixesListedAndNoSecret() throws Exception {
        Run run = run(echo(), Map.of(), new EnvInherit(List.of("PATH", "LC_*", "NOT_SET")));
        assertEquals(Map.of("PATH", RUNNER_ENV.get("PATH"), "LC_TIME", "C", "PORT", String.valueOf(run.port())),
                run.echo().envMap());
    }

    @Test
    void thePortVariableWinsOverAnEnvEntryOfTheSameName() throws Exception {
        Run run = run(echo(), Map.of("PORT", "1"), EnvInherit.ALL);
        assertEquals(String.valueOf(run.port()), run.echo().envMap().get("PORT"));
    }

    @Test
    void aBareCommandIsFoundOnTheRunnersPathThoughTheWorkerGetsNoPath() throws Exception {
        // env(1) prints its environment: nothing but PORT, and it was found without a PATH of its own.
        Run run = run(List.of("env"), Map.of(), EnvInherit.NONE);
        assertEquals(List.of("PORT=" + run.port()), run.lines());
    }

    @Test
    void theWorkingDirectoryIsTheRunnersAndStdinIsDevNull() throws Exception {
        Echo echo = run(echo(), Map.of(), EnvInherit.ALL).echo();
        assertEquals(Path.of("").toAbsolutePath().toRealPath().toString(), echo.cwd());
        assertEquals("/dev/null", echo.stdin());
    }

    @Test
    void theWorkerInheritsNoFileDescriptorOfTheRunnerButItsThreeStreams() throws Exception {
        LaunchSpec spec = new LaunchSpec(1, 1, List.of("sleep", "30"), "PORT", Map.of(), Optional.empty());
        WorkerProcess worker = launcher.launch(spec).toCompletableFuture().get(30, TimeUnit.SECONDS);
        reaper.register(worker.pid());
        Path fds = Path.of("/proc", String.valueOf(worker.pid()), "fd");
        // Until setsid and setpriv have exec'd sleep, the fds seen may be theirs.
        assertTrue(Processes.poll(() -> {
            try {
                return Processes.cmdline(worker.pid()).get(0).endsWith("sleep");
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(10)), "sleep did not start");
        // sleep itself opens files while it starts (glibc reads /etc/locale.alias): an inherited
        // descriptor stays for good, those come and go. So: the three streams alone, by a deadline.
        Map<String, String> open = new HashMap<>();
        Processes.poll(() -> {
            open.clear();
            try (var list = Files.list(fds)) {
                for (Path fd : list.toList()) open.put(fd.getFileName().toString(), Files.readSymbolicLink(fd).toString());
            } catch (IOException gone) {
                return false; // a descriptor closed while read: look again
            }
            return open.keySet().equals(Set.of("0", "1", "2"));
        }, Duration.ofSeconds(10));
        assertEquals(Set.of("0", "1", "2"), open.keySet(), open.toString());
        assertEquals("/dev/null", open.get("0"));
        assertTrue(open.get("1").startsWith("pipe:") && open.get("2").startsWith("pipe:"), open.toString());
        assertEquals("", open.entrySet().stream().filter(e -> e.getValue().startsWith("socket:"))
                .map(Map.Entry::getKey).collect(Collectors.joining()), "no socket (the public port, the control socket)");
    }

    @Test
    void theWorkerStartsWithNoSignalBlockedSoAKillQuitReachesIt() throws Exception {
        // Where env has --default-signal (coreutils 8.31+; this machine's Debian 12 has 9.1).
        Process probe = new ProcessBuilder("env", "--default-signal=QUIT", "true").start();
        assumeTrue(probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0, "env without --default-signal");
        assertTrue(LaunchWrapper.unblocksQuit());
        // grep reads its own status: SigBlk is the mask it was exec'd with, a hex set (bit N-1 for signal N).
        Run run = run(List.of("grep", "^SigBlk:", "/proc/self/status"), Map.of(), EnvInherit.NONE);
        assertEquals(1, run.lines().size(), run.lines().toString());
        long blocked = Long.parseUnsignedLong(run.lines().get(0).substring("SigBlk:".length()).trim(), 16);
        assertEquals(0, blocked, "no signal blocked, SIGQUIT (bit 2) included: " + run.lines());
    }
}
