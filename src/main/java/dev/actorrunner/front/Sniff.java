package dev.actorrunner.front;

import io.netty.buffer.ByteBuf;

/**
 * Auto mode's decision, as a pure function of a connection's first bytes: does it open with an
 * HTTP/1.x request line (RFC 9112 3: method SP request-target SP HTTP-version, then the line's
 * end)? Only then is it routed per request; anything else is pinned to one worker as in tcp mode,
 * which is correct for any protocol. So every doubt resolves to pinned:
 *
 * <ul>
 * <li>the method is any RFC 9110 token, in the case sent: methods are case-sensitive, so
 *     {@code get} is a method like {@code PROPFIND} or {@code M-SEARCH}, which the app may refuse as
 *     it would in http mode. What makes a line HTTP/1.x is its version, {@code HTTP/1.0} or
 *     {@code HTTP/1.1} (upper case, as RFC 9112 2.3 says), followed by CR (or a bare LF, which the
 *     http pipeline then refuses with 400, as http mode does);</li>
 * <li>a first byte that cannot start a token (TLS's 0x16, a binary length, a CR or LF, a space)
 *     decides at once; so does any later byte that cannot continue the line: a control character,
 *     two spaces, a third word ({@code HTTP/0.9}'s {@code GET /} ends too early);</li>
 * <li>HTTP/2's preface {@code PRI * HTTP/2.0} looks like a request line up to its version, and is
 *     pinned at the {@code 2};</li>
 * <li>a line longer than {@code maxLine} bytes (http.max-initial-line, without its CRLF) is pinned
 *     rather than answered 414: it may be another protocol.</li>
 * </ul>
 *
 * The scan reads bytes in place from the reader index (no copy, no allocation) and keeps no state:
 * called again with more bytes, it starts over, which costs at most maxLine byte reads per call.
 */
final class Sniff {
    private Sniff() {}

    enum Verdict {
        /** An HTTP/1.x request line: route per request. */
        HTTP,
        /** Anything else: pin to one worker. */
        OTHER,
        /** Still possibly HTTP/1.x: wait for more bytes. */
        MORE
    }

    private static final byte[] VERSION = {'H', 'T', 'T', 'P', '/', '1', '.'};
    private static final int METHOD = 0;
    private static final int TARGET_START = 1;
    private static final int TARGET = 2;
    private static final int VERSION_PART = 3;

    /** The verdict on the readable bytes of {@code in}; neither its indices nor its content change. */
    static Verdict of(ByteBuf in, int maxLine) {
        int from = in.readerIndex();
        int n = in.readableBytes();
        int state = METHOD;
        int v = 0; // bytes of the version matched so far
        for (int i = 0; i < n; i++) {
            byte b = in.getByte(from + i);
            switch (state) {
                case METHOD -> {
                    if (b == ' ' && i > 0) {
                        state = TARGET_START;
                    } else if (!isTchar(b)) {
                        return Verdict.OTHER;
                    }
                }
                case TARGET_START, TARGET -> {
                    if (b == ' ' && state == TARGET) {
                        state = VERSION_PART;
                    } else if (isTargetByte(b)) {
                        state = TARGET;
                    } else {
                        return Verdict.OTHER;
                    }
                }
                default -> {
                    if (v < VERSION.length) {
                        if (b != VERSION[v]) return Verdict.OTHER;
                    } else if (v == VERSION.length) {
                        if (b != '0' && b != '1') return Verdict.OTHER;
                    } else {
                        return b == '\r' || b == '\n' ? Verdict.HTTP : Verdict.OTHER;
                    }
                    v++;
                }
            }
            // Byte maxLine may only be the line's end, which decided above: the line is too long.
            if (i >= maxLine) return Verdict.OTHER;
        }
        return Verdict.MORE;
    }

    /** RFC 9110 5.6.2: {@code !#$%&'*+-.^_`|~}, digits and letters. */
    static boolean isTchar(byte b) {
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) return true;
        return switch (b) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }

    /**
     * A byte of a request-target as servers take them: visible ASCII, or a byte above 0x7F (raw
     * UTF-8 in a path, which Netty's decoder passes on); never a space or a control character.
     */
    private static boolean isTargetByte(byte b) {
        return (b > 0x20 && b < 0x7f) || b < 0;
    }
}
