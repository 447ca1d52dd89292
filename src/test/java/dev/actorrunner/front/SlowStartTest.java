package dev.actorrunner.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** The ramp, who ramps, and what share of picks a ramping worker gets: a test clock and evenly spread chances. */
class SlowStartTest {
    private static final long WINDOW = TimeUnit.SECONDS.toNanos(10);
    private final AtomicLong clock = new AtomicLong(TimeUnit.HOURS.toNanos(1));

    /** 0.0005, 0.0015, ... 0.9995, over and over: each thousand picks meet every chance once. */
    private static DoubleSupplier evenly() {
        AtomicInteger i = new AtomicInteger();
        return () -> (i.getAndIncrement() % 1000 + 0.5) / 1000;
    }

    @Test
    void theWeightRampsLinearlyFromItsFloorToFullAndZeroIsOff() {
        assertEquals(0.1, SlowStart.weight(0, WINDOW));
        assertEquals(0.1, SlowStart.weight(WINDOW / 20, WINDOW), "the floor holds the first tenth");
        assertEquals(0.25, SlowStart.weight(WINDOW / 4, WINDOW), 1e-9);
        assertEquals(0.5, SlowStart.weight(WINDOW / 2, WINDOW), 1e-9);
        assertEquals(1.0, SlowStart.weight(WINDOW, WINDOW));
        assertEquals(1.0, SlowStart.weight(0, 0), "slow-start 0s: full share at once");
    }

    @Test
    void aWorkerRampsOnlyBesideOneThatHasServedTheWholeWindow() {
        long now = clock.get();
        Backend warm = new Backend(1, 1001, now - WINDOW, false);
        Backend young = new Backend(2, 1002, now - WINDOW / 2, false);
        assertTrue(SlowStart.ramps(List.of(warm, young), now, WINDOW), "a reload, a replacement, a scale up");
        assertFalse(SlowStart.ramps(List.of(young), now, WINDOW), "at boot every worker is as cold: none ramps");
        assertFalse(SlowStart.ramps(List.of(), now, WINDOW), "the first worker takes everything");
        assertFalse(SlowStart.ramps(List.of(warm), now, 0), "off");
        warm.drain();
        assertFalse(SlowStart.ramps(List.of(warm, young), now, WINDOW), "a draining worker serves no more");
    }

    @Test
    void aRampingWorkerGetsAShareThatGrowsWithItsWeightUntilItIsFull() {
        Backend old = new Backend(1, 1001, clock.get() - 2 * WINDOW, false);
        Backend fresh = new Backend(2, 1002, clock.get(), true);
        RoutingTable table = new RoutingTable(List.of(old, fresh), WINDOW, clock::get, evenly());

        assertEquals(10, table.sharePercent(fresh));
        assertEquals(100, table.sharePercent(old));
        // No connection stays open (a client at a time): least open ties, so the chance decides.
        // Considered in 1 of 10 picks, and then it wins the tie half the time: 5%.
        assertEquals(50, picks(table, 1000).get(2), 5);

        clock.addAndGet(WINDOW / 2);
        assertEquals(50, table.sharePercent(fresh));
        assertEquals(250, picks(table, 1000).get(2), 10);

        clock.addAndGet(WINDOW / 2);
        assertEquals(100, table.sharePercent(fresh));
        assertEquals(500, picks(table, 1000).get(2), 10, "full share: an even split");
        assertFalse(fresh.ramping(), "once over, the ramp is forgotten");
    }

    @Test
    void whenEveryWorkerThatCouldTakeItRampsOneStillDoes() {
        Backend fresh = new Backend(2, 1002, clock.get(), true);
        Backend draining = new Backend(1, 1001, clock.get() - 2 * WINDOW, false);
        draining.drain();
        RoutingTable table = new RoutingTable(List.of(draining, fresh), WINDOW, clock::get, () -> 0.99);
        for (int i = 0; i < 100; i++) assertEquals(fresh, table.pick(List.of()), "never refused for its weight");
    }

    private static Map<Integer, Integer> picks(RoutingTable table, int n) {
        Map<Integer, Integer> count = new HashMap<>(Map.of(1, 0, 2, 0));
        for (int i = 0; i < n; i++) count.merge(table.pick(List.of()).workerId, 1, Integer::sum);
        return count;
    }
}
