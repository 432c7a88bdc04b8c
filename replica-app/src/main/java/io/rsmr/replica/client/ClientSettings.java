package io.rsmr.replica.client;

import io.rsmr.replica.protocol.ProtocolConfig;
import io.rsmr.replica.transport.Membership;
import io.rsmr.replica.transport.TransportConfig;

/**
 * How a client process talks to the cluster.
 *
 * @param sessions requests that may be outstanding at once (one client id and key each)
 * @param tickMillis the client's timer period
 * @param retransmitTicks a request without a result after this many ticks is re-sent to every replica
 * @param requestTimeoutMillis a request without a result after this long fails with a timeout
 */
public record ClientSettings(
        Membership membership,
        ProtocolConfig protocol,
        TransportConfig transport,
        int sessions,
        long tickMillis,
        int retransmitTicks,
        long requestTimeoutMillis) {

    public ClientSettings {
        if (sessions < 1 || tickMillis < 1 || retransmitTicks < 1 || requestTimeoutMillis < 1) {
            throw new IllegalArgumentException("sessions, tickMillis, retransmitTicks and requestTimeoutMillis must be >= 1");
        }
        if (protocol.n() != membership.n()) {
            throw new IllegalArgumentException("protocol config is for " + protocol.n() + " replicas, the cluster has "
                    + membership.n());
        }
    }

    /** Defaults: re-send after 1 s, give up after 30 s (long enough for a view change). */
    public static ClientSettings defaults(Membership membership, int sessions) {
        ProtocolConfig protocol = ProtocolConfig.defaults(membership.n(), membership.k(), membership.kPrime());
        return new ClientSettings(membership, protocol,
                TransportConfig.defaults().withMessageBytesMax(protocol.messageBytesMax()), sessions, 10, 100, 30_000);
    }

    public ClientSettings withRequestTimeoutMillis(long millis) {
        return new ClientSettings(membership, protocol, transport, sessions, tickMillis, retransmitTicks, millis);
    }
}
