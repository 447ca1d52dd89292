package dev.actorrunner.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SocketActivationTest {

    @Test
    void theFdsAreThreeOnForThisPidOnly() throws Exception {
        assertEquals(List.of(), SocketActivation.fds(Map.of(), 42));
        assertEquals(List.of(), SocketActivation.fds(Map.of("LISTEN_PID", "7", "LISTEN_FDS", "1"), 42),
                "addressed to another process (a parent that was activated itself)");
        assertEquals(List.of(3), SocketActivation.fds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "1"), 42));
        assertEquals(List.of(3, 4), SocketActivation.fds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "2"), 42));
    }

    @Test
    void malformedVariablesForThisPidAreOneLineErrors() {
        FrontBindException e = assertThrows(FrontBindException.class,
                () -> SocketActivation.fds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "two"), 42));
        assertEquals("socket activation: LISTEN_FDS=two is not a number", e.getMessage());
        e = assertThrows(FrontBindException.class,
                () -> SocketActivation.fds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "0"), 42));
        assertEquals("socket activation: LISTEN_FDS=0: expected 1 to 64 sockets", e.getMessage());
    }

    @Test
    void anFdThatIsNotOpenIsNamed() {
        FrontBindException e = assertThrows(FrontBindException.class, () -> SocketActivation.blocking(1_000_000));
        assertEquals("socket activation: fd 1000000 is not open in this process", e.getMessage());
    }
}
