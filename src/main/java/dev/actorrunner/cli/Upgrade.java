package dev.actorrunner.cli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.config.RunnerSettings;
import dev.actorrunner.control.FleetControl;
import dev.actorrunner.control.SocketPaths;
import dev.actorrunner.control.UpgradeControl;
import dev.actorrunner.front.Front;
import io.netty.channel.unix.FileDescriptor;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code actor-runner upgrade} and SIGUSR2, in the running runner: starts the next runner with
 * this one's command line (or another runner jar), hands it the listening sockets
 * ({@link Handover}) and waits. Once the next one says its workers are ready and it accepts, this
 * one stops accepting, gives up its control socket path and metrics port, lets its HTTP clients go
 * ({@link Front#lastCall}: each next response says {@code Connection: close}), and stops as on
 * SIGTERM: its workers drain and exit. A next runner that exits, says it failed, or is not ready
 * within the deadline is stopped, and this one, which never stopped accepting, serves on.
 *
 * <p>Runs on the threads of the handover's event loop and of the futures, never an actor's. One
 * upgrade at a time; {@code upgrading} (shared with the reloads) refuses a reload meanwhile.
 */
final class Upgrade implements UpgradeControl {
    private static final Logger log = LoggerFactory.getLogger(Upgrade.class);

    /** Why an upgrade ends when the runner that started it stopped first (SIGTERM, {@code stop}). */
    private static final String STOPPED = "this runner stopped";

    /** Beyond the app's own ready-timeout and warm-up: the next runner's JVM and Akka start. */
    static final Duration START_ALLOWANCE = Duration.ofSeconds(60);

    private final RunnerSettings settings;
    private final Front front;
    private final HostServices services;
    private final ActorSystem<?> system;
    private final ActorRef<ActorRunner.Command> runner;
    private final Runnable leaveFleet;
    private final Map<String, String> env;
    private final AtomicBoolean upgrading;
    /** Where an upgrade's blocking steps run (a bind, a fork, a commit): never a signal's, an event loop's or an actor's thread. */
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "actor-runner-upgrade");
        t.setDaemon(true);
        return t;
    });
    /** The upgrade under way (null when none is); its end is decided once, by {@link Attempt#ended}. */
    private volatile Attempt current;

    Upgrade(RunnerSettings settings, Front front, HostServices services, ActorSystem<?> system,
            ActorRef<ActorRunner.Command> runner, Runnable leaveFleet, Map<String, String> env, AtomicBoolean upgrading) {
        this.settings = settings;
        this.front = front;
        this.services = services;
        this.system = system;
        this.runner = runner;
        this.leaveFleet = leaveFleet;
        this.env = env;
        this.upgrading = upgrading;
    }

    /** One upgrade: the next runner's process, the handover, and whether it ended (failed or committed). */
    private final class Attempt {
        final Process child;
        final Handover.Giver giver;
        final AtomicBoolean ended = new AtomicBoolean();
        final CompletableFuture<FleetControl.Reply> outcome = new CompletableFuture<>();
        volatile boolean committed;

        Attempt(Process child, Handover.Giver giver) {
            this.child = child;
            this.giver = giver;
        }
    }

    @Override
    public CompletionStage<FleetControl.Reply> upgrade(Map<String, Object> request, Consumer<String> progress) {
        return CompletableFuture.supplyAsync(() -> begin(request, progress), thread).thenCompose(s -> s);
    }

    private CompletionStage<FleetControl.Reply> begin(Map<String, Object> request, Consumer<String> progress) {
        boolean await = Boolean.TRUE.equals(request.get("wait"));
        Optional<Path> jar = Optional.ofNullable((String) request.get("runner-jar")).map(Path::of);
        if (!upgrading.compareAndSet(false, true)) {
            return done(ExitCodes.USAGE, "refused: an upgrade or the takeover of one is under way");
        }
        List<String> command;
        Handover.Giver giver = null;
        Process child;
        try {
            refuseWhereItCannotWork();
            command = nextCommand(ownCommandLine(), jar);
            List<FileDescriptor> sockets = front.listeningSockets();
            if (sockets.isEmpty()) throw new Handover.Failed("refused: the public sockets cannot be handed over with"
                    + " transport " + settings.transport().name().toLowerCase(java.util.Locale.ROOT) + " (epoll can)");
            Path path = SocketPaths.handoverPath(ProcessHandle.current().pid(), env);
            try {
                SocketPaths.preparePrivateDir(path, env);
            } catch (IOException e) {
                throw new Handover.Failed("refused: " + e.getMessage());
            }
            giver = Handover.Giver.listen(path, sockets);
            child = start(command, giver.path(), sockets.size());
        } catch (Handover.Failed e) {
            if (giver != null) giver.close();
            upgrading.set(false);
            log.warn("upgrade {}", e.getMessage());
            return done(e.getMessage().startsWith("refused") ? ExitCodes.USAGE : ControlCommands.FAILED, e.getMessage());
        } catch (IOException e) {
            giver.close(); // start() failed: listen() succeeded
            upgrading.set(false);
            log.warn("upgrade failed: cannot start the next runner: {}", e.getMessage());
            return done(ControlCommands.FAILED, "failed: cannot start the next runner: " + e.getMessage());
        }
        Attempt attempt = new Attempt(child, giver);
        current = attempt;
        giver.expect(child.pid());
        log.info("upgrade: started the next runner, pid {}: {}", child.pid(), String.join(" ", command));
        progress.accept("started the next runner, pid " + child.pid() + "; it serves once its workers are ready");
        Duration deadline = settings.readyTimeout().plus(settings.warmup().deadline()).plus(START_ALLOWANCE);
        child.onExit().thenAcceptAsync(p -> fail(attempt, "the next runner (pid " + p.pid() + ") exited with code "
                + p.exitValue() + explain(p.exitValue()) + " before it was ready"), thread);
        CompletableFuture.delayedExecutor(deadline.toMillis(), TimeUnit.MILLISECONDS, thread)
                .execute(() -> fail(attempt, "the next runner was not ready within " + deadline.toSeconds() + "s"));
        giver.ready().whenCompleteAsync((ok, failure) -> {
            if (failure != null) {
                fail(attempt, failure instanceof Handover.Failed ? failure.getMessage() : failure.toString());
            } else {
                // A runner that is stopping meanwhile (SIGTERM) keeps to its stop: the upgrade is given up.
                AskPattern.ask(runner, ActorRunner.GetStatus::new, Duration.ofSeconds(5), system.scheduler())
                        .whenCompleteAsync((status, noAnswer) -> {
                            if (status == null || status.stopping()) fail(attempt, STOPPED);
                            else commit(attempt);
                        }, thread);
            }
        }, thread);
        if (!await) {
            return done(ExitCodes.OK, "upgrade started: the next runner is pid " + child.pid()
                    + " (actor-runner upgrade --wait follows it; the log says how it ends)");
        }
        return attempt.outcome;
    }

    /** The upgrade is given up: the next runner is told and stopped; this one, which never stopped accepting, serves on. */
    private void fail(Attempt attempt, String why) {
        if (!attempt.ended.compareAndSet(false, true)) return;
        long me = ProcessHandle.current().pid();
        boolean stopping = why.equals(STOPPED);
        log.warn("upgrade failed: {}; {}", why, stopping ? "the next runner (pid " + attempt.child.pid() + ") is stopped too"
                : "this runner (pid " + me + ") serves on");
        attempt.giver.abort();
        stopNext(attempt.child);
        attempt.giver.close();
        current = null;
        upgrading.set(false);
        attempt.outcome.complete(new FleetControl.Reply(ControlCommands.FAILED, "upgrade failed: " + why
                + (stopping ? "" : "; the runner (pid " + me + ") serves on"), Map.of("pid", me)));
    }

    /**
     * The next runner is ready and accepts: this one commits. RELEASED first (the next one takes
     * the control socket path, the pid file and, told by this one, systemd's main pid), then this
     * one stops accepting, lets its clients go, leaves the fleet and stops its workers as on SIGTERM.
     */
    private void commit(Attempt attempt) {
        if (!attempt.ended.compareAndSet(false, true)) return;
        attempt.committed = true;
        long me = ProcessHandle.current().pid();
        long next = attempt.child.pid();
        // This runner is still the unit's main process: systemd takes MAINPID= from it whatever
        // NotifyAccess says, and must have it before the next runner's own message (refused from a
        // process that is not the main one yet).
        if (SystemdNotify.expected(env)) SystemdNotify.send(env, "MAINPID=" + next + "\n");
        attempt.giver.release();
        CompletableFuture<Void> clientsGone = front.lastCall(); // stops accepting: the next runner's queue now
        services.handOver();
        log.info("upgrade: the runner pid {} is ready and accepts; this one stopped accepting, lets its clients go"
                + " and stops (within drain-timeout {}s)", next, settings.drainTimeout().toSeconds());
        attempt.outcome.complete(new FleetControl.Reply(ExitCodes.OK, "upgraded: the runner pid " + next
                + " serves now; pid " + me + " lets its clients go and stops (within drain-timeout "
                + settings.drainTimeout().toSeconds() + "s)", Map.of("pid", next, "from", me)));
        leaveFleet.run();
        clientsGone.orTimeout(settings.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, timedOut) -> {
                    if (timedOut != null) {
                        log.warn("upgrade: {} client connection(s) still open after drain-timeout; stopping",
                                front.clientConnections());
                    }
                    runner.tell(ActorRunner.StopAll.INSTANCE);
                });
    }

    /** The next runner, if still alive, is stopped: SIGTERM (its graceful stop), SIGKILL after kill-timeout. */
    private void stopNext(Process child) {
        if (!child.isAlive()) return;
        child.destroy();
        child.onExit().orTimeout(settings.killTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .exceptionally(timedOut -> {
                    child.descendants().forEach(ProcessHandle::destroyForcibly);
                    child.destroyForcibly();
                    return child;
                });
    }

    /**
     * After this runner stopped (any way), on the CLI's thread before the JVM exits: an upgrade
     * that did not commit is given up, and its next runner is stopped and waited for (up to
     * kill-timeout, then SIGKILL), so that it does not outlive this one; the handover socket goes.
     */
    void abandon() {
        Attempt attempt = current;
        if (attempt == null) return;
        if (!attempt.committed) {
            fail(attempt, STOPPED);
            try {
                attempt.child.onExit().get(settings.killTimeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                attempt.child.descendants().forEach(ProcessHandle::destroyForcibly);
                attempt.child.destroyForcibly();
            }
        }
        attempt.giver.close();
        thread.shutdown();
    }

    /**
     * Where the runner before's exit ends everything, an upgrade would only stop the service:
     * tini (a container's PID 1) exits with its child; systemd stops a service whose main
     * process exits unless the new one says it is the main one now (Type=notify).
     */
    private void refuseWhereItCannotWork() throws Handover.Failed {
        if (ProcessHandle.current().pid() == 1) {
            throw new Handover.Failed("refused: this runner is PID 1 (of a container): when it exits, every process"
                    + " of the container ends, the next runner too: replace the container instead");
        }
        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(0L);
        String init = initName();
        if (parent == 1 && !init.equals("systemd") && !init.equals("init")) {
            throw new Handover.Failed("refused: this runner is the child of " + init + " (PID 1, a container's init),"
                    + " which ends the container when its child exits: replace the container instead (docker/README.md)");
        }
        if (env.containsKey("INVOCATION_ID") && !SystemdNotify.expected(env)) {
            throw new Handover.Failed("refused: under systemd the main pid changes: the unit needs Type=notify"
                    + " (conf/actor-runner.service), or systemd stops the service when this runner exits");
        }
    }

    /** PID 1's command name (tini, docker-init, dumb-init, systemd, ...); "init" if it cannot be read. */
    private static String initName() {
        try {
            return Files.readString(Path.of("/proc/1/comm")).strip();
        } catch (IOException | RuntimeException e) {
            return "init";
        }
    }

    /**
     * This process's argv as the kernel has it (/proc/self/cmdline; ProcessHandle.Info gives up
     * on long ones, such as a long class path), with argv[0] made the java binary's full path.
     */
    static List<String> ownCommandLine() throws Handover.Failed {
        byte[] raw;
        try {
            raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        } catch (IOException e) {
            throw new Handover.Failed("refused: this runner's command line cannot be read (/proc/self/cmdline: "
                    + e.getMessage() + ")");
        }
        List<String> argv = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                argv.add(new String(raw, start, i - start, java.nio.charset.StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (argv.isEmpty()) throw new Handover.Failed("refused: this runner's command line is empty (/proc/self/cmdline)");
        // This JVM's launcher by its path, not argv[0] (a bare "java" looked up on PATH) nor /proc/self/exe
        // (after a JDK package update: ".../bin/java (deleted)"): the JDK at that path now, updated or not.
        argv.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return argv;
    }

    /** The next runner's command line: this one's, with another runner jar after {@code -jar} if one is given. */
    static List<String> nextCommand(List<String> self, Optional<Path> runnerJar) throws Handover.Failed {
        List<String> command = new ArrayList<>(self);
        if (runnerJar.isPresent()) {
            int at = command.indexOf("-jar");
            if (at < 0 || at + 1 >= command.size()) {
                throw new Handover.Failed("refused: --runner-jar: this runner was not started with java -jar");
            }
            Path jar = runnerJar.get().toAbsolutePath();
            if (!Files.isRegularFile(jar)) throw new Handover.Failed("refused: --runner-jar " + jar + ": no such file");
            command.set(at + 1, jar.toString());
        }
        return command;
    }

    /**
     * Starts the next runner: in this one's working directory, with its environment and the
     * handover's variables, and with its standard streams, not pipes to this process: it outlives
     * this one, and its log must go where this one's went.
     */
    private Process start(List<String> command, Path handover, int sockets) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(new File(System.getProperty("user.dir")))
                .redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> childEnv = pb.environment();
        childEnv.keySet().removeIf(name -> name.startsWith("LISTEN_")); // systemd's fds are handed over here
        childEnv.put(Handover.SOCKET_ENV, handover.toString());
        childEnv.put(Handover.FDS_ENV, String.valueOf(sockets));
        childEnv.put(Handover.FROM_ENV, String.valueOf(ProcessHandle.current().pid()));
        return pb.start();
    }

    private static String explain(int code) {
        return switch (code) {
            case ExitCodes.USAGE -> " (a usage or configuration error: its output above says which)";
            case ExitCodes.BOOT_FAILED -> " (the app failed to boot)";
            default -> "";
        };
    }

    private static CompletionStage<FleetControl.Reply> done(int code, String message) {
        return CompletableFuture.completedFuture(new FleetControl.Reply(code, message, Map.of()));
    }
}
