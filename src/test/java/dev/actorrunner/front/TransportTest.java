package dev.actorrunner.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorrunner.config.RunnerSettings;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;

class TransportTest {

    @Test
    void autoTakesTheFirstOfItsOrderThisKernelHas() {
        Transport t = Transport.choose(RunnerSettings.Transport.AUTO);
        String expected = "nio";
        for (RunnerSettings.Transport candidate : Transport.AUTO_ORDER) {
            boolean here = candidate == RunnerSettings.Transport.EPOLL ? Epoll.isAvailable() : IoUring.isAvailable();
            if (here) {
                expected = candidate == RunnerSettings.Transport.EPOLL ? "epoll" : "io_uring";
                break;
            }
        }
        assertEquals(expected, t.name());
        assertNull(t.note());
    }

    @Test
    void oneAskedForByNameIsTakenWhenAvailableElseTheFallbackSaysWhy() {
        assertEquals("nio", Transport.choose(RunnerSettings.Transport.NIO).name());
        Transport uring = Transport.choose(RunnerSettings.Transport.IO_URING);
        if (IoUring.isAvailable()) {
            assertEquals("io_uring", uring.name());
            assertNull(uring.note());
        } else {
            assertTrue(uring.note().startsWith("io_uring is not available here ("), uring.note());
        }
    }

    /** Each, as this machine has it (a fallback where the kernel lacks one), relays and half-closes. */
    @Test
    void eachTransportServesTheFront() throws Exception {
        for (RunnerSettings.Transport t : RunnerSettings.Transport.values()) {
            FrontSettings s = new FrontSettings("127.0.0.1", 0, 1, java.time.Duration.ofSeconds(1),
                    java.time.Duration.ofSeconds(1), RunnerSettings.Mode.TCP, RunnerSettings.Http.DEFAULTS,
                    FrontSettings.Passive.OFF, t);
            try (Backends backends = new Backends()) {
                Backends.Echo echo = backends.start("e");
                Front front = Front.bind(s);
                try {
                    front.publish(java.util.List.of(new Router.Route(1, echo.port())));
                    try (java.net.Socket c = new java.net.Socket()) {
                        c.connect(front.addresses().get(0), 2000);
                        c.setSoTimeout(5000);
                        c.getOutputStream().write("ping".getBytes());
                        c.shutdownOutput();
                        assertEquals("e:ping|bye from e", new String(c.getInputStream().readAllBytes()),
                                t + " relays both ways and passes the FIN on");
                    }
                } finally {
                    front.close();
                }
            }
        }
    }
}
