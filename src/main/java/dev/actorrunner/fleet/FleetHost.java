package dev.actorrunner.fleet;

import dev.actorrunner.ActorRunner;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the fleet needs from the host of its runner (the CLI, or an embedding application): how a
 * reload to another release is made, since only the host knows where the settings come from.
 */
public interface FleetHost {

    /** Whether the workers run an app jar (a fleet reload may then name another one). */
    boolean runsJar();

    /**
     * A reload to {@code jar} (empty: the same settings, read again as a reload reads them); empty
     * when a jar is named but the workers run a command. Not yet sent: the caller adds its replyTo.
     */
    Optional<ActorRunner.Reload> reloadTo(Optional<Path> jar);

    /** The reload to {@code jar} completed and proved healthy: later reloads (SIGHUP) keep running it. */
    void released(Path jar);
}
