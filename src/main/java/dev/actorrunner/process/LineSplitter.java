package dev.actorrunner.process;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into lines of at most {@code maxLineBytes} bytes, so that a worker writing
 * megabytes without a newline costs a fixed buffer, not memory that grows with it. A longer line
 * keeps its head (cut at a UTF-8 character boundary) and gets {@value #TRUNCATED} appended; the
 * rest up to the newline is dropped. Bytes are decoded as UTF-8, malformed input replaced. A
 * trailing CR (CRLF output) is removed. Not thread-safe: one per stream.
 */
final class LineSplitter {

    static final String TRUNCATED = " [truncated]";

    private final byte[] line;
    private final Consumer<String> sink;
    private int length;
    private boolean truncated;

    LineSplitter(int maxLineBytes, Consumer<String> sink) {
        this.line = new byte[maxLineBytes];
        this.sink = sink;
    }

    void feed(byte[] bytes, int offset, int count) {
        int start = offset;
        int end = offset + count;
        for (int i = offset; i < end; i++) {
            if (bytes[i] == '\n') {
                append(bytes, start, i);
                emit();
                start = i + 1;
            }
        }
        append(bytes, start, end);
    }

    /** End of stream: an unterminated last line is still a line. */
    void finish() {
        if (length > 0 || truncated) emit();
    }

    private void append(byte[] bytes, int from, int to) {
        int n = Math.min(to - from, line.length - length);
        System.arraycopy(bytes, from, line, length, n);
        length += n;
        if (n < to - from) truncated = true;
    }

    private void emit() {
        int end = length;
        if (truncated) {
            end = characterBoundary(line, end);
        } else if (end > 0 && line[end - 1] == '\r') {
            end--;
        }
        String text = new String(line, 0, end, StandardCharsets.UTF_8);
        if (truncated) text += TRUNCATED;
        length = 0;
        truncated = false;
        sink.accept(text);
    }

    /** {@code end}, or less so that a multi-byte UTF-8 character cut by the limit is dropped whole. */
    static int characterBoundary(byte[] b, int end) {
        int lead = end;
        while (lead > 0 && end - lead < 3 && (b[lead - 1] & 0xC0) == 0x80) lead--; // continuation bytes
        if (lead == 0 || (b[lead - 1] & 0xC0) != 0xC0) return end; // ASCII or malformed: keep as is
        int start = lead - 1;
        int first = b[start] & 0xFF;
        int needed = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : 2;
        return end - start < needed ? start : end;
    }
}
