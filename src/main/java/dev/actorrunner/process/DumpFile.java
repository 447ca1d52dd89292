package dev.actorrunner.process;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What a worker printed after its dump signal, kept until the dump grace is over and then written
 * to a file of its own, {@code worker-ID-pid-PID-TIME.txt}, owner-only (mode 600) in a directory
 * it makes owner-only (700) if missing. A symlink where the directory or the file should be is
 * refused, never followed; an existing file is never overwritten. The lines reach the log as they
 * come, like any other: the file is for the one who reads the dump later, whole.
 */
final class DumpFile implements WorkerProcess.Dump {
    private static final Logger log = LoggerFactory.getLogger(DumpFile.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    /** A dump bigger than this (a JVM with tens of thousands of threads) is cut. */
    static final int MAX_LINES = 200_000;

    private final String worker;
    private final Path dir;
    private final String name;
    private final Map<String, String> mdc;
    private final List<String> lines = new ArrayList<>();
    private volatile boolean recording = true;
    private boolean cut;

    /** @param worker "worker 3 (pid 4242)", for the log line */
    DumpFile(String worker, int workerId, long pid, Path dir, String signal, Map<String, String> mdc) {
        this.worker = worker;
        this.dir = dir;
        this.name = "worker-" + workerId + "-pid-" + pid + "-" + LocalDateTime.now().format(TIME) + "-" + signal + ".txt";
        this.mdc = mdc;
    }

    /** From the output readers' threads, while recording. */
    void add(String stream, String line) {
        if (!recording) return;
        synchronized (lines) {
            if (lines.size() < MAX_LINES) {
                lines.add(stream.equals("stderr") ? "[stderr] " + line : line);
            } else {
                cut = true;
            }
        }
    }

    boolean recording() {
        return recording;
    }

    @Override
    public void finish() {
        if (!recording) return;
        recording = false;
        ProcessThreads.EVENTS.execute(this::write);
    }

    /** Off the caller's thread: writes the file and says where, or why not. */
    private void write() {
        List<String> copy;
        synchronized (lines) {
            copy = List.copyOf(lines);
        }
        Map<String, String> before = MDC.getCopyOfContextMap();
        MDC.setContextMap(mdc);
        try {
            if (copy.isEmpty()) {
                log.warn("{} printed nothing after its dump signal (stopped, or not a JVM?)", worker);
                return;
            }
            Path file = dir.resolve(name);
            writeOwnerOnly(file, copy);
            log.warn("{}: thread dump of {} line(s){} in {}", worker, copy.size(), cut ? " (cut)" : "", file.toAbsolutePath());
        } catch (IOException | RuntimeException e) {
            log.warn("{}: thread dump not written to {} ({})", worker, dir, e.getMessage());
        } finally {
            if (before == null) MDC.clear(); else MDC.setContextMap(before);
        }
    }

    private void writeOwnerOnly(Path file, List<String> text) throws IOException {
        if (Files.isSymbolicLink(dir)) throw new IOException(dir + " is a symbolic link");
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        // CREATE_NEW: O_EXCL, which also refuses a symlink planted at the name.
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS)) {
            for (String line : text) {
                out.write(line);
                out.newLine();
            }
        }
    }

    /** All of it, for tests. */
    List<String> lines() {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }
}
