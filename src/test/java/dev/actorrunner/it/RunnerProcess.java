package dev.actorrunner.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real runner JVM under test, started as a user would (from the test class path or the built
 * jar). It reads the runner's output as it comes and keeps the routing view the log describes:
 * which workers are listening on which port and which have left rotation. {@link #close()} kills
 * the runner and everything below it.
 */
final class RunnerProcess implements AutoCloseable {
    static final Pattern LISTENING = Pattern.compile(
            "worker (\\d+) \\(pid (\\d+), gen (\\d+)\\) listening on 127\\.0\\.0\\.1:(\\d+)");
    static final Pattern LEAVES = Pattern.compile("worker (\\d+) \\(pid (\\d+), gen (\\d+)\\) leaves rotation");
    static final Pattern FRONT = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) for clients");
    /** A crash: the worker is gone from rotation without having been asked to leave. */
    static final Pattern EXITED = Pattern.compile("worker (\\d+) \\(pid (\\d+), gen (\\d+)\\) exited");

    /** A worker as the log announced it. */
    record Worker(int id, long pid, int generation, int port) {}

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Map<Integer, Worker> listening = new ConcurrentHashMap<>();
    private final Set<Integer> left = ConcurrentHashMap.newKeySet();
    private final List<Worker> everListening = new CopyOnWriteArrayList<>();
    private final Set<Long> seenPids = ConcurrentHashMap.newKeySet();
    private final Thread reader;
    private final Predicate<String> keep;
    private final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();
    /** Null when stderr is merged into stdout (then its lines are in {@link #lines()}). */
    private final Thread errReader;
    private final List<String> errLines = new CopyOnWriteArrayList<>();
    private volatile int publicPort = -1;

    private RunnerProcess(Process process) {
        this(process, false, line -> true);
    }

    private RunnerProcess(Process process, boolean stderrApart) {
        this(process, stderrApart, line -> true);
    }

    private RunnerProcess(Process process, boolean stderrApart, Predicate<String> keep) {
        this.process = process;
        this.keep = keep;
        this.reader = new Thread(this::readOutput, "runner-output");
        reader.setDaemon(true);
        reader.start();
        if (stderrApart) {
            errReader = new Thread(this::readErrors, "runner-stderr");
            errReader.setDaemon(true);
            errReader.start();
        } else {
            errReader = null;
        }
    }

    /** java -cp TEST_CLASSPATH dev.actorrunner.cli.Main ARGS. */
    static RunnerProcess start(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), "dev.actorrunner.cli.Main"));
        cmd.addAll(ownWorkerPorts(args));
        cmd.addAll(args);
        return launch(cmd);
    }

    /**
     * A block of 100 worker ports of the default range, picked at random, unless the test chose:
     * two test runs on one machine (a developer's and a helper's) then rarely meet on a port.
     * With the default range for all, a worker of one run found its port taken by the other's.
     */
    private static List<String> ownWorkerPorts(List<String> args) {
        List<String> options = new ArrayList<>();
        if (!args.contains("--worker-ports")) {
            int from = 20000 + 100 * java.util.concurrent.ThreadLocalRandom.current().nextInt(100);
            options.addAll(List.of("--worker-ports", from + "-" + (from + 99)));
        }
        // Slow start makes every reload wait out each new worker's ramp (10 s by default): tests that
        // are not about it run without, and SlowStartIT runs with it.
        if (args.stream().noneMatch(a -> a.startsWith("--slow-start"))) options.addAll(List.of("--slow-start", "0s"));
        return options;
    }

    /**
     * As {@link #start(List)}, with JVM options of the runner's own (before the main class) and
     * changes to its environment (a null value removes the variable).
     */
    static RunnerProcess start(List<String> jvmOptions, List<String> args, Map<String, String> env) throws IOException {
        return start(jvmOptions, args, env, line -> true);
    }

    /**
     * As {@link #start(List, List, Map)}; lines that {@code keep} rejects are only counted
     * ({@link #dropped()}), so a worker that floods its output does not fill the test's heap.
     */
    static RunnerProcess start(List<String> jvmOptions, List<String> args, Map<String, String> env,
                               Predicate<String> keep) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx256m"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.actorrunner.cli.Main"));
        cmd.addAll(ownWorkerPorts(args));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k); else pb.environment().put(k, v);
        });
        return new RunnerProcess(pb.start(), false, keep);
    }

    /**
     * The runner as a terminal shows it: stdout (its log) in {@link #lines()}, stderr (usage
     * errors) apart in {@link #errLines()}. {@code prefix} comes before java (e.g. setpriv, to run
     * as another user, who must be able to read {@code classPath} and {@code workDir}).
     */
    static RunnerProcess startApart(List<String> prefix, String classPath, List<String> args, Path workDir)
            throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        // No hsperfdata file: another user may not be able to write the usual one.
        cmd.addAll(List.of(javaBin(), "-Xmx256m", "-XX:-UsePerfData", "-cp", classPath, "dev.actorrunner.cli.Main"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return new RunnerProcess(pb.start(), true);
    }

    /** java -jar target/actor-runner.jar ARGS. */
    static RunnerProcess startJar(Path jar, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx256m", "-jar", jar.toString()));
        cmd.addAll(ownWorkerPorts(args));
        cmd.addAll(args);
        return launch(cmd);
    }

    /**
     * bin/actor-runner ARGS: the launcher, as the systemd unit and the container image run it (it
     * execs java with the shipped JVM flags). Its log in {@link #lines()}, stderr apart in
     * {@link #errLines()}; {@code env} changes the environment (a null value removes a variable).
     */
    static RunnerProcess startLauncher(Path launcher, List<String> args, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(ownWorkerPorts(args));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k); else pb.environment().put(k, v);
        });
        return new RunnerProcess(pb.start(), true);
    }

    /**
     * {@code prefix} (a command that execs the rest, such as systemd-socket-activate) then
     * java -jar JAR ARGS, with the runner's own worker ports; output merged in {@link #lines()}.
     */
    static RunnerProcess startJarUnder(List<String> prefix, Path jar, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(javaBin(), "-Xmx256m", "-jar", jar.toString()));
        cmd.addAll(ownWorkerPorts(args));
        cmd.addAll(args);
        return launch(cmd);
    }

    private static RunnerProcess launch(List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return new RunnerProcess(pb.start());
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The argv of a fixture app, run by the runner as `-- java -cp CP FixtureApp MODE...`. */
    static List<String> fixture(String... modeAndArgs) {
        List<String> cmd = javaApp("dev.actorrunner.fixtures.FixtureApp");
        cmd.addAll(List.of(modeAndArgs));
        return cmd;
    }

    /** The argv of the demo app that ships with the runner: `-- java -cp CP HelloServer`. */
    static List<String> demo() {
        return javaApp("dev.actorrunner.demo.HelloServer");
    }

    private static List<String> javaApp(String mainClass) {
        return new ArrayList<>(List.of("--", javaBin(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), mainClass));
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    Worker w = new Worker(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)),
                            Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)));
                    listening.put(w.id(), w);
                    everListening.add(w);
                    seenPids.add(w.pid());
                }
                Matcher l = LEAVES.matcher(line);
                if (l.find()) {
                    left.add(Integer.parseInt(l.group(1)));
                    listening.remove(Integer.parseInt(l.group(1)));
                }
                Matcher f = FRONT.matcher(line);
                if (f.find()) publicPort = Integer.parseInt(f.group(1));
                Matcher x = EXITED.matcher(line);
                if (x.find()) listening.remove(Integer.parseInt(x.group(1)));
                if (keep.test(line)) lines.add(line); else dropped.incrementAndGet();
            }
        } catch (IOException ignored) {
            // the runner is gone; the lines read so far stay
        }
    }

    private void readErrors() {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) errLines.add(line);
        } catch (IOException ignored) {
            // the runner is gone; the lines read so far stay
        }
    }

    /** What the runner printed on stderr; empty when it was merged into {@link #lines()}. */
    List<String> errLines() {
        return List.copyOf(errLines);
    }

    /** The public port the runner bound (the tests ask for port 0: any free one). */
    int publicPort(Duration timeout) {
        await(() -> publicPort > 0, timeout, "the public port to be bound");
        return publicPort;
    }

    /** Lines read but not kept (see {@link #start(List, List, Map, Predicate)}). */
    long dropped() {
        return dropped.get();
    }

    long pid() {
        return process.pid();
    }

    /** Workers the log shows as in rotation now. */
    List<Worker> inRotation() {
        return List.copyOf(listening.values());
    }

    List<Worker> everListening() {
        return List.copyOf(everListening);
    }

    boolean hasLeft(int workerId) {
        return left.contains(workerId);
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    String output() {
        return String.join("\n", lines);
    }

    /** Waits until {@code n} workers are in rotation; returns them. */
    List<Worker> awaitInRotation(int n, Duration timeout) {
        await(() -> listening.size() >= n, timeout, "waiting for " + n + " workers in rotation");
        return inRotation();
    }

    void awaitLine(Predicate<String> p, Duration timeout, String what) {
        await(() -> lines.stream().anyMatch(p), timeout, what);
    }

    void await(java.util.function.BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline || (!process.isAlive() && !condition.getAsBoolean()
                    && !reader.isAlive())) {
                throw new AssertionError(what + ": not within " + timeout + "; runner output:\n" + output());
            }
            pause();
        }
    }

    static void pause() {
        try {
            Thread.sleep(20); // polling interval of a condition wait, not a wait for an outcome
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
        if (kill.waitFor() != 0) throw new AssertionError("kill -" + name + " failed");
    }

    /** Waits for the runner to exit; returns its exit code and the output read to the end. */
    int awaitExit(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("runner still running after " + timeout + "; output:\n" + output());
        }
        reader.join(timeout.toMillis());
        if (errReader != null) errReader.join(timeout.toMillis());
        return process.exitValue();
    }

    /** Every pid below the runner right now (workers and what they started). */
    List<Long> descendants() {
        return process.toHandle().descendants().map(ProcessHandle::pid).toList();
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    static void awaitDead(List<Long> pids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pids.stream().anyMatch(RunnerProcess::alive)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still alive after " + timeout + ": "
                        + pids.stream().filter(RunnerProcess::alive).toList());
            }
            pause();
        }
    }

    /** Kills the runner and every process below it, whatever state the test left them in. */
    @Override
    public void close() {
        List<ProcessHandle> below = process.toHandle().descendants().toList();
        process.destroyForcibly();
        below.forEach(ProcessHandle::destroyForcibly);
        Stream.concat(below.stream().map(ProcessHandle::pid), seenPids.stream())
                .forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
}
