package dev.actorrunner.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actorrunner.fixtures.Reaper;
import dev.actorrunner.fixtures.TestJars;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad input against a real runner JVM, the packaged jar run as a user would: exit code 2, one line
 * on stderr, and nothing started (no Master, no worker process, the worker's marker file never
 * written). MainTest has every case in-process; these prove the whole chain, and the cases only a
 * real process shows: an address refused at bind time, and, run as nobody (through setpriv, so only
 * when the tests run as root), an unreadable app or config file and a privileged port.
 *
 * <p>nobody cannot read the build's class path (~/.m2 is root's), so the jar and every file the
 * runner reads are copied to a directory of mode 755 under /tmp.
 */
class BadInputIT {
    private static final Path JAR = Path.of(System.getProperty("actorrunner.jar", "target/actor-runner.jar"));
    /** A JVM start on a loaded 2-core machine, and at most one 10 s host name lookup. */
    private static final Duration EXIT = Duration.ofSeconds(60);
    /** setpriv execs java in place, so the runner keeps the pid the test knows. nobody:nogroup. */
    private static final List<String> AS_NOBODY =
            List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--");

    private static Path shared;
    private static Path runnerJar;
    @RegisterExtension
    final Reaper reaper = new Reaper();

    @BeforeAll
    static void copyTheJarWhereNobodyCanReadIt() throws IOException {
        assertTrue(Files.isRegularFile(JAR), JAR + ": build it first (mvn package; failsafe runs after it)");
        shared = Files.createTempDirectory(Path.of("/tmp"), "actor-runner-badinput-");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        runnerJar = Files.copy(JAR, shared.resolve("actor-runner.jar"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(runnerJar, PosixFilePermissions.fromString("rw-r--r--"));
        // The worker's marker goes here: whoever the runner runs as could write it.
        Path markers = Files.createDirectory(shared.resolve("markers"));
        Files.setPosixFilePermissions(markers, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterAll
    static void removeTheCopy() throws IOException {
        if (shared == null) return;
        try (Stream<Path> files = Files.walk(shared)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** The worker every case would start, were the input good: it leaves a marker and says so. */
    private static List<String> worker(String name) {
        return List.of("--", "sh", "-c", "touch " + marker(name) + "; echo worker started");
    }

    private static Path marker(String name) {
        return shared.resolve("markers").resolve(name);
    }

    private RunnerProcess runner(List<String> prefix, List<String> args) throws IOException {
        RunnerProcess r = RunnerProcess.startApart(prefix, runnerJar.toString(), args, shared);
        reaper.closeLater(r);
        return r;
    }

    private static void assumeRootWithSetpriv() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run the runner as nobody");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
    }

    /**
     * Waits (bounded) for the runner to exit, noting every process below it meanwhile, then checks
     * what a bad input must come to: one line on stderr, nothing at all on stdout (a port that
     * cannot be bound included: the runner logs its start only once its ports are bound), no
     * process. {@code marker}: the worker's, or null for an app jar.
     */
    private static String assertRefused(RunnerProcess r, String marker) throws Exception {
        Set<Long> below = new HashSet<>();
        long deadline = System.nanoTime() + EXIT.toNanos();
        while (RunnerProcess.alive(r.pid()) && System.nanoTime() < deadline) {
            below.addAll(r.descendants());
            RunnerProcess.pause();
        }
        assertEquals(2, r.awaitExit(Duration.ofSeconds(5)), r.output() + "\n" + r.errLines());
        String stderr = String.join("\n", r.errLines());
        assertEquals(1, r.errLines().size(), stderr);
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("actor-runner: "), line);
        assertFalse(stderr.contains("Exception") || stderr.contains("\tat "), stderr);
        assertEquals(List.of(), r.lines(), "nothing logged: refused before the runner starts");
        assertTrue(r.lines().stream().noneMatch(l -> l.contains("worker started") || l.contains("Master")), r.output());
        assertEquals(Set.of(), below, "no worker process");
        if (marker != null) assertFalse(Files.exists(marker(marker)), "the worker never ran");
        return line;
    }

    @Test
    void aBadFlagIsRefusedBeforeLoggingAkkaOrAnyWorkerStart() throws Exception {
        RunnerProcess r = runner(List.of(), concat(List.of("-p", "0", "-w", "abc"), worker("flag")));
        assertEquals("actor-runner: --workers: expected a number or \"auto\", got \"abc\"",
                assertRefused(r, "flag"));
    }

    @Test
    void anAppThatIsNotAJarIsRefused() throws Exception {
        Path text = Files.writeString(shared.resolve("text.jar"), "not really a jar");
        RunnerProcess r = runner(List.of(), List.of("-p", "0", text.toString()));
        assertEquals("actor-runner: app: " + text + ": not a jar (not a zip file)", assertRefused(r, null));
    }

    @Test
    void aConfigFileThatDoesNotParseIsOneLineWithFileAndLine() throws Exception {
        Path conf = Files.writeString(shared.resolve("broken.conf"), "actor-runner {\n  workers = 2\n  port =\n");
        RunnerProcess r = runner(List.of(), concat(List.of("-c", conf.toString()), worker("syntax")));
        assertEquals("actor-runner: config: " + conf + ": 4: Expecting a value but got wrong token: end of file",
                assertRefused(r, "syntax"));
    }

    /** 192.0.2.1 is TEST-NET-1 (RFC 5737): well-formed, and never an address of this machine. */
    @Test
    void anAddressNotOnThisMachineIsRefusedAtBindTime() throws Exception {
        assumeTrue(NetworkInterface.getByInetAddress(InetAddress.getByName("192.0.2.1")) == null, "192.0.2.1 is local here");
        RunnerProcess r = runner(List.of(), concat(List.of("-p", "0", "--bind", "192.0.2.1"), worker("notlocal")));
        assertEquals("actor-runner: cannot listen on 192.0.2.1:0: cannot assign requested address (not an address of this machine)",
                assertRefused(r, "notlocal"));
    }

    /** .invalid never resolves (RFC 6761); without an answering DNS server the lookup is given up after 10 s. */
    @Test
    void aHostNameThatDoesNotResolveIsRefusedInBoundedTime() throws Exception {
        RunnerProcess r = runner(List.of(), concat(List.of("-p", "0", "--bind", "no-such-host.invalid"), worker("nohost")));
        String line = assertRefused(r, "nohost");
        assertTrue(line.equals("actor-runner: cannot listen on no-such-host.invalid:0: unknown host")
                || line.equals("actor-runner: cannot listen on no-such-host.invalid:0: host name did not resolve within 10s"), line);
    }

    @Test
    void anAppNobodyMayReadIsRefused() throws Exception {
        assumeRootWithSetpriv();
        Path app = TestJars.withMainClass(shared.resolve("private.jar"), "example.App");
        Files.setPosixFilePermissions(app, PosixFilePermissions.fromString("rw-------"));
        RunnerProcess r = runner(AS_NOBODY, List.of("-p", "0", "--control-socket", "off", app.toString()));
        assertEquals("actor-runner: app: " + app + ": not readable", assertRefused(r, null));
    }

    @Test
    void aConfigFileNobodyMayReadIsRefused() throws Exception {
        assumeRootWithSetpriv();
        Path conf = Files.writeString(shared.resolve("private.conf"), "actor-runner.workers = 1\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        RunnerProcess r = runner(AS_NOBODY, concat(List.of("-p", "0", "-c", conf.toString()), worker("conf")));
        assertEquals("actor-runner: config: " + conf + ": not readable", assertRefused(r, "conf"));
    }

    @Test
    void aPrivilegedPortWithoutTheRightsIsRefusedAtBindTime() throws Exception {
        assumeRootWithSetpriv();
        // Not Files.readString: a sysctl file reports size 0, readString reads one byte, and a read at
        // offset 1 of a sysctl file is end of file, so "1024" comes back as "1".
        int firstFree = Integer.parseInt(
                Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start")).get(0).strip());
        assumeTrue(firstFree > 80, "ip_unprivileged_port_start is " + firstFree + ": anyone may bind port 80 here");
        RunnerProcess r = runner(AS_NOBODY, concat(List.of("-p", "80", "--control-socket", "off"), worker("port80")));
        assertEquals("actor-runner: cannot listen on 127.0.0.1:80: permission denied (ports below 1024 need privileges)",
                assertRefused(r, "port80"));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
