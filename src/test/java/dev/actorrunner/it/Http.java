package dev.actorrunner.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal HTTP/1.1 GET over a fresh connection, bounded in time; enough to ask a worker its pid. */
final class Http {
    private Http() {}

    /** The body of {@code GET /} on 127.0.0.1:port, or throws if there is no 200 within 2 s. */
    static String get(int port) throws IOException {
        return get(port, java.time.Duration.ofSeconds(2));
    }

    static String get(int port, java.time.Duration timeout) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout((int) timeout.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!response.startsWith("HTTP/1.1 200")) throw new IOException("not 200: " + response);
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    static boolean answers(int port) {
        try {
            get(port);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
