package dev.actorrunner.probe;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * "GET path answers 2xx", over a plain socket: one request, {@code Connection: close}, only the
 * status line is read. Cheaper than an HttpClient and keeps the self-connect check of
 * {@link TcpCheck#open}. Blocking; run through {@link Probes#bounded}.
 */
final class HttpCheck {

    private static final int MAX_STATUS_LINE = 1024;

    private HttpCheck() {}

    static boolean answers2xx(int port, String path) throws IOException {
        return is2xx(statusLine(port, path, Probes.IO_TIMEOUT));
    }

    /** Empty when {@code GET path} answers 2xx within {@code timeout}, else what it answered, or why not. */
    static java.util.Optional<String> problem(int port, String path, java.time.Duration timeout) throws IOException {
        return problem(statusLine(port, path, timeout));
    }

    /** Empty for a 2xx status line, else what it says ("HTTP 503", "no status line", "not HTTP: ..."). */
    static java.util.Optional<String> problem(String status) {
        if (is2xx(status)) return java.util.Optional.empty();
        if (status.isEmpty()) return java.util.Optional.of("no status line");
        String[] parts = status.split(" ", 3);
        return java.util.Optional.of(parts.length >= 2 ? "HTTP " + parts[1] : "not HTTP: " + status);
    }

    /** The status line {@code GET path} answers with, "" when none came (or nothing listens). */
    private static String statusLine(int port, String path, java.time.Duration timeout) throws IOException {
        try (Socket socket = TcpCheck.open(new Socket(), port, timeout)) {
            if (socket == null) return "";
            socket.setSoTimeout((int) timeout.toMillis());
            String request = "GET " + (path.startsWith("/") ? path : "/" + path) + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + port + "\r\n"
                    + "User-Agent: actor-runner-probe\r\n"
                    + "Accept: */*\r\n"
                    + "Connection: close\r\n\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return statusLine(new BufferedInputStream(socket.getInputStream(), 256));
        }
    }

    /** "HTTP/1.1 204 No Content" -> true. */
    static boolean is2xx(String statusLine) {
        String[] parts = statusLine.split(" ", 3);
        return parts.length >= 2 && parts[0].startsWith("HTTP/") && parts[1].length() == 3
                && parts[1].charAt(0) == '2' && Character.isDigit(parts[1].charAt(1))
                && Character.isDigit(parts[1].charAt(2));
    }

    static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b; (b = in.read()) != -1 && b != '\n' && line.length() < MAX_STATUS_LINE; ) {
            if (b != '\r') line.append((char) b);
        }
        return line.toString();
    }
}
