package dev.actorrunner.front;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Turns a configured host into an address to bind, bounded in time. An IP literal is parsed at
 * once; a host name goes through the system resolver (getaddrinfo), which cannot be interrupted
 * and, when no DNS server answers, waits out its own timeouts per server and attempt (5 s each by
 * default, so half a minute or more). The runner gives up after {@link #RESOLVE_TIMEOUT} instead
 * and leaves the lookup to finish on a daemon thread of its own.
 */
public final class BindAddresses {

    /** Enough for a resolver's one retry (its first timeout is 5 s); an IP address needs none. */
    public static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(10);

    /** The lookup itself; tests give one that never answers. */
    interface Lookup {
        InetAddress lookup(String host) throws UnknownHostException;
    }

    private BindAddresses() {}

    /**
     * The address of {@code host}, within {@link #RESOLVE_TIMEOUT}. The exception's message is the
     * reason alone, for "cannot listen on HOST:PORT: reason": "unknown host" or "host name did not
     * resolve within 10s".
     */
    public static InetAddress resolve(String host) throws UnknownHostException {
        return resolve(host, RESOLVE_TIMEOUT, InetAddress::getByName);
    }

    static InetAddress resolve(String host, Duration timeout, Lookup lookup) throws UnknownHostException {
        CompletableFuture<InetAddress> address = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                address.complete(lookup.lookup(host));
            } catch (Throwable e) {
                address.completeExceptionally(e);
            }
        }, "actor-runner-resolve");
        thread.setDaemon(true); // a lookup that still hangs must not keep the JVM from exiting
        thread.start();
        try {
            return address.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new UnknownHostException("host name did not resolve within " + show(timeout));
        } catch (ExecutionException e) {
            throw new UnknownHostException(e.getCause() instanceof UnknownHostException ? "unknown host"
                    : "cannot resolve: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnknownHostException("interrupted while resolving");
        }
    }

    private static String show(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
