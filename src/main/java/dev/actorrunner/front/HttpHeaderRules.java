package dev.actorrunner.front;

import dev.actorrunner.config.RunnerSettings;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Locale;
import java.util.Set;

/**
 * How http mode rewrites what it relays, in one place: the hop-by-hop headers of either side never
 * pass (RFC 9110 7.6.1), the worker gets HTTP/1.1 kept alive and the X-Forwarded-* headers, the
 * client gets HTTP/1.1 with its own Connection and a framing it can read. Each rewrites the decoded
 * message in place: the codec made it for this exchange alone, so there is nothing to copy.
 */
final class HttpHeaderRules {
    /** Hop-by-hop headers beyond those the Connection header lists. */
    private static final CharSequence[] HOP_BY_HOP = {HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_CONNECTION, HttpHeaderNames.TE, HttpHeaderNames.UPGRADE,
            HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION};
    private static final Set<String> FRAMING = Set.of("host", "content-length", "transfer-encoding");
    private static final String X_FORWARDED_FOR = "X-Forwarded-For";
    private static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
    private static final String X_FORWARDED_HOST = "X-Forwarded-Host";

    private HttpHeaderRules() {}

    /** A request that asks to switch protocols (Connection: upgrade and an Upgrade header). */
    static boolean isUpgrade(HttpRequest r) {
        HttpHeaders h = r.headers();
        return h.contains(HttpHeaderNames.UPGRADE) && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /**
     * The request as the worker gets it: HTTP/1.1, kept alive, origin-form (RFC 9112 3.2.1: an
     * absolute-form target is for proxies), a Host (an HTTP/1.0 request may have none: the address
     * the client connected to), hop-by-hop headers gone, X-Forwarded-*.
     */
    static void toWorker(HttpRequest r, boolean upgrade, String clientIp, String localAuthority, RunnerSettings.Http http) {
        HttpHeaders h = r.headers();
        String uri = r.uri();
        if (!uri.isEmpty() && uri.charAt(0) != '/' && uri.charAt(0) != '*') r.setUri(HttpRules.originForm(uri));
        String upgradeTo = upgrade ? h.get(HttpHeaderNames.UPGRADE) : null;
        removeHopByHop(h);
        if (upgrade) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            h.set(HttpHeaderNames.UPGRADE, upgradeTo);
        }
        if (http.forwardedHeaders()) addForwarded(h, clientIp, http.trustForwarded());
        if (!h.contains(HttpHeaderNames.HOST)) h.set(HttpHeaderNames.HOST, localAuthority); // after: X-Forwarded-Host is the client's
        r.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /**
     * A response head as the client gets it: HTTP/1.1, hop-by-hop headers gone; a final response
     * without a length of its own (one the worker ends by closing) is chunked, so that the client's
     * connection stays; {@code Connection: close} when the client's connection ends after it.
     */
    static void toClient(HttpResponse res, boolean finalResponse, boolean headRequest, boolean clientKeepAlive) {
        HttpHeaders h = res.headers();
        removeHopByHop(h);
        if (finalResponse) {
            int code = res.status().code();
            boolean framed = HttpUtil.isTransferEncodingChunked(res) || HttpUtil.isContentLengthSet(res)
                    || code == 204 || code == 304 || headRequest;
            if (!framed) HttpUtil.setTransferEncodingChunked(res, true);
            if (!clientKeepAlive) h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        res.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /** The headers the Connection header names, then the fixed hop-by-hop ones. */
    private static void removeHopByHop(HttpHeaders h) {
        String connection = h.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            for (String listed : h.getAll(HttpHeaderNames.CONNECTION)) {
                int from = 0;
                while (from < listed.length()) {
                    int comma = listed.indexOf(',', from);
                    int to = comma < 0 ? listed.length() : comma;
                    String name = listed.substring(from, to).strip();
                    // Never the framing or the Host (HttpRules refuses a request naming them; a
                    // response naming them keeps them): removing them would unframe the message.
                    if (!name.isEmpty() && !FRAMING.contains(name.toLowerCase(Locale.ROOT))) h.remove(name);
                    from = to + 1;
                }
            }
        }
        for (CharSequence name : HOP_BY_HOP) h.remove(name);
    }

    private static void addForwarded(HttpHeaders h, String ip, boolean trust) {
        String host = h.get(HttpHeaderNames.HOST);
        if (trust) {
            String chain = h.get(X_FORWARDED_FOR);
            h.set(X_FORWARDED_FOR, chain == null || chain.isBlank() ? ip : chain + ", " + ip);
            if (!h.contains(X_FORWARDED_PROTO)) h.set(X_FORWARDED_PROTO, "http");
            if (!h.contains(X_FORWARDED_HOST) && host != null) h.set(X_FORWARDED_HOST, host);
        } else {
            h.set(X_FORWARDED_FOR, ip);
            h.set(X_FORWARDED_PROTO, "http");
            if (host != null) {
                h.set(X_FORWARDED_HOST, host);
            } else {
                h.remove(X_FORWARDED_HOST);
            }
        }
    }
}
