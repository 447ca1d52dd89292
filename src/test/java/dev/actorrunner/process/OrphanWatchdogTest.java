package dev.actorrunner.process;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.actorrunner.fixtures.Processes;
import dev.actorrunner.fixtures.Reaper;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class OrphanWatchdogTest {

    @RegisterExtension
    final Reaper reaper = new Reaper();
    private final OrphanWatchdog watchdog = new OrphanWatchdog();

    @BeforeEach
    void needsSetsid() {
        assumeTrue(LaunchWrapper.setsid().isPresent(), "no setsid/setpriv here");
        reaper.closeLater(watchdog);
    }

    /** A {@code sleep} leading a process group of its own; the group holds a second sleep. */
    private long group() throws IOException {
        Process leader = new ProcessBuilder(LaunchWrapper.setsid().orElseThrow(), "sh", "-c", "sleep 600 & exec sleep 600")
                .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start();
        reaper.register(leader);
        assertTrue(Processes.poll(() -> ProcessHandle.of(leader.pid()).orElseThrow().children().count() == 1,
                Duration.ofSeconds(5)));
        return leader.pid();
    }

    private static long member(long leader) {
        return ProcessHandle.of(leader).orElseThrow().children().findFirst().orElseThrow().pid();
    }

    @Test
    void atEofKillsEveryGroupStillRegisteredAndNoOther() throws IOException {
        long kept = group();
        long removed = group();
        watchdog.add(kept);
        watchdog.add(removed);
        watchdog.add(kept); // twice is once
        watchdog.remove(removed);
        long keptMember = member(kept);

        watchdog.close();

        assertTrue(Processes.awaitDead(kept, Duration.ofSeconds(2)));
        assertTrue(Processes.awaitDead(keptMember, Duration.ofSeconds(2)), "a member of the group survived");
        assertTrue(Processes.isAlive(removed), "a deregistered group was killed");
    }

    @Test
    void ignoresTheSignalsAGroupOrTerminalWouldSend() throws Exception {
        long group = group();
        watchdog.add(group);
        long shell = watchdog.pid();
        // Until the shell has run its first line (the trap) these signals would still kill it.
        assertTrue(Processes.poll(() -> Processes.ignores(shell, 1) && Processes.ignores(shell, 2)
                && Processes.ignores(shell, 15), Duration.ofSeconds(5)), "the trap never took effect");
        for (String signal : new String[] {"HUP", "INT", "TERM"}) {
            new ProcessBuilder("kill", "-" + signal, String.valueOf(shell)).start().waitFor();
        }
        watchdog.close(); // it is still there to act on EOF
        assertTrue(Processes.awaitDead(group, Duration.ofSeconds(2)));
    }

    @Test
    void aKilledWatchdogIsReplacedAndToldTheWholeSet() throws Exception {
        long first = group();
        watchdog.add(first);
        long shell = watchdog.pid();
        ProcessHandle.of(shell).orElseThrow().destroyForcibly();
        assertTrue(Processes.awaitDead(shell, Duration.ofSeconds(2)));

        long second = group();
        watchdog.add(second); // finds it dead, starts a new one, replays both groups
        watchdog.close();

        assertTrue(Processes.awaitDead(first, Duration.ofSeconds(2)));
        assertTrue(Processes.awaitDead(second, Duration.ofSeconds(2)));
    }
}
