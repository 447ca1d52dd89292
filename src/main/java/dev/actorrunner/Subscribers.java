package dev.actorrunner;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * Who gets the runner's events. Each subscriber is watched: one that stops is dropped when the
 * runner hears of it ({@code gone}), so a subscriber can never harm the runner.
 */
final class Subscribers {
    private final ActorContext<ActorRunner.Command> context;
    private final Function<ActorRef<RunnerEvent>, ActorRunner.Command> gone;
    private final Set<ActorRef<RunnerEvent>> refs = new LinkedHashSet<>();

    /** @param gone the message the runner gets when a subscriber stops */
    Subscribers(ActorContext<ActorRunner.Command> context, Function<ActorRef<RunnerEvent>, ActorRunner.Command> gone) {
        this.context = context;
        this.gone = gone;
    }

    /** Subscribing twice changes nothing. */
    void add(ActorRef<RunnerEvent> subscriber) {
        if (refs.add(subscriber)) context.watchWith(subscriber, gone.apply(subscriber));
    }

    void remove(ActorRef<RunnerEvent> subscriber) {
        if (refs.remove(subscriber)) context.unwatch(subscriber);
    }

    void publish(RunnerEvent event) {
        refs.forEach(s -> s.tell(event));
    }
}
