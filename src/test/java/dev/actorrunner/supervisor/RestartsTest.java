package dev.actorrunner.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The Master's crash bookkeeping, without an actor. */
class RestartsTest {
    private static final Duration MIN = Duration.ofSeconds(1);
    private static final Duration MAX = Duration.ofSeconds(4);

    @Test
    void aForkThatReplacesNoCrashedWorkerStartsAtZeroRestarts() {
        Restarts r = new Restarts(MIN, MAX, 3);
        assertEquals(0, r.nextFork());
    }

    @Test
    void aReplacementInheritsTheRestartsOfTheWorkerItReplacesPlusOne() {
        Restarts r = new Restarts(MIN, MAX, 0);
        r.crashed(0);
        r.crashed(4);
        assertEquals(1, r.nextFork());
        assertEquals(5, r.nextFork());
        assertEquals(0, r.nextFork(), "a further fork replaces nobody");
        assertEquals(2, r.crashes());
    }

    @Test
    void crashedWorkersThatNoForkReplacedStartNoLine() {
        Restarts r = new Restarts(MIN, MAX, 0);
        r.crashed(2);
        r.forkedAll(); // a scale down came first: nothing was forked for it
        assertEquals(0, r.nextFork());
        assertEquals(1, r.crashes(), "the crash itself still counts");
    }

    @Test
    void theLimitsFailureInARowBeforeAnyWorkerWasReadyEndsTheBoot() {
        Restarts r = new Restarts(MIN, MAX, 3);
        assertFalse(r.crashed(0));
        assertFalse(r.crashed(0));
        assertTrue(r.crashed(0));
        assertEquals(3, r.bootFailures());
    }

    @Test
    void onceAWorkerWasReadyNoNumberOfCrashesEndsTheBoot() {
        Restarts r = new Restarts(MIN, MAX, 2);
        assertFalse(r.crashed(0));
        r.ready();
        assertEquals(0, r.bootFailures());
        for (int i = 0; i < 10; i++) assertFalse(r.crashed(i));
    }

    @Test
    void aLimitOfZeroRetriesForever() {
        Restarts r = new Restarts(MIN, MAX, 0);
        for (int i = 0; i < 10; i++) assertFalse(r.crashed(0));
    }

    @Test
    void theDelayDoublesPerFailureInARowUpToItsCap() {
        Restarts r = new Restarts(MIN, MAX, 0);
        assertEquals(Duration.ofSeconds(1), r.nextDelay());
        assertEquals(Duration.ofSeconds(2), r.nextDelay());
        assertEquals(Duration.ofSeconds(4), r.nextDelay());
        assertEquals(Duration.ofSeconds(4), r.nextDelay());
        assertEquals(4, r.failuresInRow());
    }

    @Test
    void aStableRunStartsTheDelayOverAndSaysSoOnlyWhenThereWasAFailure() {
        Restarts r = new Restarts(MIN, MAX, 0);
        assertFalse(r.stable(), "nothing to reset");
        r.nextDelay();
        r.nextDelay();
        assertTrue(r.stable());
        assertEquals(0, r.failuresInRow());
        assertEquals(MIN, r.nextDelay());
    }
}
