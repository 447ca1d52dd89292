package dev.actorrunner.cli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import dev.actorrunner.ActorRunner;
import dev.actorrunner.RunnerEvent;
import dev.actorrunner.RunnerStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The moment a runner first has all its workers ready: what systemd's {@code READY=1} and an
 * upgrade's {@code READY} wait for. Follows the runner's events (never polls): at each worker
 * that enters rotation it asks the runner's status and compares the ready count with the desired
 * one. Completes with empty then, or with the reason when the runner stops or gives up first.
 */
final class AllReady {
    private static final AtomicLong names = new AtomicLong();

    private AllReady() {}

    /** Status asked, or the event that ends the watch. */
    private sealed interface Msg {}

    private record Event(RunnerEvent event) implements Msg {}

    private record Status(RunnerStatus status) implements Msg {}

    enum StatusFailed implements Msg { INSTANCE }

    static CompletableFuture<Optional<String>> watch(ActorSystem<?> system, ActorRef<ActorRunner.Command> runner) {
        CompletableFuture<Optional<String>> done = new CompletableFuture<>();
        system.systemActorOf(behavior(runner, done), "all-ready-" + names.incrementAndGet(), Props.empty());
        return done;
    }

    private static Behavior<Msg> behavior(ActorRef<ActorRunner.Command> runner, CompletableFuture<Optional<String>> done) {
        return Behaviors.setup(context -> {
            ActorRef<RunnerEvent> events = context.messageAdapter(RunnerEvent.class, Event::new);
            runner.tell(new ActorRunner.Subscribe(events));
            int[] asking = {0}; // status asks not yet answered: the actor stops only once none is, or its answer is a dead letter
            Runnable ask = () -> {
                asking[0]++;
                context.ask(RunnerStatus.class, runner, Duration.ofSeconds(10), ActorRunner.GetStatus::new,
                        (status, failure) -> status != null ? new Status(status) : StatusFailed.INSTANCE);
            };
            // Asked once at the start too: the workers may all be ready before the subscription.
            ask.run();
            return Behaviors.receive(Msg.class)
                    .onMessage(Event.class, m -> {
                        if (done.isDone()) return Behaviors.same();
                        if (m.event() instanceof RunnerEvent.WorkerListening) ask.run();
                        if (m.event() instanceof RunnerEvent.BootFailed b) end(runner, events, done, Optional.of(b.reason()));
                        if (m.event() instanceof RunnerEvent.Stopped) end(runner, events, done, Optional.of("the runner stopped"));
                        return asking[0] == 0 && done.isDone() ? Behaviors.stopped() : Behaviors.same();
                    })
                    .onMessage(Status.class, m -> {
                        asking[0]--;
                        RunnerStatus s = m.status();
                        if (!done.isDone() && s.stopping()) end(runner, events, done, Optional.of("the runner is stopping"));
                        if (!done.isDone() && s.readyCount() >= s.desiredWorkers()) end(runner, events, done, Optional.empty());
                        return asking[0] == 0 && done.isDone() ? Behaviors.stopped() : Behaviors.same();
                    })
                    .onMessageEquals(StatusFailed.INSTANCE, () -> {
                        asking[0]--; // the next event asks again
                        return asking[0] == 0 && done.isDone() ? Behaviors.stopped() : Behaviors.same();
                    })
                    .build();
        });
    }

    private static void end(ActorRef<ActorRunner.Command> runner, ActorRef<RunnerEvent> events,
                            CompletableFuture<Optional<String>> done, Optional<String> outcome) {
        runner.tell(new ActorRunner.Unsubscribe(events));
        done.complete(outcome);
    }
}
