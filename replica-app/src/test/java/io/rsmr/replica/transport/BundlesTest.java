package io.rsmr.replica.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BundlesTest {
    private static byte[] bundle(String... messages) {
        ByteBuffer b = ByteBuffer.allocate(1024);
        for (String m : messages) {
            byte[] bytes = m.getBytes(StandardCharsets.UTF_8);
            b.putInt(bytes.length).put(bytes);
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    private static List<String> split(byte[] bytes, int from, int end, boolean wellFormed) {
        List<String> out = new ArrayList<>();
        assertEquals(wellFormed, Bundles.split(bytes, from, end, m -> out.add(new String(m, StandardCharsets.UTF_8))));
        return out;
    }

    @Test
    void splitsEveryMessageInOrderIncludingEmptyOnes() {
        byte[] b = bundle("prepare", "", "commit");
        assertEquals(List.of("prepare", "", "commit"), split(b, 0, b.length, true));
        assertTrue(split(b, 0, 0, true).isEmpty(), "an empty bundle holds nothing");
    }

    @Test
    void aTruncatedOrOverlongPrefixIsMalformedAfterTheWholeMessagesBeforeIt() {
        byte[] b = bundle("one", "two");
        assertEquals(List.of("one"), split(b, 0, b.length - 1, false), "the second message is cut short");
        assertEquals(List.of("one"), split(b, 0, 7 + 2, false), "a prefix cut short");
        byte[] negative = bundle("one");
        negative[0] = (byte) 0x80;
        assertFalse(Bundles.split(negative, 0, negative.length, m -> { }));
    }
}
