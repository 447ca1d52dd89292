package dev.actorrunner.fleet;

import java.util.List;

/** Examples of every fleet message, for the serializer's tests. */
final class FleetMessages {
    private FleetMessages() {}

    static List<FleetMessage> examples() {
        return List.of(
                new NodeEntry("web-1", "akka://actor-runner-fleet@10.0.0.1:2551", "app.jar", "/srv/app/releases/7/app.jar",
                        "ab".repeat(32), 3, 2, 2, "reloading to 3 (1 of 2 replaced)", "plan p-1: done \"ok\"\n",
                        1_764_000_000_123L));
    }

    /** Every class that implements FleetMessage in the fleet package. */
    static List<Class<?>> types() {
        return List.of(NodeEntry.class);
    }
}
