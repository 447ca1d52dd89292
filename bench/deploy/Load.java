import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;

/**
 * The load client of bench/deploy.sh: C kept-alive HTTP/1.1 connections, one request outstanding
 * on each (a thread per connection), GET PATH in a loop for S seconds. Run it with Java's
 * source-file mode (JDK 17, JDK classes only): {@code java bench/deploy/Load.java --help}.
 *
 * <p>Per request it keeps the end time, the latency (write of the request to the last byte of the
 * response) and the pid in the body ("hello from pid N"). A request fails when the connect fails
 * (then the thread waits 10 ms before it tries again), when the connection breaks before the whole
 * response came (read), when no whole response came within the timeout (timeout: the connection is
 * closed), or when the status is not 2xx (non2xx; its latency still counts). After each failure but
 * non2xx the thread opens a new connection. A response with {@code Connection: close} ends its
 * connection without any failure, and the next request opens a new one.
 *
 * <p>Output ({@code -o PREFIX}; times in ms since the start, which PREFIX.started and the totals
 * line give as epoch ms):
 * <ul>
 * <li>PREFIX.started: the start, epoch ms, written once every thread is about to connect;
 * <li>PREFIX.seconds.tsv: one line per whole second of the run, by the time each request ended:
 *     second, requests (responses), failed, p50_ms, p99_ms, max_ms, distinct pids, the pids;
 * <li>PREFIX.pairs.tsv: one line per connection and pid that answered on it: connection,
 *     ms the connection was opened, pid, ms of its first and last answer there, answers;
 *     a pid first seen after a time T "answered on a connection opened before T" if a line has
 *     opened &lt; T;
 * <li>stdout, last line: {@code total key=value ...} (start_ms secs requests ok failed connect read
 *     timeout non2xx stale rps p50_ms p99_ms max_ms pids connections).
 * </ul>
 * Percentiles are nearest-rank over every response (any status) of the second or of the run.
 */
public final class Load {

    static final String USAGE = """
            usage: java bench/deploy/Load.java -p PORT -o PREFIX [options]
              -p PORT           target port (required)
              -o PREFIX         output files PREFIX.started, PREFIX.seconds.tsv, PREFIX.pairs.tsv (required)
              -H HOST           target host (127.0.0.1)
              -c N              connections, one thread each (32)
              -d SECONDS        run length (30)
              --path PATH       request path (/)
              --timeout-ms MS   a request or connect slower than this fails as a timeout (2000)
              --stop-file FILE  also stop as soon as FILE exists (checked every 20 ms)
            """;

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1", path = "/", prefix = null, stopFile = null;
        int port = -1, conns = 32, timeoutMs = 2000;
        double secs = 30;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) { System.out.print(USAGE); return; }
            if (i + 1 >= args.length) die("option " + a + " needs a value");
            String v = args[++i];
            switch (a) {
                case "-p" -> port = Integer.parseInt(v);
                case "-H" -> host = v;
                case "-c" -> conns = Integer.parseInt(v);
                case "-d" -> secs = Double.parseDouble(v);
                case "-o" -> prefix = v;
                case "--path" -> path = v;
                case "--timeout-ms" -> timeoutMs = Integer.parseInt(v);
                case "--stop-file" -> stopFile = v;
                default -> die("unknown option " + a);
            }
        }
        if (port <= 0 || prefix == null || conns < 1 || secs <= 0) die("-p PORT and -o PREFIX are required");

        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nUser-Agent: actor-runner-deploy-bench\r\nAccept: */*\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress addr = new InetSocketAddress(host, port);
        Worker[] workers = new Worker[conns];
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < conns; i++) {
            workers[i] = new Worker(i, addr, request, timeoutMs, go);
            workers[i].setName("load-" + i);
            workers[i].setDaemon(true);
            workers[i].start();
        }
        long startMs = System.currentTimeMillis();
        long t0 = System.nanoTime();
        long end = t0 + (long) (secs * 1e9);
        for (Worker w : workers) { w.t0 = t0; w.end = end; }
        Files.writeString(Path.of(prefix + ".started"), startMs + "\n");
        go.countDown();

        Path stop = stopFile == null ? null : Path.of(stopFile);
        long stopAt;
        while (true) {
            long now = System.nanoTime();
            if (now >= end) { stopAt = end; break; }
            if (stop != null && Files.exists(stop)) { stopAt = now; break; }
            Thread.sleep(Math.max(1, Math.min(20, (end - now) / 1_000_000)));
        }
        for (Worker w : workers) w.end = stopAt;
        for (Worker w : workers) {
            w.join(timeoutMs + 3000L);
            if (w.isAlive()) w.closeQuietly(); // unblocks a read that ignores its timeout
        }
        for (Worker w : workers) w.join(2000);
        report(workers, prefix, startMs, (stopAt - t0) / 1e9);
    }

    static void die(String why) {
        System.err.println("Load: " + why + "\n" + USAGE);
        System.exit(2);
    }

    // ---- results -------------------------------------------------------------------------------

    static void report(Worker[] workers, String prefix, long startMs, double secs) throws IOException {
        int seconds = 0;
        for (Worker w : workers) seconds = Math.max(seconds, w.lat.size());
        long connect = 0, read = 0, timeout = 0, non2xx = 0, stale = 0, ok = 0, connections = 0;
        int total = 0;
        for (Worker w : workers) {
            connect += w.connectFails; read += w.readFails; timeout += w.timeouts; non2xx += w.non2xx;
            stale += w.stale; ok += w.ok; connections += w.connections;
            for (IntBuf b : w.lat) total += b.n;
        }
        int[] all = new int[total];
        int at = 0;
        TreeSet<Long> allPids = new TreeSet<>();
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Path.of(prefix + ".seconds.tsv")))) {
            out.println("# second\trequests\tfailed\tp50_ms\tp99_ms\tmax_ms\tpids\tpid_list");
            int whole = (int) Math.floor(secs);
            for (int s = 0; s < seconds; s++) {
                int n = 0, failed = 0;
                TreeSet<Long> pids = new TreeSet<>();
                for (Worker w : workers) {
                    if (s < w.lat.size()) n += w.lat.get(s).n;
                    if (s < w.failed.size()) failed += w.failed.get(s).n;
                    if (s < w.pids.size()) pids.addAll(w.pids.get(s).keySet());
                }
                int[] v = new int[n];
                int k = 0;
                for (Worker w : workers) {
                    if (s < w.lat.size()) {
                        IntBuf b = w.lat.get(s);
                        System.arraycopy(b.a, 0, v, k, b.n);
                        k += b.n;
                    }
                }
                System.arraycopy(v, 0, all, at, n);
                at += n;
                allPids.addAll(pids);
                if (s >= whole) continue; // the last, partial second counts in the totals only
                Arrays.sort(v);
                out.printf("%d\t%d\t%d\t%s\t%s\t%s\t%d\t%s%n", s, n, failed, ms(pct(v, 0.50)), ms(pct(v, 0.99)),
                        ms(n == 0 ? -1 : v[n - 1]), pids.size(), pids.isEmpty() ? "-" : join(pids));
            }
        }
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Path.of(prefix + ".pairs.tsv")))) {
            out.println("# connection\topened_ms\tpid\tfirst_ms\tlast_ms\tanswers");
            for (Worker w : workers) for (String line : w.pairs) out.println(line);
        }
        Arrays.sort(all);
        long failed = connect + read + timeout + non2xx;
        System.out.printf("total start_ms=%d secs=%.3f requests=%d ok=%d failed=%d connect=%d read=%d timeout=%d"
                        + " non2xx=%d stale=%d rps=%.1f p50_ms=%s p99_ms=%s max_ms=%s pids=%d connections=%d%n",
                startMs, secs, total, ok, failed, connect, read, timeout, non2xx, stale, total / secs,
                ms(pct(all, 0.50)), ms(pct(all, 0.99)), ms(total == 0 ? -1 : all[total - 1]), allPids.size(), connections);
    }

    static int pct(int[] sorted, double q) {
        if (sorted.length == 0) return -1;
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static String ms(int micros) { return micros < 0 ? "nan" : String.format("%.3f", micros / 1000.0); }

    static String join(TreeSet<Long> pids) {
        StringBuilder b = new StringBuilder();
        for (Long p : pids) b.append(b.length() == 0 ? "" : ",").append(p);
        return b.toString();
    }

    static final class IntBuf {
        int[] a = new int[256];
        int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }
    }

    // ---- one connection's loop -----------------------------------------------------------------

    static final class Worker extends Thread {
        final int id;
        final InetSocketAddress addr;
        final byte[] request;
        final int timeoutMs;
        final CountDownLatch go;
        volatile long t0, end;

        // Per second of the run, by the time a request ended: latencies (us), failures, pids.
        final List<IntBuf> lat = new ArrayList<>();
        final List<IntBuf> failed = new ArrayList<>();
        final List<Map<Long, Boolean>> pids = new ArrayList<>();
        final List<String> pairs = new ArrayList<>();
        long connectFails, readFails, timeouts, non2xx, stale, ok, connections;

        private volatile Socket socket;
        private InputStream in;
        private OutputStream out;
        private int connSeq;
        private long openedMs;
        private int answersOnConn;
        private final Map<Long, long[]> connPids = new HashMap<>(); // pid -> first_ms, last_ms, answers
        private final byte[] line = new byte[8192];
        private final byte[] buf = new byte[16384];
        private int pos, limit; // what buf holds of the current connection's input
        private final Response resp = new Response();

        Worker(int id, InetSocketAddress addr, byte[] request, int timeoutMs, CountDownLatch go) {
            this.id = id;
            this.addr = addr;
            this.request = request;
            this.timeoutMs = timeoutMs;
            this.go = go;
        }

        @Override
        public void run() {
            try {
                go.await();
            } catch (InterruptedException e) {
                return;
            }
            while (System.nanoTime() < end) {
                if (socket == null && !connect()) continue;
                long start = System.nanoTime();
                long deadline = start + timeoutMs * 1_000_000L;
                String failure;
                resp.bytesRead = 0;
                try {
                    out.write(request);
                    out.flush();
                    failure = readResponse(deadline);
                } catch (SocketTimeoutException e) {
                    failure = "timeout";
                } catch (IOException e) {
                    failure = "read";
                }
                long done = System.nanoTime();
                if (done > end) { closeConn(); break; } // ended after the stop: not counted
                if (failure == null && done > deadline) failure = "timeout";
                if (failure != null) {
                    if (failure.equals("read")) {
                        readFails++;
                        if (answersOnConn > 0 && resp.bytesRead == 0) stale++; // a kept-alive connection closed under it
                    } else {
                        timeouts++;
                    }
                    buf(failed, second(done)).add(1);
                    closeConn();
                    continue;
                }
                int sec = second(done);
                buf(lat, sec).add((int) Math.min(Integer.MAX_VALUE, (done - start) / 1000));
                answersOnConn++;
                if (resp.status < 200 || resp.status > 299) {
                    non2xx++;
                    buf(failed, sec).add(1);
                } else {
                    ok++;
                    if (resp.pid >= 0) {
                        while (pids.size() <= sec) pids.add(new HashMap<>());
                        pids.get(sec).put(resp.pid, Boolean.TRUE);
                        long nowMs = (done - t0) / 1_000_000;
                        long[] p = connPids.computeIfAbsent(resp.pid, k -> new long[] {nowMs, nowMs, 0});
                        p[1] = nowMs;
                        p[2]++;
                    }
                }
                if (resp.close) closeConn();
            }
            closeConn();
        }

        private boolean connect() {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(addr, timeoutMs);
                socket = s;
                in = s.getInputStream();
                pos = limit = 0;
                out = s.getOutputStream();
                connSeq++;
                connections++;
                openedMs = (System.nanoTime() - t0) / 1_000_000;
                answersOnConn = 0;
                return true;
            } catch (IOException e) {
                try { s.close(); } catch (IOException ignored) { }
                long now = System.nanoTime();
                if (now < end) {
                    connectFails++;
                    buf(failed, second(now)).add(1);
                    try { Thread.sleep(10); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); }
                }
                return false;
            }
        }

        void closeQuietly() {
            Socket s = socket;
            if (s != null) try { s.close(); } catch (IOException ignored) { }
        }

        private void closeConn() {
            if (socket == null) return;
            closeQuietly();
            socket = null;
            for (Map.Entry<Long, long[]> e : connPids.entrySet()) {
                long[] p = e.getValue();
                pairs.add(id + "." + connSeq + "\t" + openedMs + "\t" + e.getKey() + "\t" + p[0] + "\t" + p[1] + "\t" + p[2]);
            }
            connPids.clear();
        }

        private int second(long nanos) { return (int) Math.max(0, (nanos - t0) / 1_000_000_000L); }

        private static IntBuf buf(List<IntBuf> l, int sec) {
            while (l.size() <= sec) l.add(new IntBuf());
            return l.get(sec);
        }

        // ---- HTTP/1.1 response parsing (status line, headers, Content-Length or chunked body) ----

        static final class Response {
            int status;
            boolean close;
            long pid;
            long bytesRead;
        }

        /** Reads one response into resp; null if whole, else "read" (a malformed one counts so). */
        private String readResponse(long deadline) throws IOException {
            Response r = resp;
            r.status = 0; r.close = false; r.pid = -1; r.bytesRead = 0;
            int n = readLine(deadline);
            if (n < 12 || line[0] != 'H' || line[8] != ' ') return "read";
            r.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
            boolean http10 = line[7] == '0';
            r.close = http10;
            long length = -1;
            boolean chunked = false;
            while ((n = readLine(deadline)) > 0) {
                String h = new String(line, 0, n, StandardCharsets.ISO_8859_1);
                int colon = h.indexOf(':');
                if (colon < 0) continue;
                String name = h.substring(0, colon).trim().toLowerCase();
                String value = h.substring(colon + 1).trim().toLowerCase();
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.endsWith("chunked");
                    case "connection" -> r.close = value.contains("close") || (http10 && !value.contains("keep-alive"));
                    default -> { }
                }
            }
            if (n < 0) return "read";
            StringBuilder body = new StringBuilder();
            if (chunked) {
                while (true) {
                    n = readLine(deadline);
                    if (n < 0) return "read";
                    String size = new String(line, 0, n, StandardCharsets.ISO_8859_1);
                    int semi = size.indexOf(';');
                    long len = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                    if (len == 0) {
                        while ((n = readLine(deadline)) > 0) { } // trailers
                        if (n < 0) return "read";
                        break;
                    }
                    if (!readBody(len, body, deadline)) return "read";
                    if (readLine(deadline) != 0) return "read";
                }
            } else if (length >= 0) {
                if (!readBody(length, body, deadline)) return "read";
            } else if (r.status >= 200 && r.status != 204 && r.status != 304) {
                return "read"; // a body up to the close: not expected from these servers
            }
            r.pid = pidIn(body);
            return null;
        }

        /** One line without CRLF into {@code line}: its length, -1 at EOF. */
        private int readLine(long deadline) throws IOException {
            int n = 0;
            while (true) {
                int c = read(deadline);
                if (c < 0) return -1;
                if (c == '\n') return (n > 0 && line[n - 1] == '\r') ? n - 1 : n;
                if (n == line.length) throw new IOException("line too long");
                line[n++] = (byte) c;
            }
        }

        private boolean readBody(long len, StringBuilder body, long deadline) throws IOException {
            for (long i = 0; i < len; i++) {
                int c = read(deadline);
                if (c < 0) return false;
                if (body.length() < 4096) body.append((char) c);
            }
            return true;
        }

        private int read(long deadline) throws IOException {
            if (pos == limit) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) throw new SocketTimeoutException();
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                int n = in.read(buf, 0, buf.length);
                if (n < 0) return -1;
                pos = 0;
                limit = n;
            }
            resp.bytesRead++;
            return buf[pos++] & 0xff;
        }

        /** The number after "pid " in a body such as "hello from pid 4242"; -1 if none. */
        static long pidIn(CharSequence body) {
            String s = body.toString();
            int i = s.indexOf("pid ");
            if (i < 0) return -1;
            i += 4;
            long v = 0;
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i))) v = v * 10 + (s.charAt(i++) - '0');
            return i == start ? -1 : v;
        }
    }
}
