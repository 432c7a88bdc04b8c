package io.rsmr.replica.transport;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The payload of a sealed frame: the messages queued for one connection during one event-loop
 * turn, each as {@code length(4) message} ({@link Connection} writes them).
 */
final class Bundles {
    /** Bytes a message adds to a bundle besides itself: its length prefix. */
    static final int PREFIX_BYTES = 4;

    private Bundles() {}

    /**
     * Hands each message of {@code bytes[from, end)} to {@code each}, in order; false when the length
     * prefixes do not tile the range exactly (the messages before the bad prefix were handed on).
     */
    static boolean split(byte[] bytes, int from, int end, Consumer<byte[]> each) {
        int at = from;
        while (at < end) {
            if (end - at < PREFIX_BYTES) {
                return false;
            }
            int length = (bytes[at] & 0xff) << 24 | (bytes[at + 1] & 0xff) << 16 | (bytes[at + 2] & 0xff) << 8 | bytes[at + 3] & 0xff;
            at += PREFIX_BYTES;
            if (length < 0 || length > end - at) {
                return false;
            }
            each.accept(Arrays.copyOfRange(bytes, at, at + length));
            at += length;
        }
        return true;
    }
}
