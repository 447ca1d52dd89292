package dev.actorrunner.front;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/** Placeholder until the strict rules land (branch strict): duplicate Host only. */
final class HttpRules {
    private HttpRules() {}

    static String refusal(HttpRequest r) {
        return r.headers().getAll(HttpHeaderNames.HOST).size() > 1 ? "two Host headers" : null;
    }
}
