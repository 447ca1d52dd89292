package dev.actorrunner.front;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;

/**
 * The request rules of http mode that Netty's decoder lets through: what a request head must be
 * before any of it goes to a worker (RFC 9112 and RFC 9110's "must reject" cases). The relay asks
 * {@link #check} once per decoded head that has no decoder failure, and answers a {@link Refusal}
 * with its status and {@code Connection: close} (the body, if any, is never read).
 *
 * <p>Front's decoder (strict line parsing, validated headers, RFC 9112 Transfer-Encoding, no
 * duplicate Content-Length) already fails the request for: a bare CR or LF, an invalid header
 * name, whitespace before a colon, a CTL in a header value, an invalid or repeated Content-Length,
 * Content-Length beside Transfer-Encoding, Transfer-Encoding in HTTP/1.0, a final coding other
 * than chunked, chunked twice, a malformed version. The framing rules are checked again here
 * anyway (one pass over the headers it makes regardless) so that they do not hang on a decoder
 * setting: a request is refused the same with any codec.
 *
 * <p>Deliberately not refused: obs-fold (Netty unfolds it to SP, which RFC 9112 5.2 allows, and
 * the relay re-encodes what it forwards); extra whitespace in the request line (RFC 9112 3 lets a
 * recipient split on whitespace; re-encoding sends the worker single spaces); bytes above 0x7F in
 * the target or in header values (real clients send raw UTF-8; the worker decides); a lower-case
 * method (a valid token, just another method); an unknown method.
 *
 * <p>Hot path: no regex, no copies of headers or strings, one pass over the header list; a
 * refusal is a constant.
 */
final class HttpRules {
    private HttpRules() {}

    /** Why a request is refused, with the status it gets. */
    enum Refusal {
        /** RFC 9110 6.2: only HTTP/1.x is spoken on an HTTP/1 connection (HTTP/1.2 counts as 1.1). */
        VERSION(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version other than 1.x"),
        /**
         * The runner is a gateway to its workers, not a forward proxy: it cannot tunnel anywhere,
         * and a worker's 2xx to CONNECT would leave the relay's codecs out of step with the bytes.
         * 501 rather than 405: no resource here supports it, and 405 must list what is allowed.
         */
        CONNECT(HttpResponseStatus.NOT_IMPLEMENTED, "CONNECT is not supported (no forward proxy)"),
        TARGET_FORM(HttpResponseStatus.BAD_REQUEST, "request target is neither origin-form nor absolute-form"),
        ASTERISK_FORM(HttpResponseStatus.BAD_REQUEST, "'*' target on a method other than OPTIONS"),
        AUTHORITY_FORM(HttpResponseStatus.BAD_REQUEST, "authority-form target on a method other than CONNECT"),
        /** A CTL, SP or DEL (Netty passes a NUL through), or a fragment (never sent; CVE-2023-45539). */
        TARGET_CHARACTER(HttpResponseStatus.BAD_REQUEST, "invalid character or fragment in request target"),
        /** Only http and https name a resource of the app behind the runner. */
        TARGET_SCHEME(HttpResponseStatus.BAD_REQUEST, "absolute-form target with a scheme other than http(s)"),
        /** RFC 9110 4.2.4: userinfo in an http(s) URI is an error; an empty host is invalid (4.2.1). */
        TARGET_AUTHORITY(HttpResponseStatus.BAD_REQUEST, "invalid authority in absolute-form target"),
        /** RFC 9112 3.2: a server must answer 400. */
        DUPLICATE_HOST(HttpResponseStatus.BAD_REQUEST, "more than one Host header"),
        /** RFC 9112 3.2: a server must answer 400. */
        MISSING_HOST(HttpResponseStatus.BAD_REQUEST, "HTTP/1.1 request without Host"),
        /** RFC 9112 3.2: a server must answer 400 to an invalid field value (uri-host [":" port]). */
        INVALID_HOST(HttpResponseStatus.BAD_REQUEST, "invalid Host"),
        /**
         * The worker must use the target's authority (RFC 9112 3.2.2), the front passes Host on as
         * X-Forwarded-Host: two names for one request is how routing and cache keys are confused.
         */
        HOST_MISMATCH(HttpResponseStatus.BAD_REQUEST, "Host differs from the target's authority"),
        INVALID_CONTENT_LENGTH(HttpResponseStatus.BAD_REQUEST, "invalid or repeated Content-Length"),
        /**
         * RFC 9112 6.1 lets a server reject this or drop Content-Length, and then close either way;
         * the runner rejects (as Netty does with RFC 9112 Transfer-Encoding on, and as the safest
         * reading for an intermediary: the message was built to be read two ways).
         */
        CONTENT_LENGTH_AND_TRANSFER_ENCODING(HttpResponseStatus.BAD_REQUEST, "both Content-Length and Transfer-Encoding"),
        /** RFC 9112 6.1: framing of an HTTP/1.0 message with Transfer-Encoding is faulty. */
        TRANSFER_ENCODING_HTTP_1_0(HttpResponseStatus.BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request"),
        /** RFC 9112 6.3: the length cannot be known; a server must answer 400 and close. */
        NOT_CHUNKED(HttpResponseStatus.BAD_REQUEST, "Transfer-Encoding whose final coding is not chunked once"),
        /** RFC 9112 6.1: a server should answer 501 to a transfer coding it does not understand. */
        UNKNOWN_CODING(HttpResponseStatus.NOT_IMPLEMENTED, "unknown transfer coding"),
        /**
         * The relay drops every header a Connection option names (RFC 9110 7.6.1). Naming a framing
         * header would make it send the body unframed, which the worker would read as a next
         * request (smuggling); naming Host would strip the one header HTTP/1.1 requires. No client
         * has a reason to send either (RFC 9110 7.6.1: such fields are for all recipients).
         */
        CONNECTION_OPTION(HttpResponseStatus.BAD_REQUEST, "Connection names Host, Content-Length or Transfer-Encoding");

        final HttpResponseStatus status;
        final String reason;

        Refusal(HttpResponseStatus status, String reason) {
            this.status = status;
            this.reason = reason;
        }

        @Override
        public String toString() {
            return status.code() + " " + reason;
        }
    }

    /** Null when {@code r} may go to a worker, else why it may not. {@code r} is not changed. */
    static Refusal check(HttpRequest r) {
        HttpVersion v = r.protocolVersion();
        if (v.majorVersion() != 1) return Refusal.VERSION;
        if (HttpMethod.CONNECT.equals(r.method())) return Refusal.CONNECT;
        Refusal target = checkTarget(r);
        return target != null ? target : checkHeaders(r, v.minorVersion() == 0);
    }

    /**
     * The request target as a worker must get it (RFC 9112 3.2.1: only origin-form, or "*", to an
     * origin server): the path and query of an absolute-form target, "/" when it has none. The
     * same string when it is not absolute-form. Call after {@link #check} accepted the request.
     */
    static String originForm(String uri) {
        int authority = schemeEnd(uri);
        if (authority < 0) return uri;
        int path = authorityEnd(uri, authority);
        if (path == uri.length()) return "/";
        return uri.charAt(path) == '/' ? uri.substring(path) : "/" + uri.substring(path);
    }

    // ---- headers ----

    private static Refusal checkHeaders(HttpRequest r, boolean http10) {
        CharSequence host = null;
        boolean contentLength = false;
        int te = 0;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = r.headers().iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            CharSequence value = e.getValue();
            if (is(name, HttpHeaderNames.HOST)) {
                if (host != null) return Refusal.DUPLICATE_HOST;
                host = value;
                if (!validHost(value, 0, value.length())) return Refusal.INVALID_HOST;
            } else if (is(name, HttpHeaderNames.CONTENT_LENGTH)) {
                if (contentLength || !digits(value)) return Refusal.INVALID_CONTENT_LENGTH;
                contentLength = true;
            } else if (is(name, HttpHeaderNames.TRANSFER_ENCODING)) {
                te = codings(te | TE_PRESENT, value);
            } else if (is(name, HttpHeaderNames.CONNECTION)) {
                if (namesFramingHeader(value)) return Refusal.CONNECTION_OPTION;
            }
        }
        if (te != 0) {
            if (http10) return Refusal.TRANSFER_ENCODING_HTTP_1_0;
            if (contentLength) return Refusal.CONTENT_LENGTH_AND_TRANSFER_ENCODING;
            if ((te & TE_LAST_CHUNKED) == 0 || (te & TE_CHUNKED_TWICE) != 0) return Refusal.NOT_CHUNKED;
            if ((te & TE_UNKNOWN) != 0) return Refusal.UNKNOWN_CODING;
        }
        if (host == null && !http10) return Refusal.MISSING_HOST;
        if (host != null && schemeEnd(r.uri()) >= 0 && !sameAuthority(r.uri(), host)) return Refusal.HOST_MISMATCH;
        return null;
    }

    private static boolean is(CharSequence name, CharSequence known) {
        return AsciiString.contentEqualsIgnoreCase(name, known);
    }

    /** 1*DIGIT, at most 18 of them (a long). */
    private static boolean digits(CharSequence v) {
        int n = v.length();
        if (n == 0 || n > 18) return false;
        for (int i = 0; i < n; i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') return false;
        }
        return true;
    }

    // What the transfer codings of all Transfer-Encoding fields so far add up to, in order (RFC 9112 6.1).
    private static final int TE_PRESENT = 1;
    private static final int TE_CHUNKED = 2;
    private static final int TE_LAST_CHUNKED = 4;
    private static final int TE_CHUNKED_TWICE = 8;
    private static final int TE_UNKNOWN = 16;

    /** {@code state} updated with the codings of one Transfer-Encoding field value. */
    private static int codings(int state, CharSequence list) {
        int n = list.length();
        for (int i = 0; i <= n; ) {
            int end = i;
            while (end < n && list.charAt(end) != ',') end++;
            int s = i;
            int e = end;
            while (s < e && ows(list.charAt(s))) s++;
            while (e > s && ows(list.charAt(e - 1))) e--;
            if (s < e) state = coding(state, list, s, e); // empty list elements are allowed (RFC 9110 5.6.1)
            i = end + 1;
        }
        return state;
    }

    /**
     * One coding. None registered takes parameters, so one written with ';' is unknown. "identity"
     * is no longer a coding (RFC 9112 dropped it).
     */
    private static int coding(int state, CharSequence list, int s, int e) {
        if (region(list, s, e, "chunked")) {
            return state | TE_LAST_CHUNKED | TE_CHUNKED | ((state & TE_CHUNKED) != 0 ? TE_CHUNKED_TWICE : 0);
        }
        state &= ~TE_LAST_CHUNKED;
        boolean known = region(list, s, e, "gzip") || region(list, s, e, "x-gzip") || region(list, s, e, "deflate")
                || region(list, s, e, "compress") || region(list, s, e, "x-compress");
        return known ? state : state | TE_UNKNOWN;
    }

    /** True when a Connection value lists host, content-length or transfer-encoding as an option. */
    private static boolean namesFramingHeader(CharSequence list) {
        int n = list.length();
        int i = 0;
        while (i < n) {
            int end = i;
            while (end < n && list.charAt(end) != ',') end++;
            int s = i;
            int e = end;
            while (s < e && ows(list.charAt(s))) s++;
            while (e > s && ows(list.charAt(e - 1))) e--;
            if (region(list, s, e, "host") || region(list, s, e, "content-length")
                    || region(list, s, e, "transfer-encoding")) {
                return true;
            }
            i = end + 1;
        }
        return false;
    }

    private static boolean ows(char c) {
        return c == ' ' || c == '\t';
    }

    /** {@code s[from, to)} equals {@code lower} ignoring ASCII case. */
    private static boolean region(CharSequence s, int from, int to, String lower) {
        if (to - from != lower.length()) return false;
        for (int i = 0; i < lower.length(); i++) {
            char c = s.charAt(from + i);
            if (c >= 'A' && c <= 'Z') c = (char) (c + 32);
            if (c != lower.charAt(i)) return false;
        }
        return true;
    }

    /**
     * {@code uri-host [":" port]} (RFC 9110 7.2, RFC 3986 3.2.2): a reg-name or IPv4 address of
     * unreserved, sub-delims and pct-encoded characters, or an IP literal in brackets; the port
     * all digits. Not empty: an http URI must have a host (RFC 9110 4.2.1).
     */
    static boolean validHost(CharSequence v, int from, int to) {
        if (from >= to) return false;
        int i = from;
        if (v.charAt(i) == '[') {
            int close = i + 1;
            while (close < to && v.charAt(close) != ']') {
                char c = v.charAt(close);
                if (!(hex(c) || c == ':' || c == '.' || c == 'v' || c == 'V' || unreserved(c) || subDelim(c))) return false;
                close++;
            }
            if (close == to || close == i + 1) return false;
            i = close + 1;
        } else {
            int start = i;
            while (i < to && v.charAt(i) != ':') {
                char c = v.charAt(i);
                if (!(unreserved(c) || subDelim(c) || c == '%')) return false;
                i++;
            }
            if (i == start) return false;
        }
        if (i == to) return true;
        if (v.charAt(i) != ':') return false;
        for (i++; i < to; i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') return false;
        }
        return true;
    }

    private static boolean hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean unreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    private static boolean subDelim(char c) {
        return c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+'
                || c == ',' || c == ';' || c == '=';
    }

    // ---- the request target (RFC 9112 3.2) ----

    private static Refusal checkTarget(HttpRequest r) {
        String uri = r.uri();
        if (uri.isEmpty()) return Refusal.TARGET_FORM;
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= ' ' || c == 0x7F || c == '#') return Refusal.TARGET_CHARACTER;
        }
        char first = uri.charAt(0);
        if (first == '/') return null; // origin-form
        if (first == '*' && uri.length() == 1) {
            return HttpMethod.OPTIONS.equals(r.method()) ? null : Refusal.ASTERISK_FORM;
        }
        int authority = schemeEnd(uri);
        if (authority >= 0) {
            int end = authorityEnd(uri, authority);
            return validHost(uri, authority, end) ? null : Refusal.TARGET_AUTHORITY;
        }
        if (uri.contains("://")) return Refusal.TARGET_SCHEME; // ws://, ftp://
        if (uri.indexOf(':') > 0 && validHost(uri, 0, uri.length())) return Refusal.AUTHORITY_FORM; // host:port
        return Refusal.TARGET_FORM; // foo/bar, a bare name
    }

    /** Index just past "http://" or "https://" (any case) at the start of {@code uri}, else -1. */
    private static int schemeEnd(String uri) {
        if (uri.regionMatches(true, 0, "http://", 0, 7)) return 7;
        if (uri.regionMatches(true, 0, "https://", 0, 8)) return 8;
        return -1;
    }

    /** Where the authority that starts at {@code from} ends: at the first '/', '?' or '#'. */
    private static int authorityEnd(String uri, int from) {
        int i = from;
        while (i < uri.length()) {
            char c = uri.charAt(i);
            if (c == '/' || c == '?' || c == '#') break;
            i++;
        }
        return i;
    }

    private static boolean sameAuthority(String uri, CharSequence host) {
        int from = schemeEnd(uri);
        int to = authorityEnd(uri, from);
        if (to - from != host.length()) return false;
        for (int i = 0; i < host.length(); i++) {
            char a = uri.charAt(from + i);
            char b = host.charAt(i);
            if (a != b && Character.toLowerCase(a) != Character.toLowerCase(b)) return false;
        }
        return true;
    }
}
