package dev.actorrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.actorrunner.RunnerEvent.ReloadStep;
import dev.actorrunner.RunnerEvent.ReloadStep.Kind;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A reload step in the words of the log, which the README and the integration tests quote. */
class RunnerEventTest {

    private static ReloadStep step(Kind kind, List<Integer> draining) {
        return new ReloadStep(3, kind, 5, Duration.ofMillis(2140), Duration.ofSeconds(5), draining, 1, 2);
    }

    @Test
    void aStepListsEachWorkerItRetiredAndCountsTheReplaced() {
        assertEquals("worker 5 ready in 2.1s (1 of 2 replaced)", step(Kind.READY, List.of()).message());
        assertEquals("worker 5 ready in 2.1s, draining worker 2 (1 of 2 replaced)", step(Kind.READY, List.of(2)).message());
        assertEquals("worker 5 ready in 2.1s, draining worker 2, draining worker 3 (1 of 2 replaced)",
                step(Kind.READY, List.of(2, 3)).message());
    }

    @Test
    void settlingAndSettledStepsSayHowLongTheNewWorkerServes() {
        assertEquals("worker 5 ready in 2.1s, settling for 5s", step(Kind.SETTLING, List.of()).message());
        assertEquals("worker 5 settled, up 2.1s, draining worker 2 (1 of 2 replaced)",
                step(Kind.SETTLED, List.of(2)).message());
    }

    @Test
    void stopFirstDrainsBeforeAnyReplacementIsReady() {
        assertEquals("draining worker 1 (1 of 2 replaced)",
                new ReloadStep(2, Kind.DRAINING, 0, Duration.ZERO, Duration.ZERO, List.of(1), 1, 2).message());
    }
}
