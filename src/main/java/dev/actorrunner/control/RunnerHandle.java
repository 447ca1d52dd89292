package dev.actorrunner.control;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A running runner as seen from outside any actor: the control socket's and the metrics' threads
 * reach it only through its public messages. Messages sent from one thread reach the runner in
 * the order they were sent, which the reload and stop requests rely on.
 */
public final class RunnerHandle {
    private static final AtomicLong names = new AtomicLong();

    private final ActorSystem<?> system;
    private final ActorRef<ActorRunner.Command> runner;

    public RunnerHandle(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner) {
        this.system = system;
        this.runner = runner;
    }

    public void tell(ActorRunner.Command command) {
        runner.tell(command);
    }

    /** The runner's status; fails with a TimeoutException if it does not answer in {@code timeout}. */
    public CompletionStage<RunnerStatus> status(Duration timeout) {
        return AskPattern.ask(runner, ActorRunner.GetStatus::new, timeout, system.scheduler());
    }

    /**
     * Subscribes a small actor that puts every event in a queue for the calling thread to take.
     * Subscribed before this returns, as far as ordering goes: a command told after it reaches the
     * runner after the Subscribe, so none of its events is missed.
     */
    public Subscription subscribe() {
        BlockingQueue<RunnerEvent> queue = new LinkedBlockingQueue<>();
        ActorRef<Object> forwarder = system.systemActorOf(forwarder(queue),
                "control-events-" + names.incrementAndGet(), Props.empty());
        ActorRef<RunnerEvent> events = forwarder.narrow();
        runner.tell(new ActorRunner.Subscribe(events));
        return new Subscription(queue, () -> runner.tell(new ActorRunner.Unsubscribe(events)),
                () -> forwarder.tell(Stop.INSTANCE));
    }

    /**
     * Hands every event from now on to {@code listener}, on an actor's thread: it must return at
     * once (count, enqueue), never block. For the runner's life.
     */
    public void listen(java.util.function.Consumer<RunnerEvent> listener) {
        ActorRef<RunnerEvent> ref = system.systemActorOf(Behaviors.receive(RunnerEvent.class)
                .onAnyMessage(e -> {
                    listener.accept(e);
                    return Behaviors.same();
                }).build(), "control-listener-" + names.incrementAndGet(), Props.empty());
        runner.tell(new ActorRunner.Subscribe(ref));
    }

    private enum Stop { INSTANCE }

    private static Behavior<Object> forwarder(BlockingQueue<RunnerEvent> queue) {
        return Behaviors.receive(Object.class)
                .onMessage(RunnerEvent.class, e -> {
                    queue.add(e); // unbounded: a reload's events are a handful per worker
                    return Behaviors.same();
                })
                .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                .build();
    }

    /** Events from subscribing on; {@link #close()} unsubscribes. */
    public static final class Subscription implements AutoCloseable {
        private final BlockingQueue<RunnerEvent> queue;
        private final Runnable unsubscribe;
        private final Runnable stopForwarder;
        private boolean runnerGone;

        Subscription(BlockingQueue<RunnerEvent> queue, Runnable unsubscribe, Runnable stopForwarder) {
            this.queue = queue;
            this.unsubscribe = unsubscribe;
            this.stopForwarder = stopForwarder;
        }

        /** The next event, or null after {@code timeout}. */
        public RunnerEvent next(Duration timeout) throws InterruptedException {
            RunnerEvent e = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (e instanceof RunnerEvent.Stopped) runnerGone = true;
            return e;
        }

        /** The runner has ended (its system may be gone too): close() sends it nothing more. */
        public void runnerGone() {
            runnerGone = true;
        }

        @Override
        public void close() {
            // An Unsubscribe to a runner that has stopped would only be logged as a dead letter.
            if (!runnerGone) unsubscribe.run();
            stopForwarder.run();
        }
    }
}
