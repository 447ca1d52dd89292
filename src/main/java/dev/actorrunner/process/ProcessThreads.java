package dev.actorrunner.process;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The threads of this package other than the spawn thread and the output readers. */
final class ProcessThreads {

    private ProcessThreads() {}

    /**
     * Short blocking jobs: running {@code kill}, cleaning up after an exit, completing stages so
     * that a caller's continuation never runs on the JDK's shared process reaper or timer thread.
     * JVM-wide rather than per launcher, so an exit that arrives after {@code close()} is still
     * handled. Idle threads die after 30 s.
     */
    static final ExecutorService EVENTS = new ThreadPoolExecutor(0, Integer.MAX_VALUE,
            30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemon("actor-runner-process"));

    /** Daemon threads named {@code prefix-1}, {@code prefix-2}, ... */
    static ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
