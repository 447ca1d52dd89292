package dev.actorrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The built-in logging is conf/logback.xml, the documented example, to the letter. */
class LogDefaultsTest {

    /** What matters of a configuration: levels, additivity, and each appender's name, kind and pattern. */
    private static List<String> shape(LoggerContext context) {
        List<String> shape = new ArrayList<>();
        for (String name : List.of(Logger.ROOT_LOGGER_NAME, "app", "akka.event.slf4j.Slf4jLogger",
                "akka.actor.CoordinatedShutdown")) {
            Logger logger = context.getLogger(name);
            shape.add(name + " " + logger.getLevel() + " additive=" + logger.isAdditive());
            for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
                Appender<ILoggingEvent> a = it.next();
                String pattern = a instanceof ConsoleAppender<ILoggingEvent> c && c.getEncoder() instanceof PatternLayoutEncoder p
                        ? p.getPattern() : "?";
                shape.add("  " + a.getName() + " " + a.getClass().getSimpleName() + " " + pattern);
            }
        }
        return shape;
    }

    @Test
    void theBuiltInConfigurationIsTheDocumentedOne() throws Exception {
        LoggerContext fromXml = new LoggerContext();
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(fromXml);
        joran.doConfigure(Path.of("conf", "logback.xml").toFile());

        LoggerContext fromCode = new LoggerContext();
        new LogDefaults().configure(fromCode);

        assertEquals(shape(fromXml), shape(fromCode));
        assertEquals(LogDefaults.RUNNER_PATTERN, shape(fromCode).get(1).substring("  RUNNER ConsoleAppender ".length()));
    }
}
