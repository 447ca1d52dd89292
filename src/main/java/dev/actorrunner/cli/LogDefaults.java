package dev.actorrunner.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The runner's logging when nobody configured any: what conf/logback.xml says, built in code.
 * Logback finds this class through the runnable jar's service file (not the library jar's: a host
 * that embeds the runner keeps its own logging). Joran, logback's XML reader, and the JDK's XML
 * parser cost about 600 classes, 6 MiB of RSS and a fifth of a second at every start
 * (bench/startup.sh); they are loaded only for a configuration of the user's own
 * ({@code -Dlogback.configurationFile}) or {@code --log-format json}. {@code LogDefaultsTest}
 * keeps this and conf/logback.xml the same.
 */
public final class LogDefaults extends ContextAwareBase implements Configurator {

    static final String RUNNER_PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0}: %msg%n";
    static final String APP_PATTERN = "%d{HH:mm:ss.SSS} %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console(context, "RUNNER", RUNNER_PATTERN));
        // The workers' output: the message already names worker and pid.
        Logger app = context.getLogger("app");
        app.setLevel(Level.INFO);
        app.setAdditive(false);
        app.addAppender(console(context, "APP", APP_PATTERN));
        context.getLogger("akka.event.slf4j.Slf4jLogger").setLevel(Level.WARN);
        context.getLogger("akka.actor.CoordinatedShutdown").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static ConsoleAppender<ILoggingEvent> console(LoggerContext context, String name, String pattern) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(pattern);
        encoder.start();
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(name);
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }
}
