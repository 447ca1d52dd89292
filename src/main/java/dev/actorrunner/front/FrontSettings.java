package dev.actorrunner.front;

import dev.actorrunner.config.RunnerSettings;
import java.time.Duration;

/**
 * @param host           the public address to bind ("127.0.0.1", "0.0.0.0", "::")
 * @param port           the public port; 0 takes any free one (tests)
 * @param ioThreads      Netty event loop threads shared by accepted and worker connections
 * @param queueTimeout   how long an accepted connection waits for a ready worker before it is closed
 * @param connectTimeout how long a connect to a worker's private port may take before another is tried
 * @param mode           tcp (a connection per worker) or http (a request per worker)
 * @param http           the http mode's settings
 */
public record FrontSettings(String host, int port, int ioThreads, Duration queueTimeout,
                            Duration connectTimeout, RunnerSettings.Mode mode, RunnerSettings.Http http) {

    /** TCP mode. */
    public FrontSettings(String host, int port, int ioThreads, Duration queueTimeout, Duration connectTimeout) {
        this(host, port, ioThreads, queueTimeout, connectTimeout, RunnerSettings.Mode.TCP, RunnerSettings.Http.DEFAULTS);
    }

    /**
     * A connect to a loopback port either succeeds or is refused at once; only a worker whose
     * accept backlog is full makes it wait, and then another worker is the better choice.
     */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    public static FrontSettings of(RunnerSettings s) {
        return new FrontSettings(s.bindHost(), s.port(), s.ioThreads(), s.queueTimeout(), CONNECT_TIMEOUT,
                s.mode(), s.http());
    }
}
