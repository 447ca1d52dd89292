package dev.actorrunner.supervisor;

import akka.actor.typed.javadsl.ActorContext;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.event.Level;

/**
 * The runner's log lines, each tagged with an event name (MDC key {@code event}, e.g.
 * {@code reload.completed}) and, when it is about a worker, the worker's {@code worker}, {@code pid}
 * and {@code generation}, the same keys the workers' own output lines carry. With
 * {@code --log-format json} a collector filters on those fields instead of parsing messages; the
 * text format shows only the message, as before.
 *
 * <p>Used on the Master's thread only: the keys are put right before the line and removed right
 * after, around Akka's own MDC (akkaSource).
 */
public final class EventLog {
    private final ActorContext<?> context;

    /** @param owner the class whose name the lines carry (Akka would otherwise name this one) */
    public EventLog(ActorContext<?> context, Class<?> owner) {
        this.context = context;
        context.setLoggerName(owner);
    }

    public void info(String event, String format, Object... args) {
        at(Level.INFO, event, null, format, args);
    }

    public void info(String event, Entry worker, String format, Object... args) {
        at(Level.INFO, event, worker, format, args);
    }

    public void warn(String event, String format, Object... args) {
        at(Level.WARN, event, null, format, args);
    }

    public void warn(String event, Entry worker, String format, Object... args) {
        at(Level.WARN, event, worker, format, args);
    }

    public void error(String event, String format, Object... args) {
        at(Level.ERROR, event, null, format, args);
    }

    public void error(String event, Entry worker, String format, Object... args) {
        at(Level.ERROR, event, worker, format, args);
    }

    /** A line whose level depends on what happened (see {@link Wording.Line}). */
    public void at(Level level, String event, Entry worker, String format, Object... args) {
        Logger log = context.getLog(); // first: Akka sets its own MDC when the logger is fetched
        if (!log.isEnabledForLevel(level)) return;
        MDC.put("event", event);
        if (worker != null) {
            MDC.put("worker", String.valueOf(worker.id));
            MDC.put("generation", String.valueOf(worker.generation));
            if (worker.pid() >= 0) MDC.put("pid", String.valueOf(worker.pid()));
        }
        try {
            log.atLevel(level).log(format, args);
        } finally {
            MDC.remove("event");
            MDC.remove("worker");
            MDC.remove("generation");
            MDC.remove("pid");
        }
    }
}
