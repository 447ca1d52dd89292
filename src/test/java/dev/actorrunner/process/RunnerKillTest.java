package dev.actorrunner.process;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actorrunner.fixtures.LauncherHost;
import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.fixtures.Reaper;
import java.lang.ProcessBuilder.Redirect;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The requirement: a runner killed by SIGKILL leaves no worker and no grandchild behind. */
class RunnerKillTest {

    @RegisterExtension
    final Reaper reaper = new Reaper();

    @Test
    void sigkilledRunnerTakesWorkersAndTheirChildrenWithinTwoSeconds() throws Exception {
        assumeTrue(LaunchWrapper.setsid().isPresent(), "no setsid/setpriv here");
        Process host = reaper.register(new ProcessBuilder(
                Processes.javaCommand(LauncherHost.class.getName(), "23000", "23099"))
                .redirectError(Redirect.INHERIT).start());
        Matcher pids = Processes.firstMatch(host.getInputStream(),
                Pattern.compile("^worker (\\d+) grandchild (\\d+)$")).get(60, TimeUnit.SECONDS);
        long worker = reaper.register(Long.parseLong(pids.group(1)));
        long grandchild = reaper.register(Long.parseLong(pids.group(2)));
        assertTrue(Processes.isAlive(worker) && Processes.isAlive(grandchild));

        host.destroyForcibly(); // SIGKILL: no shutdown hook, no close(), nothing runs in the host

        assertTrue(Processes.awaitDead(worker, Duration.ofSeconds(2)), "worker survived the runner");
        assertTrue(Processes.awaitDead(grandchild, Duration.ofSeconds(2)), "grandchild survived the runner");
    }
}
