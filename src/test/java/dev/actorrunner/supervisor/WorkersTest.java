package dev.actorrunner.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.front.Router;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Master's table of workers, without an actor. */
class WorkersTest {

    @Test
    void onlyReadyWorkersAreRoutedInForkOrder() {
        Workers workers = new Workers();
        int[][] table = {{1, 7001}, {2, 7002}, {3, 7003}, {4, 7004}};
        WorkerState[] states = {WorkerState.READY, WorkerState.STARTING, WorkerState.DRAINING, WorkerState.READY};
        for (int i = 0; i < table.length; i++) {
            Entry w = new Entry(table[i][0], 1, null, 0);
            w.started(4000 + i, table[i][1]);
            workers.add(w);
            workers.setState(w, states[i]);
        }
        assertEquals(List.of(new Router.Route(1, 7001), new Router.Route(4, 7004)), workers.routes());
    }

    @Test
    void aWorkersRefusalIsReportedOnlyTheFirstTime() {
        Entry w = new Entry(1, 1, null, 0);
        assertTrue(w.firstRefusal());
        assertFalse(w.firstRefusal());
    }
}
