package dev.actorrunner.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import dev.actorrunner.config.RunnerSettings.LogFormat;
import java.net.URL;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-format text|json}. Logback configures itself from the jar's logback.xml (text) when
 * the first logger is made, before the settings are read; json then replaces that configuration
 * with the jar's logback-json.xml, once, before the runner logs anything. A configuration of the
 * user's own ({@code -Dlogback.configurationFile}) is left in force: it decides the format, and
 * may read the system property {@value #PROPERTY}, set here to the format asked for.
 */
final class LogFormats {

    static final String PROPERTY = "actor-runner.log-format";
    static final String JSON_RESOURCE = "/logback-json.xml";

    private LogFormats() {}

    static void apply(LogFormat format) {
        System.setProperty(PROPERTY, format.name().toLowerCase(Locale.ROOT));
        if (format != LogFormat.JSON || System.getProperty("logback.configurationFile") != null) return;
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return; // not logback
        URL json = LogFormats.class.getResource(JSON_RESOURCE);
        if (json == null) return;
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(json);
        } catch (Exception e) {
            System.err.println(CliErrors.PREFIX + "logging: cannot switch to JSON: " + e.getMessage());
        }
    }
}
