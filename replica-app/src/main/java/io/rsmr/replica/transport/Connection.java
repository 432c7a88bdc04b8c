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

/**
 * One TCP connection: its handshake, then its frame keys; a read buffer; and a bounded queue of
 * sealed frames packed into reusable chunks, so that everything queued during one event-loop
 * turn leaves in one gathering write.
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
    boolean closed;
    private Peer peer;
    private FrameSealer sealer;
    private FrameOpener opener;
    private final ArrayDeque<ByteBuffer> queued = new ArrayDeque<>();
    private ByteBuffer filling;
    private ByteBuffer spare;
    private long queuedBytes;

    Connection(SocketChannel channel, NioTransport.Dialer dialer, int readBufferBytes) {
        this.channel = channel;
        this.dialer = dialer;
        this.readBuffer = ByteBuffer.allocate(readBufferBytes);
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

    /** Appends a sealed frame; the caller checked the queue bound. */
    void queueSealed(byte[] payload) {
        assert established();
        int bytes = FrameSealer.OVERHEAD_BYTES + payload.length;
        room(bytes);
        sealer.sealInto(filling, payload);
        queuedBytes += bytes;
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

    private void recycle(ByteBuffer chunk) {
        if (chunk.capacity() == CHUNK_BYTES) {
            spare = chunk.clear();
        }
    }

    @Override
    public String toString() {
        return "connection to " + (peer != null ? peer : dialer != null ? "replica " + dialer.replicaId : "unauthenticated peer");
    }
}
