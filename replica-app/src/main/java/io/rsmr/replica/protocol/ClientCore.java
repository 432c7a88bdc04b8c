package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.Request;

import java.util.Arrays;

/**
 * The pure client side: one outstanding request at a time, sent to every replica, accepted on
 * k'+1 matching replies from distinct replicas, re-sent to every replica when no result came in
 * {@code retransmitTicks}. The real client (client package) and the simulator both drive it.
 */
public final class ClientCore {
    private final ProtocolConfig config;
    private final long clientId;
    private final int retransmitTicks;
    private long nextSeq;
    private Request outstanding;
    private byte[][] replies;
    private int ticksSinceSend;

    /**
     * @param firstRequestSeq must be above every sequence number this client id ever used
     *        (replicas drop requests at or below the last one they executed for the client)
     */
    public ClientCore(ProtocolConfig config, long clientId, long firstRequestSeq, int retransmitTicks) {
        if (firstRequestSeq < 1 || retransmitTicks < 1) {
            throw new IllegalArgumentException("firstRequestSeq and retransmitTicks must be >= 1");
        }
        this.config = config;
        this.clientId = clientId;
        this.nextSeq = firstRequestSeq;
        this.retransmitTicks = retransmitTicks;
    }

    public long clientId() {
        return clientId;
    }

    public boolean busy() {
        return outstanding != null;
    }

    /** The request in flight, or null. */
    public Request outstanding() {
        return outstanding;
    }

    /** Starts a request; the caller sends the returned request to every replica. */
    public Request submit(byte[] operation) {
        if (outstanding != null) {
            throw new IllegalStateException("client " + clientId + " already has request " + outstanding.requestSeq() + " in flight");
        }
        if (operation.length > config.requestBytesMax()) {
            throw new IllegalArgumentException("operation of " + operation.length + " bytes exceeds requestBytesMax " + config.requestBytesMax());
        }
        outstanding = new Request(clientId, nextSeq++, operation);
        replies = new byte[config.n()][];
        ticksSinceSend = 0;
        return outstanding;
    }

    /**
     * Records a reply from replica {@code replicaId} (authenticated by the transport).
     *
     * @return the result once k'+1 distinct replicas sent the same bytes, else null
     */
    public byte[] onReply(int replicaId, Reply reply) {
        if (outstanding == null || replicaId < 0 || replicaId >= config.n()
                || reply.clientId() != clientId || reply.requestSeq() != outstanding.requestSeq()) {
            return null;
        }
        replies[replicaId] = reply.result();
        int matching = 0;
        for (byte[] r : replies) {
            if (r != null && Arrays.equals(r, reply.result())) {
                matching++;
            }
        }
        if (matching < config.replyQuorum()) {
            return null;
        }
        outstanding = null;
        replies = null;
        return reply.result();
    }

    /** One tick passed; returns the request to re-send to every replica, or null. */
    public Request onTick() {
        if (outstanding == null) {
            return null;
        }
        if (++ticksSinceSend < retransmitTicks) {
            return null;
        }
        ticksSinceSend = 0;
        return outstanding;
    }
}
