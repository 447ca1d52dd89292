package dev.actorrunner.supervisor;

import dev.actorrunner.config.RunnerSettings.ReloadStrategy;

/**
 * The Master's decisions as pure functions of counts, so they can be read and tested apart from the
 * actor. "active" = starting + ready workers (those not chosen to stop).
 */
public final class Plan {
    private Plan() {}

    /**
     * Extra workers allowed above the desired count: one during a surge reload that still has old
     * workers to replace, so the replacement starts before its predecessor stops.
     */
    public static int surge(ReloadStrategy strategy, boolean reloadPending) {
        return strategy == ReloadStrategy.SURGE && reloadPending ? 1 : 0;
    }

    /** ForkMissing: how many workers to fork now. */
    public static int missing(int desired, int surge, int active) {
        return Math.max(0, desired + surge - active);
    }

    /**
     * StopNext: may one more old worker leave now? surge: only while more than the desired number
     * are ready, so capacity never drops below N. stop-first (the ancestor's order): when nothing is
     * starting and no worker is missing, so capacity drops to N-1 and never lower. A settling
     * worker (ready, within reload-settle) is among {@code ready} but counts as starting.
     */
    public static boolean mayStopNext(ReloadStrategy strategy, int desired, int ready, int starting, int settling) {
        return mayStopNext(strategy, desired, ready - settling, starting + settling);
    }

    private static boolean mayStopNext(ReloadStrategy strategy, int desired, int ready, int starting) {
        return switch (strategy) {
            case SURGE -> ready > desired;
            case STOP_FIRST -> starting == 0 && ready >= desired;
        };
    }

    /** Scale: the new desired count, {@code amount} more (or fewer) if relative; never below one. */
    public static int scaled(int desired, boolean relative, int amount) {
        return Math.max(1, relative ? desired + amount : amount);
    }

    /** How many active workers exceed the desired count (plus surge) after a scale down. */
    public static int surplus(int desired, int surge, int active) {
        return Math.max(0, active - desired - surge);
    }
}
