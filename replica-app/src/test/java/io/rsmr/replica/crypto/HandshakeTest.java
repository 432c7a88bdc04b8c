package io.rsmr.replica.crypto;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.EpochIdentity;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class HandshakeTest {
    private final TestKeys keys = new TestKeys(4, 7);

    /** Runs both sides to the end; returns the failure seen first, or null. */
    private static String run(Handshake initiator, Handshake responder) {
        Handshake.Step fromResponder = responder.receive(initiator.start());
        if (fromResponder.failure() != null) {
            return "responder: " + fromResponder.failure();
        }
        Handshake.Step last = null;
        for (byte[] message : fromResponder.toSend()) {
            last = initiator.receive(message);
            if (last.failure() != null) {
                return "initiator: " + last.failure();
            }
        }
        assertTrue(last.established());
        Handshake.Step end = responder.receive(last.toSend().get(0));
        if (end.failure() != null) {
            return "responder: " + end.failure();
        }
        assertTrue(end.established());
        return null;
    }

    @Test
    void replicasAgreeOnCrossedKeysAndLearnEachOther() {
        EpochIdentity one = keys.identity(1, 5);
        EpochIdentity two = keys.identity(2, 3);
        Handshake initiator = Handshake.replicaInitiator(one, keys.keyRing(), 2, keys.ephemeral());
        Handshake responder = Handshake.responder(two, keys.keyRing(), keys.ephemeral());
        assertNull(run(initiator, responder));
        assertEquals(new Peer.Replica(2, 3), initiator.peer());
        assertEquals(new Peer.Replica(1, 5), responder.peer());
        assertArrayEquals(initiator.keys().sendKey(), responder.keys().receiveKey());
        assertArrayEquals(initiator.keys().receiveKey(), responder.keys().sendKey());
        assertTrue(!java.util.Arrays.equals(initiator.keys().sendKey(), initiator.keys().receiveKey()));
    }

    /** A client's side of a handshake with replica 1 (core index 0). */
    private Handshake clientInitiator(Ed25519Keys.SigningKey clientKey) {
        return Handshake.clientInitiator(clientKey, keys.keyRing(), 0, keys.ephemeral());
    }

    /** Replica 1's side of a handshake a client starts. */
    private Handshake replicaResponder() {
        return Handshake.responder(keys.identity(0, 1), keys.keyRing(), keys.ephemeral());
    }

    @Test
    void clientIdComesFromItsKey() {
        Ed25519Keys.SigningKey clientKey = keys.clientKey();
        Handshake initiator = clientInitiator(clientKey);
        Handshake responder = replicaResponder();
        assertNull(run(initiator, responder));
        assertEquals(new Peer.Client(ClientIds.of(clientKey.publicKey())), responder.peer());
    }

    @Test
    void clientAndReplicaShareARequestKeyThatIsNeitherFrameKeyAndNewPerConnection() {
        Ed25519Keys.SigningKey clientKey = keys.clientKey();
        Handshake initiator = clientInitiator(clientKey);
        Handshake responder = replicaResponder();
        assertNull(run(initiator, responder));
        assertArrayEquals(initiator.requestKey(), responder.requestKey());
        assertFalse(java.util.Arrays.equals(initiator.requestKey(), initiator.keys().sendKey()));
        assertFalse(java.util.Arrays.equals(initiator.requestKey(), initiator.keys().receiveKey()));
        Handshake again = clientInitiator(clientKey);
        assertNull(run(again, replicaResponder()));
        assertFalse(java.util.Arrays.equals(initiator.requestKey(), again.requestKey()), "fresh ephemerals, fresh key");
    }

    @Test
    void certificateFromAnotherAgentIsRefused() {
        TestKeys strangers = new TestKeys(4, 99);
        Handshake initiator = Handshake.replicaInitiator(strangers.identity(1, 1), keys.keyRing(), 2, keys.ephemeral());
        Handshake responder = Handshake.responder(keys.identity(2, 1), keys.keyRing(), keys.ephemeral());
        String failure = run(initiator, responder);
        assertNotNull(failure);
        assertTrue(failure.contains("not signed by its agent"), failure);
    }

    @Test
    void olderEpochThanKnownIsRefused() {
        ReplicaKeyRing ring = keys.keyRing();
        assertNull(ring.admit(keys.identity(1, 9).certificate()));
        Handshake initiator = Handshake.replicaInitiator(keys.identity(1, 8), keys.keyRing(), 2, keys.ephemeral());
        Handshake responder = Handshake.responder(keys.identity(2, 1), ring, keys.ephemeral());
        String failure = run(initiator, responder);
        assertNotNull(failure);
        assertTrue(failure.contains("older than the known epoch 9"), failure);
    }

    @Test
    void answerFromTheWrongReplicaIsRefused() {
        Handshake initiator = Handshake.replicaInitiator(keys.identity(1, 1), keys.keyRing(), 3, keys.ephemeral());
        Handshake responder = Handshake.responder(keys.identity(2, 1), keys.keyRing(), keys.ephemeral());
        assertNotNull(run(initiator, responder));
    }

    @Test
    void replayedHelloWithoutTheKeyFailsAtAuth() {
        // An attacker replays replica 1's hello (its certificate is public) but cannot sign as it.
        byte[] hello = Handshake.replicaInitiator(keys.identity(1, 1), keys.keyRing(), 2, keys.ephemeral()).start();
        Handshake responder = Handshake.responder(keys.identity(2, 1), keys.keyRing(), keys.ephemeral());
        assertNull(responder.receive(hello).failure());
        byte[] forgedAuth = ByteBuffer.allocate(4 + 1 + Ed25519Keys.SIGNATURE_BYTES)
                .putInt(0x52534d31).put((byte) 2).put(keys.clientKey().sign(new byte[33])).array();
        Handshake.Step step = responder.receive(forgedAuth);
        assertTrue(step.failure().contains("bad handshake signature"), step.failure());
    }

    @Test
    void truncatedAndGarbageMessagesFailWithAReason() {
        Handshake responder = Handshake.responder(keys.identity(2, 1), keys.keyRing(), keys.ephemeral());
        Handshake.Step step = responder.receive(new byte[] {0x52, 0x53});
        assertTrue(step.failure().startsWith("malformed"), step.failure());
        byte[] hello = Handshake.replicaInitiator(keys.identity(1, 1), keys.keyRing(), 2, keys.ephemeral()).start();
        Handshake fresh = Handshake.responder(keys.identity(2, 1), keys.keyRing(), keys.ephemeral());
        byte[] longer = ByteBuffer.allocate(hello.length + 1).put(hello).array();
        assertTrue(fresh.receive(longer).failure().contains("trailing"));
    }

    /** Every mutation of every handshake message fails with a reason (never an exception, never a session). */
    @Test
    void mutatedHandshakeMessagesAlwaysFailWithAReason() {
        java.util.Random random = new java.util.Random(99);
        for (int round = 0; round < 300; round++) {
            Handshake initiator = Handshake.replicaInitiator(keys.identity(1, 1), keys.keyRing(), 2, keys.ephemeral());
            Handshake responder = Handshake.responder(keys.identity(2, 1), keys.keyRing(), keys.ephemeral());
            byte[] hello = initiator.start();
            Handshake.Step answer = responder.receive(hello);
            int target = random.nextInt(3);
            byte[] original = target == 0 ? hello : answer.toSend().get(target - 1);
            byte[] mutated = mutate(original, random);
            Handshake.Step step;
            if (target == 0) {
                Handshake fresh = Handshake.responder(keys.identity(2, 1), keys.keyRing(), keys.ephemeral());
                step = fresh.receive(mutated);
                if (step.failure() == null) {
                    // A changed ephemeral key passes the hello; the initiator's signature then fails.
                    step = fresh.receive(initiatorAuthFor(mutated));
                }
            } else {
                Handshake.Step first = initiator.receive(target == 1 ? mutated : answer.toSend().get(0));
                step = first.failure() != null ? first : initiator.receive(target == 2 ? mutated : answer.toSend().get(1));
            }
            assertNotNull(step.failure(), "round " + round + ": a mutated message was accepted");
            assertTrue(!step.established());
        }
    }

    /** What an attacker who changed the hello could send as the initiator's auth: any 64 bytes. */
    private byte[] initiatorAuthFor(byte[] hello) {
        return ByteBuffer.allocate(4 + 1 + Ed25519Keys.SIGNATURE_BYTES).putInt(0x52534d31).put((byte) 2)
                .put(keys.clientKey().sign(hello)).array();
    }

    private static byte[] mutate(byte[] message, java.util.Random random) {
        if (random.nextInt(4) == 0) {
            return java.util.Arrays.copyOf(message, random.nextInt(message.length));
        }
        byte[] mutated = message.clone();
        int at = random.nextInt(mutated.length);
        mutated[at] ^= (byte) (1 + random.nextInt(255));
        return mutated;
    }
}
