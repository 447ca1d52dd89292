package dev.actorrunner.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The Master's counting decisions, as pure functions. */
class PlanTest {

    @Test
    void scaleSetsOrAddsToTheDesiredCountButNeverBelowOne() {
        assertEquals(5, Plan.scaled(2, false, 5));
        assertEquals(4, Plan.scaled(2, true, 2));
        assertEquals(1, Plan.scaled(2, true, -3));
        assertEquals(1, Plan.scaled(2, false, 0));
    }
}
