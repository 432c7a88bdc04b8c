package io.rsmr.agent.rounds;

import io.rsmr.agent.rounds.RoundMessage.Done;
import io.rsmr.agent.rounds.RoundMessage.Heartbeat;
import io.rsmr.agent.rounds.RoundMessage.OneOffDone;
import io.rsmr.agent.rounds.RoundMessage.OneOffGrant;
import io.rsmr.agent.rounds.RoundMessage.OneOffRequest;
import io.rsmr.agent.rounds.RoundMessage.OneOffStarted;
import io.rsmr.agent.rounds.RoundMessage.Started;
import io.rsmr.common.crypto.Ed25519Keys;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;

/**
 * The agents' messages on the management LAN: one UDP datagram each, signed by the origin agent's
 * Ed25519 key over everything before the signature.
 *
 * <pre>
 * version u8 = 1 | cluster utf | origin utf | type u8 | fields | signature (64 bytes)
 *   type 1 Started:   round i64, replicaId i32, startedMillis i64
 *   type 2 Done:      round i64, replicaId i32, ok u8, startedMillis i64, endedMillis i64
 *   type 3 Heartbeat: sequence i64, sentMillis i64
 *   type 4 OneOffStarted: replicaId i32, id i64
 *   type 5 OneOffDone:    replicaId i32, id i64, ok u8, endedMillis i64
 *   type 6 OneOffRequest: replicaId i32, id i64
 *   type 7 OneOffGrant:   requester utf, replicaId i32, id i64
 * </pre>
 *
 * A datagram is refused, with a reason, when it does not parse, belongs to another cluster, comes
 * from a host with no key in the cluster config, or its signature does not verify. Replays are the
 * receiver's to judge (see {@link RoundsRunner}).
 */
public final class RoundWire {
    /** Far above any message here (about 150 bytes); a larger datagram is not ours. */
    public static final int DATAGRAM_BYTES_MAX = 512;
    private static final int VERSION = 1;
    private static final int NAME_BYTES_MAX = 63;

    /** Why a datagram was refused; the runner counts each. */
    public enum Rejection { MALFORMED, OTHER_CLUSTER, UNKNOWN_ORIGIN, BAD_SIGNATURE, REPLAYED, STALE_ROUND }

    /** A refused datagram: the reason and what in it was wrong. */
    public static final class RejectedException extends Exception {
        private final Rejection reason;

        RejectedException(Rejection reason, String detail) {
            super(detail);
            this.reason = reason;
        }

        public Rejection reason() {
            return reason;
        }
    }

    private final String cluster;
    private final Map<String, byte[]> agentKeys;

    /** @param agentKeys host name → that host's agent public key, from the cluster config */
    public RoundWire(String cluster, Map<String, byte[]> agentKeys) {
        this.cluster = cluster;
        this.agentKeys = Map.copyOf(agentKeys);
    }

    /** The signed datagram of a message this agent originates. */
    public byte[] seal(RoundMessage m, Ed25519Keys.SigningKey key) {
        byte[] body = body(m);
        byte[] signature = key.sign(body);
        byte[] datagram = Arrays.copyOf(body, body.length + signature.length);
        System.arraycopy(signature, 0, datagram, body.length, signature.length);
        return datagram;
    }

    /** The message of a datagram whose cluster, origin and signature check out. */
    public RoundMessage open(byte[] datagram) throws RejectedException {
        if (datagram.length > DATAGRAM_BYTES_MAX || datagram.length <= Ed25519Keys.SIGNATURE_BYTES) {
            throw new RejectedException(Rejection.MALFORMED, "datagram of " + datagram.length + " bytes");
        }
        int bodyLength = datagram.length - Ed25519Keys.SIGNATURE_BYTES;
        RoundMessage m;
        String messageCluster;
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(datagram, 0, bodyLength))) {
            if (in.readUnsignedByte() != VERSION) {
                throw new RejectedException(Rejection.MALFORMED, "unknown version");
            }
            messageCluster = readName(in);
            String origin = readName(in);
            m = readFields(in, origin);
            if (in.available() != 0) {
                throw new RejectedException(Rejection.MALFORMED, in.available() + " trailing bytes");
            }
        } catch (IOException e) {
            throw new RejectedException(Rejection.MALFORMED, "truncated: " + e.getMessage());
        }
        if (!cluster.equals(messageCluster)) {
            throw new RejectedException(Rejection.OTHER_CLUSTER, "cluster '" + messageCluster + "', not '" + cluster + "'");
        }
        byte[] key = agentKeys.get(m.origin());
        if (key == null) {
            throw new RejectedException(Rejection.UNKNOWN_ORIGIN, "origin '" + m.origin() + "' has no agent key");
        }
        byte[] body = Arrays.copyOf(datagram, bodyLength);
        byte[] signature = Arrays.copyOfRange(datagram, bodyLength, datagram.length);
        if (!Ed25519Keys.verify(key, body, signature)) {
            throw new RejectedException(Rejection.BAD_SIGNATURE, m.getClass().getSimpleName() + " from " + m.origin());
        }
        return m;
    }

    private static RoundMessage readFields(DataInputStream in, String origin) throws IOException, RejectedException {
        int type = in.readUnsignedByte();
        return switch (type) {
            case 1 -> new Started(origin, in.readLong(), in.readInt(), in.readLong());
            case 2 -> new Done(origin, in.readLong(), in.readInt(), readBoolean(in), in.readLong(), in.readLong());
            case 3 -> new Heartbeat(origin, in.readLong(), in.readLong());
            case 4 -> new OneOffStarted(origin, in.readInt(), in.readLong());
            case 5 -> new OneOffDone(origin, in.readInt(), in.readLong(), readBoolean(in), in.readLong());
            case 6 -> new OneOffRequest(origin, in.readInt(), in.readLong());
            case 7 -> new OneOffGrant(origin, readName(in), in.readInt(), in.readLong());
            default -> throw new RejectedException(Rejection.MALFORMED, "unknown message type " + type);
        };
    }

    private static boolean readBoolean(DataInputStream in) throws IOException, RejectedException {
        int b = in.readUnsignedByte();
        if (b > 1) {
            throw new RejectedException(Rejection.MALFORMED, "ok flag " + b);
        }
        return b == 1;
    }

    private static String readName(DataInputStream in) throws IOException, RejectedException {
        String name = in.readUTF();
        if (name.isEmpty() || name.length() > NAME_BYTES_MAX) {
            throw new RejectedException(Rejection.MALFORMED, "name of " + name.length() + " characters");
        }
        return name;
    }

    private byte[] body(RoundMessage m) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(160);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeUTF(cluster);
            out.writeUTF(m.origin());
            if (m instanceof Started s) {
                out.writeByte(1);
                out.writeLong(s.round());
                out.writeInt(s.replicaId());
                out.writeLong(s.startedMillis());
            } else if (m instanceof Done d) {
                out.writeByte(2);
                out.writeLong(d.round());
                out.writeInt(d.replicaId());
                out.writeByte(d.ok() ? 1 : 0);
                out.writeLong(d.startedMillis());
                out.writeLong(d.endedMillis());
            } else if (m instanceof Heartbeat h) {
                out.writeByte(3);
                out.writeLong(h.sequence());
                out.writeLong(h.sentMillis());
            } else if (m instanceof OneOffStarted o) {
                out.writeByte(4);
                out.writeInt(o.replicaId());
                out.writeLong(o.id());
            } else if (m instanceof OneOffRequest q) {
                out.writeByte(6);
                out.writeInt(q.replicaId());
                out.writeLong(q.id());
            } else if (m instanceof OneOffGrant g) {
                out.writeByte(7);
                out.writeUTF(g.requester());
                out.writeInt(g.replicaId());
                out.writeLong(g.id());
            } else if (m instanceof OneOffDone d) {
                out.writeByte(5);
                out.writeInt(d.replicaId());
                out.writeLong(d.id());
                out.writeByte(d.ok() ? 1 : 0);
                out.writeLong(d.endedMillis());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }
}
