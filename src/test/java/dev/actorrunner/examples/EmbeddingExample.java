package dev.actorrunner.examples;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import dev.actorrunner.config.RunnerSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * actor-runner embedded in an Akka application. The application's own actor, {@link Deployer},
 * runs two workers of the demo HTTP app, reloads them once both are listening, asks the runner
 * for its status, and stops it. Run it with
 * {@code java -cp <this project's test classpath> dev.actorrunner.examples.EmbeddingExample};
 * {@code EmbeddingExampleTest} runs it in the build.
 */
public final class EmbeddingExample {

    private EmbeddingExample() {}

    public static void main(String[] args) {
        RunnerSettings settings = settings(System.getProperty("java.class.path"));
        ActorSystem<Deployer.Report> system = ActorSystem.create(Behaviors.setup(context -> {
            context.spawn(Deployer.create(settings, context.getSelf()), "deployer");
            return Behaviors.receiveMessage(report -> {
                context.getLog().info("deployed, reloaded and stopped: {}", report);
                return Behaviors.stopped(); // ends the system
            });
        }), "host", hostConfig());
        system.getWhenTerminated().toCompletableFuture().join();
    }

    /**
     * The host's config (in an application, its application.conf): when the system shuts down,
     * the runner stops its workers in the phase service-stop; a phase longer than drain-timeout
     * plus kill-timeout gives them their full grace.
     */
    static Config hostConfig() {
        return ConfigFactory.parseString("akka.coordinated-shutdown.phases.service-stop.timeout = 20s")
                .withFallback(ConfigFactory.load());
    }

    /** Two workers of the demo app, a JVM each: {@code java -cp CLASSPATH ...HelloServer}. */
    static RunnerSettings settings(String classpath) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return RunnerSettings.builder(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-cp", classpath,
                        "dev.actorrunner.demo.HelloServer"))
                .appName("hello")
                .workers(2)
                .port(0) // the public port: any free one (each runner in a system needs its own)
                .workerPorts(new RunnerSettings.PortRange(23600, 23649)) // disjoint from other runners'
                .drainTimeout(Duration.ofSeconds(5))
                .killTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** The application's actor that owns the runner. */
    public static final class Deployer {

        public sealed interface Command {}

        private record FromRunner(RunnerEvent event) implements Command {}

        private record StatusAnswer(RunnerStatus status, Throwable failure) implements Command {}

        private record ReloadAnswer(ActorRunner.ReloadReply reply, Throwable failure) implements Command {}

        /** The runner's death notice has been through the mailbox once (see {@link #onTerminated}). */
        private enum RunnerGone implements Command { INSTANCE }

        /**
         * What happened, for whoever started the deployer. {@code reload} is the runner's answer to
         * the Reload (which generation it started); it and {@code afterReload} are null if never asked.
         */
        public record Report(boolean stoppedAsAsked, ActorRunner.ReloadReply reload, RunnerStatus afterReload,
                             List<RunnerEvent> events) {}

        public static Behavior<Command> create(RunnerSettings settings, ActorRef<Report> reportTo) {
            return Behaviors.setup(context -> new Deployer(context, settings, reportTo).booting());
        }

        private final ActorContext<Command> context;
        private final RunnerSettings settings;
        private final ActorRef<Report> reportTo;
        private final ActorRef<ActorRunner.Command> runner;
        private final List<RunnerEvent> events = new ArrayList<>();
        private ActorRunner.ReloadReply reload;
        private RunnerStatus afterReload;

        private Deployer(ActorContext<Command> context, RunnerSettings settings, ActorRef<Report> reportTo) {
            this.context = context;
            this.settings = settings;
            this.reportTo = reportTo;
            ActorRef<RunnerEvent> adapter = context.messageAdapter(RunnerEvent.class, FromRunner::new);
            // Subscribed at creation, so no event is missed; watched, so a failed runner is noticed.
            this.runner = context.spawn(ActorRunner.create(settings, List.of(adapter)), "hello-runner");
            context.watch(runner);
        }

        // Booting: the workers start; once all of them listen, reload them.
        private Behavior<Command> booting() {
            return Behaviors.receive(Command.class)
                    .onMessage(FromRunner.class, this::onBootEvent)
                    .onSignal(Terminated.class, this::onTerminated)
                    .onMessageEquals(RunnerGone.INSTANCE, this::onRunnerGone)
                    .build();
        }

        private Behavior<Command> onBootEvent(FromRunner m) {
            events.add(m.event());
            long listening = events.stream().filter(e -> e instanceof RunnerEvent.WorkerListening).count();
            if (listening < settings.workers()) return Behaviors.same();
            context.getLog().info("all {} workers listening: reloading", listening);
            // Reload.INSTANCE would do; asked with a replyTo, the runner says which generation it started.
            context.ask(ActorRunner.ReloadReply.class, runner, Duration.ofSeconds(5), ActorRunner.Reload::new,
                    ReloadAnswer::new);
            return reloading();
        }

        // Reloading: when the reload has ended, ask for the status; with the answer, stop the runner.
        private Behavior<Command> reloading() {
            return Behaviors.receive(Command.class)
                    .onMessage(FromRunner.class, this::onReloadEvent)
                    .onMessage(ReloadAnswer.class, this::onReloadAnswer)
                    .onMessage(StatusAnswer.class, this::onStatus)
                    .onSignal(Terminated.class, this::onTerminated)
                    .onMessageEquals(RunnerGone.INSTANCE, this::onRunnerGone)
                    .build();
        }

        private Behavior<Command> onReloadAnswer(ReloadAnswer m) {
            reload = m.reply();
            context.getLog().info("reload: {}", m.reply() != null ? m.reply() : m.failure());
            return Behaviors.same();
        }

        private Behavior<Command> onReloadEvent(FromRunner m) {
            events.add(m.event());
            if (m.event() instanceof RunnerEvent.ReloadCompleted || m.event() instanceof RunnerEvent.ReloadAborted) {
                context.ask(RunnerStatus.class, runner, Duration.ofSeconds(5), ActorRunner.GetStatus::new,
                        StatusAnswer::new);
            }
            return Behaviors.same();
        }

        private Behavior<Command> onStatus(StatusAnswer m) {
            afterReload = m.status();
            context.getLog().info("after the reload: {}", m.status() != null ? m.status() : m.failure());
            runner.tell(ActorRunner.StopAll.INSTANCE);
            return stopping();
        }

        // Stopping: the workers drain and exit; Stopped is the runner's last word.
        private Behavior<Command> stopping() {
            return Behaviors.receive(Command.class)
                    .onMessage(FromRunner.class, this::onStopEvent)
                    .onSignal(Terminated.class, this::onTerminated)
                    .onMessageEquals(RunnerGone.INSTANCE, this::onRunnerGone)
                    .build();
        }

        private Behavior<Command> onStopEvent(FromRunner m) {
            events.add(m.event());
            if (!(m.event() instanceof RunnerEvent.Stopped)) return Behaviors.same();
            reportTo.tell(new Report(true, reload, afterReload, List.copyOf(events)));
            return Behaviors.stopped();
        }

        // The death notice is a system message and can overtake the Stopped event, which the runner
        // sent first: look again once the messages already queued have been handled.
        private Behavior<Command> onTerminated(Terminated t) {
            context.getSelf().tell(RunnerGone.INSTANCE);
            return Behaviors.same();
        }

        private Behavior<Command> onRunnerGone() {
            context.getLog().error("the runner ended without being asked to");
            reportTo.tell(new Report(false, reload, afterReload, List.copyOf(events)));
            return Behaviors.stopped();
        }
    }
}
