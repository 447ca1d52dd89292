package dev.actorrunner.control;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The fleet as the control socket reaches it ({@code actor-runner fleet ...}): implemented by the
 * fleet layer, so that this package never imports it. Absent when the runner is in no fleet.
 */
public interface FleetControl {

    /**
     * Carries out one {@code fleet} request ({@code "action"}: status, reload, promote, abort, and
     * its arguments as the client sent them). {@code progress} takes lines to pass on as they come,
     * from any thread; the stage completes with the last answer. It must complete (with a timeout
     * of its own), never hang.
     */
    CompletionStage<Reply> handle(Map<String, Object> request, Consumer<String> progress);

    /**
     * The last answer: {@code exitCode} as the client should exit (0 done, 1 failed or aborted, 2
     * refused), {@code message} one or more lines to print, {@code data} fields for {@code --json}.
     */
    record Reply(int exitCode, String message, Map<String, Object> data) {
        public Reply {
            data = data == null ? Map.of() : Map.copyOf(data);
        }
    }
}
