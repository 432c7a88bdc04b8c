package io.rsmr.replica.transport;

import io.rsmr.replica.crypto.FrameKeys;
import io.rsmr.replica.crypto.FrameOpener;
import io.rsmr.replica.crypto.FrameSealer;
import io.rsmr.replica.crypto.Handshake;
import io.rsmr.replica.crypto.Peer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One TCP connection: its handshake, then its frame keys; a read buffer; and a bounded queue of
 * sealed frames packed into reusable chunks, so that everything queued during one event-loop
 * turn leaves in one gathering write.
 *
 * <p>Messages queued during one turn are sealed together, as one frame whose payload is a
 * <em>bundle</em> {@code (length(4) message)*} (up to {@link #bundleBytesMax}): one counter and one
 * MAC for the sender to compute and the receiver to check, instead of one per message. A replica
 * sends its peers a prepare and a commit in the same turn, and a batch's replies to one client
 * process leave together, so most frames carry several messages.
 */
final class Connection {
    private static final int CHUNK_BYTES = 16 << 10;

    final SocketChannel channel;
    /** The dialer that owns this outbound connection, or null for an accepted one. */
    final NioTransport.Dialer dialer;
    SelectionKey key;
    Handshake handshake;
    long handshakeDeadlineNanos;
    ByteBuffer readBuffer;
    int badFrames;
    /** Bytes of the last whole frame read (length prefix included). */
    int lastFrameBytes;
    boolean closed;
    private Peer peer;
    private FrameSealer sealer;
    private FrameOpener opener;
    private final ArrayDeque<ByteBuffer> queued = new ArrayDeque<>();
    private ByteBuffer filling;
    private ByteBuffer spare;
    private long queuedBytes;
    /** Messages of the bundle not yet sealed, and the bundle's bytes with their length prefixes. */
    private final List<byte[]> bundle = new ArrayList<>();
    private int bundleBytes;
    private final int bundleBytesMax;

    /**
     * @param bundleBytesMax payload bytes of one sealed frame at most (length prefixes included);
     *        at least one message of the largest size plus its prefix
     */
    Connection(SocketChannel channel, NioTransport.Dialer dialer, int readBufferBytes, int bundleBytesMax) {
        this.channel = channel;
        this.dialer = dialer;
        this.readBuffer = ByteBuffer.allocate(readBufferBytes);
        this.bundleBytesMax = bundleBytesMax;
    }

    boolean established() {
        return sealer != null;
    }

    Peer peer() {
        return peer;
    }

    FrameOpener opener() {
        return opener;
    }

    void establish(Peer authenticated, FrameKeys keys) {
        assert !established();
        peer = authenticated;
        sealer = keys.sealer();
        opener = keys.opener();
        handshake = null;
    }

    long queuedBytes() {
        return queuedBytes;
    }

    boolean hasQueued() {
        return queuedBytes > 0;
    }

    /**
     * Adds a message to the bundle sealed at the next {@link #flush} (or at once when it is full);
     * the caller checked the queue bound with {@link FrameSealer#OVERHEAD_BYTES} per message.
     */
    void queueSealed(byte[] message) {
        assert established();
        int bytes = Bundles.PREFIX_BYTES + message.length;
        assert bytes <= bundleBytesMax : "message of " + message.length + " bytes exceeds a bundle";
        if (bundleBytes + bytes > bundleBytesMax) {
            sealBundle();
        }
        bundle.add(message);
        bundleBytes += bytes;
        queuedBytes += bytes;
    }

    private void sealBundle() {
        if (bundle.isEmpty()) {
            return;
        }
        ByteBuffer payload = ByteBuffer.allocate(bundleBytes);
        for (byte[] message : bundle) {
            payload.putInt(message.length).put(message);
        }
        room(FrameSealer.OVERHEAD_BYTES + bundleBytes);
        sealer.sealInto(filling, payload.array());
        queuedBytes += FrameSealer.OVERHEAD_BYTES;
        bundle.clear();
        bundleBytes = 0;
    }

    /**
     * Queues a detached frame ({@link FrameSealer#sealDetachedInto}): the head sealed, the tail
     * written after it as it is, without a copy (the caller must not change it until it is sent).
     * The bundle so far is sealed first, so frames leave in the order of their counters.
     */
    void queueDetached(byte[] head, byte[] tail) {
        assert established();
        sealBundle();
        if (filling != null && filling.position() > 0) {
            queued.add(filling.flip());
            filling = null;
        }
        ByteBuffer frame = ByteBuffer.allocate(FrameSealer.DETACHED_OVERHEAD_BYTES + head.length);
        sealer.sealDetachedInto(frame, head, tail.length);
        queued.add(frame.flip());
        queued.add(ByteBuffer.wrap(tail).asReadOnlyBuffer());
        queuedBytes += FrameSealer.DETACHED_OVERHEAD_BYTES + head.length + tail.length;
    }

    /** Appends a handshake message, framed but not sealed (there are no keys yet). */
    void queuePlain(byte[] message) {
        int bytes = 4 + message.length;
        room(bytes);
        filling.putInt(message.length).put(message);
        queuedBytes += bytes;
    }

    /** Writes as much as the socket takes; true when everything queued went out. */
    boolean flush() throws IOException {
        sealBundle();
        if (filling != null && filling.position() > 0) {
            queued.add(filling.flip());
            filling = null;
        }
        while (!queued.isEmpty()) {
            long written = channel.write(queued.toArray(new ByteBuffer[0]));
            queuedBytes -= written;
            while (!queued.isEmpty() && !queued.peekFirst().hasRemaining()) {
                recycle(queued.pollFirst());
            }
            if (written == 0) {
                break;
            }
        }
        assert queued.isEmpty() == (queuedBytes == 0) : "queued bytes out of step";
        return queued.isEmpty();
    }

    private void room(int bytes) {
        if (filling != null && filling.remaining() >= bytes) {
            return;
        }
        if (filling != null) {
            queued.add(filling.flip());
        }
        if (spare != null && spare.capacity() >= bytes) {
            filling = spare;
            spare = null;
        } else {
            filling = ByteBuffer.allocate(Math.max(CHUNK_BYTES, bytes));
        }
    }

    /** Keeps one of our own buffers for reuse (never a detached frame's tail: the caller's bytes). */
    private void recycle(ByteBuffer chunk) {
        if (chunk.capacity() == CHUNK_BYTES && !chunk.isReadOnly()) {
            spare = chunk.clear();
        }
    }

    @Override
    public String toString() {
        return "connection to " + (peer != null ? peer : dialer != null ? "replica " + dialer.replicaId : "unauthenticated peer");
    }
}
