package io.rsmr.replica.crypto;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.EpochCertificate;
import io.rsmr.common.crypto.EpochIdentity;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The authenticated key agreement at the start of every connection, as a pure state machine
 * (bytes in, bytes out; the caller frames them and supplies the ephemeral key).
 *
 * <pre>
 * initiator -> responder  HELLO_I = magic, HELLO, party, expected responder id, X25519 ephemeral
 * responder -> initiator  HELLO_R = magic, HELLO, party, -1, X25519 ephemeral
 * responder -> initiator  AUTH_R  = magic, AUTH, Ed25519 sig over ("R", H)
 * initiator -> responder  AUTH_I  = magic, AUTH, Ed25519 sig over ("I", H)
 *   H = SHA-256(domain, HELLO_I, HELLO_R); party = a replica's epoch certificate or a client's key
 *   keys: HKDF(salt H, X25519 shared secret, "rsmr i2r" | "rsmr r2i") -> HMAC-SHA256 frame keys
 *         HKDF(salt H, X25519 shared secret, "rsmr request") -> the client's request key
 * </pre>
 *
 * Each side signs the transcript with its static identity key, which proves it holds the key
 * certified for its claimed identity and binds both ephemeral keys, so a man in the middle
 * learns nothing and a recorded handshake cannot be replayed (fresh ephemerals every time). The
 * role letter in the signed data stops a reflected signature. Only a replica responds; a replica
 * or a client initiates.
 *
 * <p>The request key is the key a client and a replica share for the replica's entry of the
 * client's request authenticators (see {@code Authenticators}): only these two parties can compute
 * it (it comes from their ephemeral X25519 secret, bound to both static identities by the signed
 * transcript), it is fresh per connection, and the HKDF label keeps it independent of the frame keys,
 * so a MAC under one key never serves as a MAC under another.
 */
public final class Handshake {
    /** Longest handshake message; a certificate with the longest cluster name fits. */
    public static final int MESSAGE_BYTES_MAX = 512;

    private static final int MAGIC = 0x52534d31; // "RSM1"
    private static final byte HELLO = 1;
    private static final byte AUTH = 2;
    private static final byte PARTY_REPLICA = 1;
    private static final byte PARTY_CLIENT = 2;
    private static final byte[] DOMAIN = "rsmr-handshake-v1".getBytes(StandardCharsets.US_ASCII);

    /** What happened on one input. */
    public record Step(List<byte[]> toSend, boolean established, String failure) {
        static Step send(byte[]... messages) {
            return new Step(List.of(messages), false, null);
        }

        static Step done(byte[]... messages) {
            return new Step(List.of(messages), true, null);
        }

        static Step fail(String why) {
            return new Step(List.of(), false, why);
        }
    }

    private enum State { START, AWAIT_HELLO, AWAIT_AUTH, ESTABLISHED, FAILED }

    private final boolean initiator;
    private final EpochIdentity replicaIdentity;
    private final Ed25519Keys.SigningKey staticKey;
    private final ReplicaKeyRing keyRing;
    private final int expectedResponderId;
    private final byte[] ephemeralPrivate;
    private State state;
    private byte[] ownHello;
    private byte[] peerHello;
    private byte[] peerPublicKey;
    private Peer peer;
    private byte[] transcriptHash;
    private FrameKeys keys;
    private byte[] requestKey;

    private Handshake(boolean initiator, EpochIdentity replicaIdentity,
            Ed25519Keys.SigningKey staticKey, ReplicaKeyRing keyRing, int expectedResponderId,
            byte[] ephemeralPrivate) {
        if (ephemeralPrivate.length != X25519.SCALAR_SIZE) {
            throw new IllegalArgumentException("X25519 private key must be " + X25519.SCALAR_SIZE + " bytes");
        }
        this.initiator = initiator;
        this.replicaIdentity = replicaIdentity;
        this.staticKey = staticKey;
        this.keyRing = keyRing;
        this.expectedResponderId = expectedResponderId;
        this.ephemeralPrivate = ephemeralPrivate.clone();
        this.state = initiator ? State.START : State.AWAIT_HELLO;
    }

    /** A replica dialing replica {@code responderId}. */
    public static Handshake replicaInitiator(
            EpochIdentity me, ReplicaKeyRing keyRing, int responderId, byte[] ephemeralPrivate) {
        return new Handshake(true, me, me.key(), keyRing, responderId, ephemeralPrivate);
    }

    /** A client dialing replica {@code responderId}. */
    public static Handshake clientInitiator(
            Ed25519Keys.SigningKey clientKey, ReplicaKeyRing keyRing, int responderId, byte[] ephemeralPrivate) {
        return new Handshake(true, null, clientKey, keyRing, responderId, ephemeralPrivate);
    }

    /** A replica accepting a connection from a replica or a client. */
    public static Handshake responder(EpochIdentity me, ReplicaKeyRing keyRing, byte[] ephemeralPrivate) {
        return new Handshake(false, me, me.key(), keyRing, -1, ephemeralPrivate);
    }

    /** A fresh X25519 private key for {@code ephemeralPrivate}. */
    public static byte[] newEphemeral(java.security.SecureRandom random) {
        byte[] key = new byte[X25519.SCALAR_SIZE];
        X25519.generatePrivateKey(random, key);
        return key;
    }

    /** The initiator's first message. */
    public byte[] start() {
        assert initiator && state == State.START : "start() is for a fresh initiator";
        ownHello = hello(expectedResponderId);
        state = State.AWAIT_HELLO;
        return ownHello;
    }

    /** Feeds one message from the peer. After a failure every further input fails too. */
    public Step receive(byte[] message) {
        Step step;
        try {
            step = switch (state) {
                case AWAIT_HELLO -> onHello(ByteBuffer.wrap(message));
                case AWAIT_AUTH -> onAuth(ByteBuffer.wrap(message));
                default -> Step.fail("unexpected handshake message in state " + state);
            };
        } catch (BufferUnderflowException e) {
            step = Step.fail("malformed handshake message: truncated");
        } catch (IllegalArgumentException e) {
            step = Step.fail("malformed handshake message: " + e.getMessage());
        }
        if (step.failure() != null) {
            state = State.FAILED;
        } else if (step.established()) {
            state = State.ESTABLISHED;
        }
        return step;
    }

    /** The authenticated peer; only after the handshake is established. */
    public Peer peer() {
        assert state == State.ESTABLISHED;
        return peer;
    }

    /** The frame keys; only after the handshake is established. */
    public FrameKeys keys() {
        assert state == State.ESTABLISHED;
        return keys;
    }

    /** The key for this replica's entry of the client's request authenticators; only once established. */
    public byte[] requestKey() {
        assert state == State.ESTABLISHED;
        return requestKey.clone();
    }

    private Step onHello(ByteBuffer in) {
        expectHeader(in, HELLO);
        String refusal = readParty(in);
        if (refusal != null) {
            return Step.fail(refusal);
        }
        int claimedResponderId = in.getInt();
        byte[] peerEphemeral = new byte[X25519.POINT_SIZE];
        in.get(peerEphemeral);
        expectEnd(in);
        peerHello = Arrays.copyOf(in.array(), in.limit());
        if (!initiator && claimedResponderId != replicaIdentity.replicaId()) {
            return Step.fail("initiator meant replica " + claimedResponderId);
        }
        byte[] shared = new byte[X25519.POINT_SIZE];
        if (!X25519.calculateAgreement(ephemeralPrivate, 0, peerEphemeral, 0, shared, 0)) {
            return Step.fail("peer's ephemeral key is a low-order point");
        }
        if (!initiator) {
            ownHello = hello(-1);
        }
        deriveKeys(shared);
        state = State.AWAIT_AUTH;
        return initiator ? Step.send() : Step.send(ownHello, auth());
    }

    private Step onAuth(ByteBuffer in) {
        expectHeader(in, AUTH);
        byte[] signature = new byte[Ed25519Keys.SIGNATURE_BYTES];
        in.get(signature);
        expectEnd(in);
        if (!Ed25519Keys.verify(peerPublicKey, signed(!initiator), signature)) {
            return Step.fail("bad handshake signature from " + peer);
        }
        return initiator ? Step.done(auth()) : Step.done();
    }

    /** Reads the peer's identity; null when acceptable, else why not. */
    private String readParty(ByteBuffer in) {
        byte party = in.get();
        if (party == PARTY_REPLICA) {
            EpochCertificate certificate = EpochCertificate.decode(in);
            if (initiator && certificate.replicaId() != expectedResponderId) {
                return "dialed replica " + expectedResponderId + " but replica " + certificate.replicaId() + " answered";
            }
            String refusal = keyRing.admit(certificate);
            peerPublicKey = certificate.publicKey();
            peer = new Peer.Replica(certificate.replicaId(), certificate.epoch());
            return refusal;
        }
        if (party == PARTY_CLIENT && !initiator) {
            peerPublicKey = new byte[Ed25519Keys.PUBLIC_KEY_BYTES];
            in.get(peerPublicKey);
            peer = new Peer.Client(ClientIds.of(peerPublicKey));
            return null;
        }
        return "unexpected party kind " + party;
    }

    private byte[] hello(int responderId) {
        byte[] party = replicaIdentity != null ? replicaIdentity.certificate().encode() : staticKey.publicKey();
        byte[] ephemeralPublic = new byte[X25519.POINT_SIZE];
        X25519.scalarMultBase(ephemeralPrivate, 0, ephemeralPublic, 0);
        return ByteBuffer.allocate(4 + 1 + 1 + party.length + 4 + ephemeralPublic.length)
                .putInt(MAGIC)
                .put(HELLO)
                .put(replicaIdentity != null ? PARTY_REPLICA : PARTY_CLIENT)
                .put(party)
                .putInt(responderId)
                .put(ephemeralPublic)
                .array();
    }

    private byte[] auth() {
        return ByteBuffer.allocate(4 + 1 + Ed25519Keys.SIGNATURE_BYTES)
                .putInt(MAGIC)
                .put(AUTH)
                .put(staticKey.sign(signed(initiator)))
                .array();
    }

    private byte[] signed(boolean byInitiator) {
        byte[] data = Arrays.copyOf(transcriptHash, transcriptHash.length + 1);
        data[transcriptHash.length] = (byte) (byInitiator ? 'I' : 'R');
        return data;
    }

    private void deriveKeys(byte[] shared) {
        byte[] helloI = initiator ? ownHello : peerHello;
        byte[] helloR = initiator ? peerHello : ownHello;
        transcriptHash = sha256(DOMAIN, lengthPrefixed(helloI), lengthPrefixed(helloR));
        byte[] i2r = Hmac.hkdf(transcriptHash, shared, "rsmr i2r".getBytes(StandardCharsets.US_ASCII));
        byte[] r2i = Hmac.hkdf(transcriptHash, shared, "rsmr r2i".getBytes(StandardCharsets.US_ASCII));
        keys = initiator ? new FrameKeys(i2r, r2i) : new FrameKeys(r2i, i2r);
        requestKey = Hmac.hkdf(transcriptHash, shared, "rsmr request".getBytes(StandardCharsets.US_ASCII));
    }

    private static void expectHeader(ByteBuffer in, byte type) {
        if (in.getInt() != MAGIC) {
            throw new IllegalArgumentException("bad magic");
        }
        byte actual = in.get();
        if (actual != type) {
            throw new IllegalArgumentException("expected message type " + type + ", got " + actual);
        }
    }

    private static void expectEnd(ByteBuffer in) {
        if (in.hasRemaining()) {
            throw new IllegalArgumentException(in.remaining() + " trailing bytes");
        }
    }

    private static byte[] lengthPrefixed(byte[] bytes) {
        return ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).array();
    }

    private static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                digest.update(part);
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
