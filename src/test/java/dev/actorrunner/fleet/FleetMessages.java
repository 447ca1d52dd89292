package dev.actorrunner.fleet;

import akka.actor.typed.ActorRef;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Examples of every fleet message, for the serializer's tests. */
final class FleetMessages {
    private FleetMessages() {}

    static List<FleetMessage> examples(ActorRef<Object> ref) {
        String sha = "ab".repeat(32);
        return List.of(
                new NodeEntry("web-1", "akka://actor-runner-fleet@10.0.0.1:2551", "app.jar", "/srv/app/releases/7/app.jar",
                        sha, 3, 2, 2, "reloading to 3 (1 of 2 replaced)", "plan p-1: done \"ok\"\n", 1_764_000_000_123L),
                new Plan("p-2", "p-1", "/srv/app/releases/8/app.jar", sha, 2, 1, Plan.RUNNING, "",
                        List.of(new Plan.Step("web-1", Plan.Step.DONE, "generation 4", 1_764_000_000_000L),
                                new Plan.Step("web-2", Plan.Step.PENDING, "", 0)), 1_764_000_000_000L, 1_764_000_000_999L),
                new FleetNode.CheckJar("p-1", "/srv/app.jar", sha, ref.narrow()),
                new FleetNode.RunStep("p-1", "/srv/app.jar", sha, 10_000, ref.narrow()),
                new Coordinator.StartRoll("/srv/app.jar", sha, 1, 1, ref.narrow()),
                new Coordinator.Promote(ref.narrow()),
                new Coordinator.Abort(ref.narrow()),
                new Coordinator.RollAnswer(2, "", "unreachable members: web-3"),
                new Coordinator.JarChecked("p-1", "web-2", "", sha),
                new Coordinator.StepReport("p-1", "web-2", Plan.Step.FAILED, "reload 4 aborted: worker 7 not ready"));
    }

    /** Every class of the fleet package that implements FleetMessage, found in the compiled classes. */
    static List<Class<?>> types() throws IOException, URISyntaxException {
        Path dir = Path.of(FleetMessage.class.getResource("FleetMessage.class").toURI()).getParent();
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".class"))
                    .map(n -> load("dev.actorrunner.fleet." + n.substring(0, n.length() - ".class".length())))
                    .filter(c -> FleetMessage.class.isAssignableFrom(c) && !c.isInterface())
                    .<Class<?>>map(c -> c).toList();
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, FleetMessages.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
