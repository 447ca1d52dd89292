package dev.actorrunner.front;

import dev.actorrunner.config.RunnerSettings;
import java.time.Duration;

/**
 * @param host           the public address to bind ("127.0.0.1", "0.0.0.0", "::")
 * @param port           the public port; 0 takes any free one (tests)
 * @param ioThreads      Netty event loop threads shared by accepted and worker connections
 * @param queueTimeout   how long an accepted connection waits for a ready worker before it is closed
 * @param connectTimeout how long a connect to a worker's private port may take before another is tried
 * @param mode           tcp (a connection per worker), http (a request per worker) or auto (either,
 *                       by the connection's first bytes)
 * @param http           the http mode's settings, and auto mode's max-initial-line and sniff-timeout
 * @param passive        when the front reports a worker whose requests keep failing
 * @param transport      the Netty transport (auto: the best this kernel offers)
 */
public record FrontSettings(String host, int port, int ioThreads, Duration queueTimeout,
                            Duration connectTimeout, RunnerSettings.Mode mode, RunnerSettings.Http http,
                            Passive passive, RunnerSettings.Transport transport) {

    /**
     * Passive health checks: {@code failures} requests (http mode) or connects in a row that
     * failed make the front report the worker, once per run. A request fails when no byte of its
     * response came within {@code unanswered} (it still waits, up to response-timeout), or when
     * its connect failed. {@link #OFF}: nothing is reported.
     */
    public record Passive(int failures, Duration unanswered) {
        public static final Passive OFF = new Passive(0, Duration.ZERO);

        public boolean on() {
            return failures > 0;
        }
    }

    public FrontSettings(String host, int port, int ioThreads, Duration queueTimeout, Duration connectTimeout,
                         RunnerSettings.Mode mode, RunnerSettings.Http http, Passive passive) {
        this(host, port, ioThreads, queueTimeout, connectTimeout, mode, http, passive, RunnerSettings.Transport.AUTO);
    }

    /** TCP mode. */
    public FrontSettings(String host, int port, int ioThreads, Duration queueTimeout, Duration connectTimeout) {
        this(host, port, ioThreads, queueTimeout, connectTimeout, RunnerSettings.Mode.TCP, RunnerSettings.Http.DEFAULTS);
    }

    /** Without passive health checks. */
    public FrontSettings(String host, int port, int ioThreads, Duration queueTimeout, Duration connectTimeout,
                         RunnerSettings.Mode mode, RunnerSettings.Http http) {
        this(host, port, ioThreads, queueTimeout, connectTimeout, mode, http, Passive.OFF);
    }

    /**
     * A connect to a loopback port either succeeds or is refused at once; only a worker whose
     * accept backlog is full makes it wait, and then another worker is the better choice.
     */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    public static FrontSettings of(RunnerSettings s) {
        boolean checked = !(s.liveness() instanceof RunnerSettings.Health.Check.Off);
        return new FrontSettings(s.bindHost(), s.port(), s.ioThreads(), s.queueTimeout(), CONNECT_TIMEOUT,
                s.mode(), s.http(), checked ? new Passive(s.health().failures(), s.health().timeout()) : Passive.OFF,
                s.transport());
    }
}
