package dev.actorrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.actorrunner.ActorRunner;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Without installing anything: a TERM handler in the test JVM would outlive the test. */
class SignalBridgeTest {

    private static List<String> ignored(String mask) {
        String status = "Name:\tjava\nSigBlk:\t0000000000000000\nSigIgn:\t" + mask + "\nSigCgt:\t0000000000000000\n";
        return SignalBridge.ignored(status).stream().map(SignalBridge.Binding::name).toList();
    }

    @Test
    void nohupShowsAsAnIgnoredHup() {
        assertEquals(List.of("HUP"), ignored("0000000000000001"));
    }

    @Test
    void everyBoundSignalIsReadFromTheMask() {
        assertEquals(List.of(), ignored("0000000000000000"));
        assertEquals(List.of("HUP", "INT"), ignored("0000000000000003"));
        assertEquals(List.of("TERM"), ignored("0000000000004000"));
        assertEquals(List.of("TTIN", "TTOU"), ignored("0000000000300000"));
        assertEquals(List.of("HUP", "INT", "TERM", "TTIN", "TTOU"), ignored("ffffffffffffffff"));
    }

    @Test
    void noProcStatusMeansNothingIgnored() {
        assertEquals(List.of(), SignalBridge.ignored(""));
        assertEquals(List.of(), SignalBridge.ignored("SigIgn:\tnot-hex\n"));
    }

    @Test
    void signalsMapToTheRunnersCommands() {
        Map<String, ActorRunner.Command> commands = SignalBridge.BINDINGS.stream()
                .collect(Collectors.toMap(SignalBridge.Binding::name, SignalBridge.Binding::command));
        assertEquals(Map.of(
                "HUP", ActorRunner.Reload.INSTANCE,
                "TERM", ActorRunner.StopAll.INSTANCE,
                "INT", ActorRunner.StopAll.INSTANCE,
                "TTIN", ActorRunner.Scale.by(1),
                "TTOU", ActorRunner.Scale.by(-1)), commands);
    }

    @Test
    void theReflectiveHandlerRunsItsActionWhenTheJvmCallsIt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Object handler = new SignalBridge.SunMiscSignal().handler("HUP", calls::incrementAndGet);
        Class<?> signal = Class.forName("sun.misc.Signal");
        Class.forName("sun.misc.SignalHandler").getMethod("handle", signal)
                .invoke(handler, signal.getConstructor(String.class).newInstance("HUP"));
        assertEquals(1, calls.get());
        assertEquals("actor-runner handler of SIGHUP", handler.toString());
        assertEquals(handler, handler);
        assertNotEquals(handler, new Object());
        assertEquals(System.identityHashCode(handler), handler.hashCode());
    }
}
