package dev.actorrunner.cli;

import akka.actor.typed.ActorRef;
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

    /** Beyond the app's own ready-timeout and warm-up: the next runner's JVM and Akka start. */
    static final Duration START_ALLOWANCE = Duration.ofSeconds(60);

    private final RunnerSettings settings;
    private final Front front;
    private final HostServices services;
    private final ActorRef<ActorRunner.Command> runner;
    private final Runnable leaveFleet;
    private final Map<String, String> env;
    private final AtomicBoolean upgrading;
    private volatile Process next;
    /** Set once the next runner took over: from then on it is the runner, and outlives this one. */
    private volatile boolean handedOver;

    Upgrade(RunnerSettings settings, Front front, HostServices services, ActorRef<ActorRunner.Command> runner,
            Runnable leaveFleet, Map<String, String> env, AtomicBoolean upgrading) {
        this.settings = settings;
        this.front = front;
        this.services = services;
        this.runner = runner;
        this.leaveFleet = leaveFleet;
        this.env = env;
        this.upgrading = upgrading;
    }

    @Override
    public CompletionStage<FleetControl.Reply> upgrade(Map<String, Object> request, Consumer<String> progress) {
        boolean await = Boolean.TRUE.equals(request.get("wait"));
        Optional<Path> jar = Optional.ofNullable((String) request.get("runner-jar")).map(Path::of);
        if (!upgrading.compareAndSet(false, true)) {
            return done(ExitCodes.USAGE, "refused: an upgrade or the takeover of one is under way");
        }
        List<String> command;
        Handover.Giver giver;
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
            next = start(command, giver.path(), sockets.size());
        } catch (Handover.Failed e) {
            upgrading.set(false);
            log.warn("upgrade {}", e.getMessage());
            return done(e.getMessage().startsWith("refused") ? ExitCodes.USAGE : ControlCommands.FAILED, e.getMessage());
        } catch (IOException e) {
            upgrading.set(false);
            log.warn("upgrade failed: cannot start the next runner: {}", e.getMessage());
            return done(ControlCommands.FAILED, "failed: cannot start the next runner: " + e.getMessage());
        }
        Process child = next;
        giver.expect(child.pid());
        long me = ProcessHandle.current().pid();
        log.info("upgrade: started the next runner, pid {}: {}", child.pid(), String.join(" ", command));
        progress.accept("started the next runner, pid " + child.pid() + "; it serves once its workers are ready");
        CompletableFuture<FleetControl.Reply> outcome = new CompletableFuture<>();
        AtomicBoolean ended = new AtomicBoolean();
        Duration deadline = settings.readyTimeout().plus(settings.warmup().deadline()).plus(START_ALLOWANCE);
        Consumer<String> fail = why -> {
            if (!ended.compareAndSet(false, true)) return;
            log.warn("upgrade failed: {}; this runner (pid {}) serves on", why, me);
            stopNext(child);
            giver.close();
            upgrading.set(false);
            outcome.complete(new FleetControl.Reply(ControlCommands.FAILED, "upgrade failed: " + why
                    + "; the runner (pid " + me + ") serves on", Map.of("pid", me)));
        };
        child.onExit().thenAccept(p -> fail.accept("the next runner (pid " + p.pid() + ") exited with code "
                + p.exitValue() + explain(p.exitValue()) + " before it was ready"));
        CompletableFuture.delayedExecutor(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .execute(() -> fail.accept("the next runner was not ready within " + deadline.toSeconds() + "s"));
        giver.ready().whenCompleteAsync((ok, failure) -> { // off the handover's event loop: closing it waits for it
            if (failure != null) {
                fail.accept(failure instanceof Handover.Failed ? failure.getMessage() : failure.toString());
                return;
            }
            if (!ended.compareAndSet(false, true)) return;
            handedOver = true;
            handedOver(giver, child.pid());
            outcome.complete(new FleetControl.Reply(ExitCodes.OK, "upgraded: the runner pid " + child.pid()
                    + " serves now; pid " + me + " lets its clients go and stops (within drain-timeout "
                    + settings.drainTimeout().toSeconds() + "s)", Map.of("pid", child.pid(), "from", me)));
        });
        if (!await) {
            return done(ExitCodes.OK, "upgrade started: the next runner is pid " + child.pid()
                    + " (actor-runner upgrade --wait follows it; the log says how it ends)");
        }
        return outcome;
    }

    /** The next runner is ready and accepts: this one lets go. */
    private void handedOver(Handover.Giver giver, long nextPid) {
        front.stopAccepting();
        services.handOver();
        leaveFleet.run();
        giver.release();
        log.info("upgrade: the runner pid {} is ready and accepts; this one stopped accepting, lets its clients go"
                + " and stops (within drain-timeout {}s)", nextPid, settings.drainTimeout().toSeconds());
        front.lastCall().orTimeout(settings.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((ok, timedOut) -> {
                    if (timedOut != null) {
                        log.warn("upgrade: {} client connection(s) still open after drain-timeout; stopping",
                                front.clientConnections());
                    }
                    CompletableFuture.runAsync(giver::close);
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

    /** After this runner stopped (any way): a next runner that never took over does not outlive it. */
    void abandon() {
        Process child = next;
        if (child != null && child.isAlive() && upgrading.get() && !handedOver) stopNext(child);
    }

    /**
     * Where the runner before's exit ends everything, an upgrade would only stop the service:
     * tini (a container's PID 1) exits with its child; systemd stops a service whose main
     * process exits unless the new one says it is the main one now (Type=notify).
     */
    private void refuseWhereItCannotWork() throws Handover.Failed {
        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(0L);
        if (parent == 1 && isTini()) {
            throw new Handover.Failed("refused: this runner is the child of tini (a container's PID 1), which ends the"
                    + " container when it exits: replace the container instead (docker/README.md)");
        }
        if (env.containsKey("INVOCATION_ID") && !SystemdNotify.expected(env)) {
            throw new Handover.Failed("refused: under systemd the main pid changes: the unit needs Type=notify and"
                    + " NotifyAccess=all (conf/actor-runner.service), or systemd stops the service when this runner exits");
        }
    }

    private static boolean isTini() {
        try {
            String comm = Files.readString(Path.of("/proc/1/comm")).strip();
            return comm.equals("tini") || comm.equals("docker-init");
        } catch (IOException | RuntimeException e) {
            return false;
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
        // argv[0] may be a bare "java" found on a PATH that the working directory or environment changes.
        ProcessHandle.current().info().command().ifPresent(exe -> argv.set(0, exe));
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
