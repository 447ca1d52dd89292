package dev.actorrunner.process;

import dev.actorrunner.config.RunnerSettings.PortRange;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Starts workers as OS processes, each on a private loopback port, in its own process group, and
 * tied to the runner's life (see {@link LaunchWrapper} and {@link OrphanWatchdog}).
 *
 * <p>Every spawn happens on one dedicated platform thread that lives as long as the launcher. Linux
 * fires the parent-death signal when the <em>thread</em> that spawned a child exits, so a worker
 * spawned from a pool thread that is later retired, or replaced after an exception, would be
 * SIGKILLed for no reason. The thread never runs a task that can throw, so it is never replaced;
 * and it comes from a plain ThreadPoolExecutor, not {@code newSingleThreadExecutor}, whose
 * finalizer would shut the thread down if the launcher were ever garbage collected.
 *
 * <p>{@link #close()} ends that thread and the watchdog: any worker still running is then killed
 * with its group. Close it after the workers have exited.
 */
public final class OsProcessLauncher implements ProcessLauncher {

    /** The default worker port range, below Linux's ephemeral range (32768-60999). */
    public static final PortRange DEFAULT_PORTS = new PortRange(20000, 29999);

    private static final File DEV_NULL = new File("/dev/null");

    private final PortAllocator ports;
    private final Map<String, String> runnerEnv;
    private final ExecutorService spawner = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), ProcessThreads.daemon("actor-runner-spawn"));
    private final OrphanWatchdog watchdog = new OrphanWatchdog(); // its shell starts at the first launch
    private volatile boolean closed;

    public OsProcessLauncher() {
        this(DEFAULT_PORTS);
    }

    /** Takes private ports from {@code workerPorts}; keep it below the kernel's ephemeral range. */
    public OsProcessLauncher(PortRange workerPorts) {
        this(workerPorts, System.getenv());
    }

    /**
     * As {@link #OsProcessLauncher(PortRange)}, with {@code runnerEnv} standing for the runner's
     * own environment (what workers inherit from, and whose PATH finds a bare command name).
     */
    public OsProcessLauncher(PortRange workerPorts, Map<String, String> runnerEnv) {
        this.ports = new PortAllocator(workerPorts);
        this.runnerEnv = Map.copyOf(runnerEnv);
    }

    /**
     * Runs the launch wrapper's one-time checks (a few short processes, see {@link LaunchWrapper})
     * now, beside whatever the caller does next, rather than at the first launch. Optional: the
     * first launch waits for checks still running, or runs them itself.
     */
    public static void prepare() {
        ProcessThreads.EVENTS.execute(LaunchWrapper::setsid);
    }

    @Override
    public CompletionStage<WorkerProcess> launch(LaunchSpec spec) {
        CompletableFuture<WorkerProcess> started = new CompletableFuture<>();
        try {
            // Not supplyAsync: the stage then fails with the LaunchException itself rather than a
            // CompletionException around it. The task catches everything, so the thread survives.
            spawner.execute(() -> {
                try {
                    started.complete(spawn(spec));
                } catch (LaunchException e) {
                    started.completeExceptionally(e);
                } catch (Throwable e) {
                    started.completeExceptionally(new LaunchException(
                            "cannot start \"" + first(spec.command()) + "\": " + e, e));
                }
            });
        } catch (RejectedExecutionException e) {
            started.completeExceptionally(new LaunchException("the process launcher is closed", e));
        }
        return started;
    }

    @Override
    public void close() {
        closed = true;
        spawner.shutdown();
        watchdog.close();
    }

    /** Runs on the spawn thread only. */
    private WorkerProcess spawn(LaunchSpec spec) {
        if (closed) throw new LaunchException("the process launcher is closed", null);
        int port = ports.allocate();
        try {
            ProcessBuilder builder = new ProcessBuilder();
            Map<String, String> env = builder.environment();
            env.clear();
            env.putAll(WorkerEnvironment.of(runnerEnv, spec, port));
            List<String> argv = new ArrayList<>();
            for (String arg : spec.command()) argv.add(arg.replace("{port}", String.valueOf(port)));
            if (argv.isEmpty()) throw new LaunchException("cannot start worker: the command is empty", null);
            // Resolved here, so that the wrapper execs a path and both modes (wrapped or not) run
            // the same file, and so that a worker without PATH still finds its command.
            argv.set(0, Executables.resolve(argv.get(0), WorkerEnvironment.lookupPath(runnerEnv, spec)));
            Process process = builder.command(LaunchWrapper.wrap(argv))
                    .redirectInput(Redirect.from(DEV_NULL))
                    .redirectOutput(Redirect.PIPE)
                    .redirectError(Redirect.PIPE)
                    .start();
            return track(process, spec, port);
        } catch (IOException e) {
            ports.release(port);
            throw new LaunchException("cannot start \"" + first(spec.command()) + "\": " + reason(e), e);
        } catch (RuntimeException e) {
            ports.release(port);
            throw e;
        }
    }

    private WorkerProcess track(Process process, LaunchSpec spec, int port) {
        long pid = process.pid();
        boolean leadsGroup = LaunchWrapper.setsid().isPresent();
        if (leadsGroup) watchdog.add(pid); // before the exit handler below can remove it
        return new OsWorkerProcess(process, spec, port, leadsGroup, () -> {
            if (leadsGroup) watchdog.remove(pid);
            ports.release(port);
        });
    }

    private static String first(List<String> command) {
        return command.isEmpty() ? "" : command.get(0);
    }

    /** "Cannot run program "x": error=13, Permission denied" -> "Permission denied". */
    private static String reason(IOException e) {
        String message = String.valueOf(e.getMessage());
        int at = message.lastIndexOf(", ");
        return message.contains("error=") && at >= 0 ? message.substring(at + 2) : message;
    }
}
