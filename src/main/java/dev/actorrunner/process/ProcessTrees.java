package dev.actorrunner.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** A process and everything it started, as /proc shows them. Blocking reads: never on an actor's thread. */
public final class ProcessTrees {

    private ProcessTrees() {}

    /** The pid and its descendants' pids; empty once it is gone. */
    public static List<Long> of(long pid) {
        return ProcessHandle.of(pid)
                .map(p -> Stream.concat(Stream.of(pid), p.descendants().map(ProcessHandle::pid)).toList())
                .orElse(List.of());
    }

    /** The summed RSS of the tree, in bytes; -1 if unknown (not Linux, or gone). */
    public static long rssBytes(long pid) {
        long sum = 0;
        boolean known = false;
        for (long p : of(pid)) {
            long rss = rss(p);
            if (rss >= 0) {
                sum += rss;
                known = true;
            }
        }
        return known ? sum : -1;
    }

    /** VmRSS of /proc/PID/status, in bytes; -1 if unknown (not Linux, or the process is gone). */
    public static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String kb = line.substring("VmRSS:".length()).replace("kB", "").strip();
                    return Long.parseLong(kb) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone or not Linux
        }
        return -1;
    }
}
