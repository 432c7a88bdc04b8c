package io.rsmr.replica.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** An event loop's poll never waits less than its timer needs: a wait under 1 ms must not become "no wait". */
class TransportTimeoutTest {
    @Test
    void roundsUpToWholeMilliseconds() {
        assertEquals(1, Transport.timeoutMillis(1));
        assertEquals(1, Transport.timeoutMillis(999_999));
        assertEquals(1, Transport.timeoutMillis(1_000_000));
        assertEquals(2, Transport.timeoutMillis(1_000_001));
        assertEquals(10, Transport.timeoutMillis(9_500_000));
    }

    @Test
    void aTimerAlreadyDueIsNotWaitedFor() {
        assertEquals(0, Transport.timeoutMillis(0));
        assertEquals(0, Transport.timeoutMillis(-5_000_000));
    }
}
