package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Authenticators;
import io.rsmr.replica.protocol.message.Batch;
import io.rsmr.replica.protocol.message.BatchData;
import io.rsmr.replica.protocol.message.Checkpoint;
import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.Commit;
import io.rsmr.replica.protocol.message.DecodeException;
import io.rsmr.replica.protocol.message.DecodeException.Reason;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.FetchBatch;
import io.rsmr.replica.protocol.message.FetchState;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.NewView;
import io.rsmr.replica.protocol.message.PrePrepare;
import io.rsmr.replica.protocol.message.Prepare;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.ReadRequest;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.protocol.message.SlotClaim;
import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.FetchChunks;
import io.rsmr.replica.protocol.message.StateManifest;
import io.rsmr.replica.protocol.message.Status;
import io.rsmr.replica.protocol.message.ViewChange;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessageCodecTest {
    private static final ProtocolConfig CONFIG = ProtocolConfig.defaults(4, 0, 1)
            .withWindow(4, 8, 4).withBatch(4, 1 << 16);
    private final MessageCodec codec = new MessageCodec(CONFIG);

    private static byte[] digest(int seed) {
        return Digests.sha256(new byte[] {(byte) seed});
    }

    private static Request request(long client, long seq, String op) {
        return new Request(client, seq, op.getBytes(StandardCharsets.UTF_8));
    }

    private static Checkpoint checkpoint(int replica, long seq, byte[] digest) {
        return new Checkpoint(replica, 0, seq, digest,
                TestSignatures.mac(replica, MessageCodec.signedBytes(replica, 0, seq, digest)));
    }

    /** A request with an authenticator entry per replica (arbitrary bytes: the codec does not check them). */
    private static Request authenticated(long client, long seq, String op) {
        byte[] authenticator = new byte[Authenticators.bytesFor(CONFIG.n())];
        for (int i = 0; i < authenticator.length; i++) {
            authenticator[i] = (byte) (client + seq + i);
        }
        return new Request(client, seq, op.getBytes(StandardCharsets.UTF_8), authenticator);
    }

    /** One valid message of every type, with and without authenticators (the fuzz corpus). */
    static List<Message> samples() {
        Batch batch = Batch.of(List.of(authenticated(7, 1, "put a 1"), request(8, 3, "get a")));
        CheckpointCertificate cert = new CheckpointCertificate(4, digest(4),
                List.of(checkpoint(0, 4, digest(4)), checkpoint(1, 4, digest(4)), checkpoint(2, 4, digest(4))));
        ViewChange vc = new ViewChange(2, 0, 3, cert,
                List.of(new SlotClaim(5, 1, batch.digest())),
                List.of(new SlotClaim(5, 1, batch.digest()), new SlotClaim(6, 2, digest(9))), digest(1));
        return List.of(
                request(7, 1, "put a 1"),
                authenticated(7, 2, "put a 2"),
                new Reply(7, 1, 3, "ok".getBytes(StandardCharsets.UTF_8)),
                new ReplyDigest(7, 1, 3, digest(3)),
                new PrePrepare(1, 5, batch),
                new Prepare(1, 5, batch.digest()),
                new Commit(1, 5, batch.digest()),
                checkpoint(3, 8, digest(8)),
                cert,
                vc,
                new NewView(3, 0, 3, List.of(vc, vc), digest(2)),
                new Status(3, true, 9, 8, true),
                new FetchBatch(5, batch.digest()),
                new BatchData(5, batch),
                new FetchState(8),
                new StateManifest(8, List.of(digest(5), digest(6), digest(7)), List.of(1, 2)),
                new FetchChunks(8, List.of(0, 2)),
                new ChunkData(8, 2, digest(8), new byte[] {1, 2, 3}),
                new ReadRequest(7, 2, "get a".getBytes(StandardCharsets.UTF_8)),
                new ReadReply(7, 2, "1".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void everyMessageSurvivesARoundTrip() throws DecodeException {
        for (Message m : samples()) {
            byte[] bytes = codec.encode(m);
            Message back = codec.decode(bytes);
            assertEquals(m.getClass(), back.getClass());
            assertArrayEquals(bytes, codec.encode(back), "re-encoding " + m.getClass().getSimpleName());
        }
    }

    /** The transport authenticates a chunk's head and sends its bytes after it: together they are the chunk's encoding. */
    @Test
    void aChunksHeadFollowedByItsBytesIsItsEncoding() throws DecodeException {
        ChunkData chunk = new ChunkData(8, 2, digest(8), new byte[] {1, 2, 3});
        byte[] head = codec.encodeChunkHead(chunk);
        assertEquals(MessageCodec.CHUNK_HEAD_BYTES, head.length);
        byte[] joined = Arrays.copyOf(head, head.length + 3);
        System.arraycopy(chunk.bytes(), 0, joined, head.length, 3);
        assertArrayEquals(codec.encode(chunk), joined);
        ChunkData back = (ChunkData) codec.decode(joined);
        assertArrayEquals(chunk.digest(), back.digest());
        assertArrayEquals(chunk.bytes(), back.bytes());
        assertThrows(DecodeException.class, () -> codec.decode(Arrays.copyOf(joined, joined.length - 1)),
                "the head fixes how many bytes follow it");
    }

    /** Head and bytes apart (a detached frame): the chunk keeps the bytes' array; any other head is refused. */
    @Test
    void aChunkDecodedFromItsHeadAndBytesKeepsThemAndOnlyAChunksHeadIsTaken() throws DecodeException {
        ChunkData chunk = new ChunkData(8, 2, digest(8), new byte[] {1, 2, 3});
        byte[] head = codec.encodeChunkHead(chunk);
        byte[] bytes = {1, 2, 3};
        ChunkData back = codec.decodeChunk(head, bytes);
        assertEquals(8, back.seq());
        assertEquals(2, back.index());
        assertArrayEquals(chunk.digest(), back.digest());
        assertTrue(back.bytes() == bytes, "no copy of the bytes");
        assertEquals(Reason.BAD_VALUE, assertThrows(DecodeException.class, () -> codec.decodeChunk(head, new byte[4])).reason());
        assertEquals(Reason.TRAILING_BYTES, assertThrows(DecodeException.class,
                () -> codec.decodeChunk(Arrays.copyOf(head, head.length + 1), bytes)).reason());
        assertEquals(Reason.UNKNOWN_TYPE, assertThrows(DecodeException.class,
                () -> codec.decodeChunk(codec.encode(new FetchState(8)), bytes)).reason());
    }

    @Test
    void aPrePrepareCarriesOperationsAndAuthenticatorsAndBatchDataOnlyTheOperations() throws DecodeException {
        Request signed = authenticated(1, 1, "x");
        Batch batch = Batch.of(List.of(signed, request(2, 1, "y")));
        PrePrepare back = (PrePrepare) codec.decode(codec.encode(new PrePrepare(0, 1, batch)));
        assertArrayEquals(batch.digest(), back.batch().digest());
        assertArrayEquals(MessageCodec.batchDigest(back.batch().refs()), back.batch().digest());
        assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), back.batch().operation(0));
        assertArrayEquals(signed.authenticator(), back.batch().authenticator(0));
        assertEquals(0, back.batch().authenticator(1).length, "a request without an authenticator has none");
        BatchData full = (BatchData) codec.decode(codec.encode(new BatchData(1, batch)));
        assertArrayEquals(batch.digest(), full.batch().digest());
        assertArrayEquals("y".getBytes(StandardCharsets.UTF_8), full.batch().operation(1));
        assertEquals(0, full.batch().authenticator(0).length, "fetched batches carry no authenticators");
    }

    @Test
    void anAuthenticatorOfAnotherLengthThanOneEntryPerReplicaIsRefused() {
        byte[] shortOne = new byte[Authenticators.bytesFor(CONFIG.n()) - 1];
        assertEquals(Reason.BAD_VALUE, reasonOf(codec.encode(new Request(1, 1, new byte[] {1}, shortOne))));
        byte[] longOne = new byte[Authenticators.bytesFor(CONFIG.n() + 1)];
        assertEquals(Reason.FIELD_TOO_LONG, reasonOf(codec.encode(new Request(1, 1, new byte[] {1}, longOne))));
    }

    @Test
    void anOperationThatDoesNotMatchItsDigestIsRefused() {
        byte[] frame = codec.encode(new BatchData(1, Batch.of(List.of(request(1, 1, "x")))));
        frame[frame.length - 1] = 'z';
        assertEquals(Reason.BAD_VALUE, reasonOf(frame));
    }

    private Reason reasonOf(byte[] frame) {
        return assertThrows(DecodeException.class, () -> codec.decode(frame)).reason();
    }

    @Test
    void badFramesAreRefusedWithTheirReason() {
        byte[] prepare = codec.encode(new Prepare(1, 5, digest(1)));
        assertEquals(Reason.EMPTY, reasonOf(new byte[0]));
        assertEquals(Reason.UNKNOWN_TYPE, reasonOf(new byte[] {99}));
        assertEquals(Reason.TRUNCATED, reasonOf(Arrays.copyOf(prepare, prepare.length - 1)));
        assertEquals(Reason.TRAILING_BYTES, reasonOf(Arrays.copyOf(prepare, prepare.length + 1)));
        assertEquals(Reason.OVERSIZED, reasonOf(new byte[CONFIG.messageBytesMax() + 1]));

        byte[] negativeView = prepare.clone();
        negativeView[1] = (byte) 0x80;
        assertEquals(Reason.BAD_VALUE, reasonOf(negativeView));

        byte[] status = codec.encode(new Status(1, false, 2, 0, false));
        status[9] = 2;
        assertEquals(Reason.BAD_VALUE, reasonOf(status), "a boolean byte other than 0 or 1");

        byte[] checkpoint = codec.encode(checkpoint(1, 4, digest(4)));
        ByteBuffer.wrap(checkpoint).putInt(1, CONFIG.n());
        assertEquals(Reason.BAD_VALUE, reasonOf(checkpoint), "a replica id >= n");

        byte[] request = codec.encode(request(1, 1, "x"));
        ByteBuffer.wrap(request).putInt(17, CONFIG.requestBytesMax() + 1);
        assertEquals(Reason.FIELD_TOO_LONG, reasonOf(request));

        byte[] zeroSeq = codec.encode(request(1, 1, "x"));
        ByteBuffer.wrap(zeroSeq).putLong(9, 0);
        assertEquals(Reason.BAD_VALUE, reasonOf(zeroSeq), "request seq 0");

        byte[] pp = codec.encode(new PrePrepare(1, 5, Batch.EMPTY));
        ByteBuffer.wrap(pp).putInt(17, CONFIG.batchRequestsMax() + 1);
        assertEquals(Reason.TOO_MANY_ITEMS, reasonOf(pp));
    }

    @Test
    void batchesOverTheByteLimitAreRefused() {
        ProtocolConfig small = CONFIG.withBatch(4, 70_000);
        MessageCodec wide = new MessageCodec(small);
        MessageCodec narrow = new MessageCodec(small.withBatch(4, 65_536));
        byte[] op = new byte[34_000];
        byte[] frame = wide.encode(new BatchData(1, Batch.of(List.of(new Request(1, 1, op), new Request(2, 1, op)))));
        assertEquals(Reason.FIELD_TOO_LONG, assertThrows(DecodeException.class, () -> narrow.decode(frame)).reason());
    }

    @Test
    void everyPrefixOfEveryMessageIsRefused() {
        for (Message m : samples()) {
            byte[] bytes = codec.encode(m);
            for (int len = 0; len < bytes.length; len++) {
                byte[] prefix = Arrays.copyOf(bytes, len);
                assertThrows(DecodeException.class, () -> codec.decode(prefix),
                        m.getClass().getSimpleName() + " prefix of " + len);
            }
        }
    }

    /**
     * Mutates valid frames of every type (bit flips, random bytes, cuts, insertions, big length
     * fields) and feeds them to the decoder: it either refuses them with a DecodeException or
     * returns a message that encodes back to the same bytes. Whatever decodes is then stepped
     * into a replica core, which must not throw.
     */
    @Test
    void fuzzedFramesOfEveryDecoderNeverCrashTheDecoderOrTheCore() {
        SplittableRandom random = new SplittableRandom(20261124);
        ReplicaCore core = new ReplicaCore(CONFIG, 1, new MapService(), new TestSignatures(1));
        // the samples' clients (key id 0) have a session: mutated authenticators in proposals get checked
        core.step(new Input.ClientSession(0, new byte[Authenticators.KEY_BYTES]));
        Set<Reason> reasons = EnumSet.noneOf(Reason.class);
        int decoded = 0;
        for (Message m : samples()) {
            byte[] valid = codec.encode(m);
            for (int i = 0; i < 3000; i++) {
                byte[] frame = mutate(valid, random);
                Message back;
                try {
                    back = codec.decode(frame);
                } catch (DecodeException e) {
                    reasons.add(e.reason());
                    continue;
                }
                decoded++;
                assertArrayEquals(frame, codec.encode(back), "a decoded frame must be canonical");
                core.step(new Input.FromReplica(random.nextInt(4), back));
                core.step(Input.TICK);
            }
        }
        assertTrue(decoded > 1000, "too few mutants decoded to exercise the core: " + decoded);
        assertTrue(reasons.containsAll(EnumSet.of(Reason.TRUNCATED, Reason.TRAILING_BYTES, Reason.UNKNOWN_TYPE,
                Reason.FIELD_TOO_LONG, Reason.TOO_MANY_ITEMS, Reason.BAD_VALUE)), "reasons seen: " + reasons);
    }

    private static byte[] mutate(byte[] valid, SplittableRandom random) {
        byte[] b = valid.clone();
        switch (random.nextInt(6)) {
            case 0 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            case 2 -> b = Arrays.copyOf(b, random.nextInt(b.length));
            case 3 -> {
                List<Byte> bytes = new ArrayList<>();
                for (byte x : b) {
                    bytes.add(x);
                }
                bytes.add(random.nextInt(bytes.size() + 1), (byte) random.nextInt(256));
                b = new byte[bytes.size()];
                for (int i = 0; i < b.length; i++) {
                    b[i] = bytes.get(i);
                }
            }
            case 4 -> {
                if (b.length >= 5) {
                    ByteBuffer.wrap(b).putInt(1 + random.nextInt(b.length - 4), random.nextInt());
                }
            }
            default -> {
                b[0] = (byte) (1 + random.nextInt(14));
            }
        }
        return b;
    }
}
