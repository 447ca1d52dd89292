package dev.actorrunner.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class BindAddressesTest {

    @Test
    void anIpLiteralIsItsOwnAddress() throws Exception {
        assertEquals(InetAddress.getByName("127.0.0.1"), BindAddresses.resolve("127.0.0.1"));
        assertEquals(InetAddress.getByName("::1"), BindAddresses.resolve("[::1]"));
    }

    @Test
    void aNameTheResolverDoesNotKnowIsAnUnknownHost() {
        UnknownHostException e = assertThrows(UnknownHostException.class, () -> BindAddresses.resolve("nowhere",
                Duration.ofSeconds(5), host -> {
                    throw new UnknownHostException(host + ": Name or service not known");
                }));
        assertEquals("unknown host", e.getMessage());
    }

    /** As with a DNS server that never answers: the runner gives up, the lookup thread is left behind. */
    @Test
    void aResolverThatDoesNotAnswerIsGivenUpOnInTime() {
        CountDownLatch never = new CountDownLatch(1);
        try {
            UnknownHostException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(
                    UnknownHostException.class, () -> BindAddresses.resolve("slow.example", Duration.ofMillis(200), host -> {
                        try {
                            never.await();
                        } catch (InterruptedException ignored) {
                            // getaddrinfo cannot be interrupted either
                        }
                        return InetAddress.getLoopbackAddress();
                    })));
            assertEquals("host name did not resolve within 200ms", e.getMessage());
        } finally {
            never.countDown();
        }
    }
}
