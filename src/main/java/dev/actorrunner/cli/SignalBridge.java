package dev.actorrunner.cli;

import dev.actorrunner.ActorRunner;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns signals into runner commands: HUP reloads, TERM and INT stop, TTIN adds a worker, TTOU
 * removes one. The JVM runs each handler on a fresh thread, so a handler only hands the command
 * over ({@code tell}); the runner does the work. Once TERM and INT are handled the JVM no longer
 * exits on them: the runner's {@code Stopped} event ends the process instead.
 *
 * <p>{@code sun.misc.Signal} is used through reflection: a direct reference draws a javac warning
 * that no annotation suppresses, and the build keeps -Xlint clean.
 */
final class SignalBridge {

    private static final Logger log = LoggerFactory.getLogger(SignalBridge.class);

    /** A handled signal, its Linux number (for the SigIgn mask) and what it asks of the runner. */
    record Binding(String name, int number, ActorRunner.Command command, String effect) {}

    static final List<Binding> BINDINGS = List.of(
            new Binding("HUP", 1, ActorRunner.Reload.INSTANCE, "reload the workers"),
            new Binding("INT", 2, ActorRunner.StopAll.INSTANCE, "stop the runner"),
            new Binding("TERM", 15, ActorRunner.StopAll.INSTANCE, "stop the runner"),
            new Binding("TTIN", 21, ActorRunner.Scale.by(1), "add a worker"),
            new Binding("TTOU", 22, ActorRunner.Scale.by(-1), "remove a worker"));

    private SignalBridge() {}

    /** Installs a handler per binding that passes its command to {@code target}; never throws. */
    static void install(Consumer<ActorRunner.Command> target) {
        install(target, () -> ActorRunner.Reload.INSTANCE);
    }

    /**
     * As {@link #install(Consumer)}, with HUP sending what {@code reload} makes (the CLI's reads
     * the config file again; making it only starts the read on a thread of its own).
     */
    static void install(Consumer<ActorRunner.Command> target, Supplier<ActorRunner.Reload> reload) {
        warnIfIgnored(ignored(procSelfStatus()));
        SunMiscSignal signals;
        try {
            signals = new SunMiscSignal();
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("signals cannot be handled on this JVM ({}): stop the runner with SIGKILL only", e.toString());
            return;
        }
        for (Binding b : BINDINGS) {
            try {
                signals.handle(b.name(), () -> target.accept(b.command() instanceof ActorRunner.Reload ? reload.get() : b.command()));
            } catch (ReflectiveOperationException | RuntimeException e) {
                Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
                log.warn("cannot handle SIG{} ({}): it will not {}", b.name(), cause.getMessage(), b.effect());
            }
        }
    }

    /**
     * USR2 upgrades the runner (as nginx, unicorn and gunicorn do). HotSpot on Linux leaves it free
     * (checked on Java 17 and 25: the handler installs and runs; the JVM keeps QUIT for its thread
     * dumps). The handler only hands over to the upgrade; never throws.
     */
    static void installUpgrade(Runnable upgrade) {
        try {
            new SunMiscSignal().handle("USR2", upgrade);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
            log.warn("cannot handle SIGUSR2 ({}): upgrade with actor-runner upgrade instead", cause.getMessage());
        }
    }

    /**
     * The bindings whose signal is ignored per the {@code SigIgn} line of /proc/self/status (a hex
     * mask, bit n-1 for signal n). A signal ignored when the JVM started never reaches a handler,
     * though installing one reports success: under {@code nohup}, HUP would never reload.
     */
    static List<Binding> ignored(String procStatus) {
        for (String line : procStatus.split("\n")) {
            if (!line.startsWith("SigIgn:")) continue;
            try {
                long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).strip(), 16);
                return BINDINGS.stream().filter(b -> (mask >>> (b.number() - 1) & 1) == 1).toList();
            } catch (NumberFormatException e) {
                return List.of();
            }
        }
        return List.of();
    }

    private static void warnIfIgnored(List<Binding> ignored) {
        for (Binding b : ignored) {
            String hint = b.name().equals("HUP") ? " (started under nohup?)" : " (inherited from the parent process)";
            log.warn("SIG{} is ignored by this process{}: it will not {}", b.name(), hint, b.effect());
        }
    }

    private static String procSelfStatus() {
        try {
            return Files.readString(Path.of("/proc/self/status"));
        } catch (IOException | RuntimeException e) {
            return ""; // not Linux: nothing to check
        }
    }

    /** sun.misc.Signal and SignalHandler, reached by reflection. */
    static final class SunMiscSignal {
        private final Class<?> handlerType;
        private final Constructor<?> newSignal;
        private final Method handle;

        SunMiscSignal() throws ReflectiveOperationException {
            Class<?> signalType = Class.forName("sun.misc.Signal");
            handlerType = Class.forName("sun.misc.SignalHandler");
            newSignal = signalType.getConstructor(String.class);
            handle = signalType.getMethod("handle", signalType, handlerType);
        }

        /** {@code Signal.handle(new Signal(name), handler)}. */
        void handle(String name, Runnable onSignal) throws ReflectiveOperationException {
            handle.invoke(null, newSignal.newInstance(name), handler(name, onSignal));
        }

        /** A SignalHandler whose {@code handle(Signal)} runs {@code onSignal}. */
        Object handler(String name, Runnable onSignal) {
            return Proxy.newProxyInstance(SignalBridge.class.getClassLoader(), new Class<?>[] {handlerType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            onSignal.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "actor-runner handler of SIG" + name;
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }
}
