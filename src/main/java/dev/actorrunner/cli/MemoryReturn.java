package dev.actorrunner.cli;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the operating system back the memory a burst of work left behind. A runner starts with a
 * burst (thousands of classes loaded, the JIT compiling) and then idles for weeks, but neither
 * half of what the burst used goes back by itself with HotSpot's default flags: G1 shrinks its heap
 * only after a full collection, and the memory the JIT's compilations took from malloc stays in
 * glibc's arenas (measured on a runner with 2 workers, default flags: 113 MiB of RSS, 14 MiB less
 * after a native trim and 9 MiB less again after one full GC; bench/startup.sh).
 *
 * <p>So once the runner has been quiet for a moment after its start, it collects once and trims
 * the native heap ({@code jcmd PID System.trim_native_heap}, through the platform's diagnostic
 * command MBean); after a reload, whose new JIT work is smaller, it only trims. The collection is
 * a full one: a pause of a few milliseconds on a runner's small heap, once. Each runs on a
 * short-lived thread of its own, never on an actor's. A JVM without the command (older than
 * 17.0.9, or not glibc) simply keeps its memory.
 */
final class MemoryReturn {
    private static final Logger log = LoggerFactory.getLogger(MemoryReturn.class);

    private MemoryReturn() {}

    /** After the start: a full collection, then a native trim. */
    static void afterStart() {
        inBackground(true);
    }

    /** After a reload: a native trim. */
    static void afterReload() {
        inBackground(false);
    }

    /**
     * The JIT's arena chunks go back to malloc only when HotSpot's chunk pool is cleaned, every 5 s,
     * so a trim right after the burst finds part of them still held: a second one follows.
     */
    static final Duration AGAIN = Duration.ofSeconds(20);

    private static void inBackground(boolean collect) {
        Thread thread = new Thread(() -> {
            if (collect) System.gc();
            trimNativeHeap();
            try {
                Thread.sleep(AGAIN.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            trimNativeHeap();
        }, "actor-runner-memory");
        thread.setDaemon(true);
        thread.start();
    }

    static void trimNativeHeap() {
        try {
            Object said = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "systemTrimNativeHeap",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            log.debug("native heap trimmed: {}", String.valueOf(said).strip());
        } catch (Exception | LinkageError e) {
            log.debug("native heap not trimmed: {}", e.toString());
        }
    }
}
