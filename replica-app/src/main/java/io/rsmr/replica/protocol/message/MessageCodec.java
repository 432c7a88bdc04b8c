package io.rsmr.replica.protocol.message;

import io.rsmr.replica.protocol.ProtocolConfig;
import io.rsmr.replica.protocol.message.DecodeException.Reason;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Strict, bounded binary encoding of every {@link Message}: big-endian fixed-width integers,
 * length-prefixed byte strings, one type byte first. Every length and count is checked against
 * the limits of {@link ProtocolConfig} before anything is allocated; trailing bytes are refused.
 */
public final class MessageCodec {
    private static final byte REQUEST = 1;
    private static final byte REPLY = 2;
    private static final byte PRE_PREPARE = 3;
    private static final byte PREPARE = 4;
    private static final byte COMMIT = 5;
    private static final byte CHECKPOINT = 6;
    private static final byte CHECKPOINT_CERTIFICATE = 7;
    private static final byte VIEW_CHANGE = 8;
    private static final byte NEW_VIEW = 9;
    private static final byte STATUS = 10;
    private static final byte FETCH_BATCH = 11;
    private static final byte BATCH_DATA = 12;
    private static final byte FETCH_STATE = 13;
    private static final byte STATE_MANIFEST = 14;
    private static final byte REPLY_DIGEST = 15;
    private static final byte FETCH_CHUNKS = 16;
    private static final byte CHUNK_DATA = 17;
    private static final byte READ_REQUEST = 18;
    private static final byte READ_REPLY = 19;

    private static final byte[] CHECKPOINT_DOMAIN = "rsmr-checkpoint-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] VIEW_CHANGE_DOMAIN = "rsmr-view-change-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEW_VIEW_DOMAIN = "rsmr-new-view-v1".getBytes(StandardCharsets.US_ASCII);

    private final ProtocolConfig config;

    public MessageCodec(ProtocolConfig config) {
        this.config = config;
    }

    public ProtocolConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- encoding

    public byte[] encode(Message message) {
        Writer w = new Writer(initialSize(message));
        writeMessage(w, message);
        byte[] out = w.toByteArray();
        if (out.length > config.messageBytesMax()) {
            throw new IllegalArgumentException("message of " + out.length + " bytes exceeds messageBytesMax "
                    + config.messageBytesMax() + ": " + message.getClass().getSimpleName());
        }
        return out;
    }

    /** Bytes of a chunk's encoding before its bytes: type, seq, index, digest, length. */
    public static final int CHUNK_HEAD_BYTES = 1 + 8 + 4 + Digests.DIGEST_BYTES + 4;

    /**
     * The encoding of {@code chunk} up to its bytes, which follow it: {@code encode(chunk)} is this
     * head followed by {@code chunk.bytes()}. Lets the transport authenticate the head alone (seq,
     * index, digest and the bytes' length) and send the bytes without copying or MACing them.
     */
    public byte[] encodeChunkHead(ChunkData chunk) {
        if (CHUNK_HEAD_BYTES + chunk.bytes().length > config.messageBytesMax()) {
            throw new IllegalArgumentException("chunk of " + chunk.bytes().length + " bytes exceeds messageBytesMax "
                    + config.messageBytesMax());
        }
        Writer w = new Writer(CHUNK_HEAD_BYTES);
        writeChunkHead(w, chunk);
        assert w.len == CHUNK_HEAD_BYTES;
        return w.toByteArray();
    }

    /**
     * The chunk whose head ({@link #encodeChunkHead}) and bytes arrived apart (a detached frame):
     * the head must be exactly a chunk's head naming {@code bytes.length} bytes. The chunk keeps
     * {@code bytes} itself, not a copy.
     */
    public ChunkData decodeChunk(byte[] head, byte[] bytes) throws DecodeException {
        Reader r = new Reader(head, 0, head.length);
        int type = r.u8("type");
        if (type != CHUNK_DATA) {
            throw new DecodeException(Reason.UNKNOWN_TYPE, "a detached frame holds message type " + type + ", not a chunk");
        }
        long seq = r.seq("seq");
        int index = r.index("chunk index", config.stateChunksMax());
        byte[] digest = r.digest("chunk digest");
        int length = r.i32("chunk length");
        r.end();
        if (length != bytes.length || length > config.chunkBytesMax()) {
            throw new DecodeException(Reason.BAD_VALUE, "chunk head names " + length + " bytes, " + bytes.length
                    + " follow it (at most " + config.chunkBytesMax() + ")");
        }
        return new ChunkData(seq, index, digest, bytes);
    }

    private static void writeChunkHead(Writer w, ChunkData c) {
        w.u8(CHUNK_DATA);
        w.i64(c.seq());
        w.i32(c.index());
        w.digest(c.digest());
        w.i32(c.bytes().length);
    }

    /** SHA-256 over the canonical encoding of a batch's request references (the batch digest). */
    public static byte[] batchDigest(List<RequestRef> refs) {
        Writer w = new Writer(8 + refs.size() * 48);
        writeRefs(w, refs);
        return Digests.sha256(w.buf, 0, w.len);
    }

    /** The bytes a checkpoint's signature covers. */
    public static byte[] signedBytes(int replicaId, long epoch, long seq, byte[] stateDigest) {
        Writer w = new Writer(96);
        w.bytes(CHECKPOINT_DOMAIN);
        w.i32(replicaId);
        w.i64(epoch);
        w.i64(seq);
        w.digest(stateDigest);
        return w.toByteArray();
    }

    /** The bytes a view change's signature covers (everything but the signature). */
    public static byte[] signedBytes(ViewChange vc) {
        Writer w = new Writer(1024);
        w.bytes(VIEW_CHANGE_DOMAIN);
        writeViewChangeBody(w, vc);
        return w.toByteArray();
    }

    /** The bytes a new view's signature covers (everything but the leader's signature). */
    public static byte[] signedBytes(NewView nv) {
        Writer w = new Writer(4096);
        w.bytes(NEW_VIEW_DOMAIN);
        writeNewViewBody(w, nv);
        return w.toByteArray();
    }

    private static int initialSize(Message m) {
        if (m instanceof PrePrepare pp) {
            return 32 + fullBatchBytes(pp.batch()) + pp.batch().size() * (4 + Authenticators.bytesFor(CLIENT_ENTRIES_GUESS));
        }
        if (m instanceof BatchData bd) {
            return 32 + fullBatchBytes(bd.batch());
        }
        if (m instanceof ChunkData cd) {
            return CHUNK_HEAD_BYTES + cd.bytes().length;
        }
        if (m instanceof StateManifest sm) {
            return 24 + sm.chunkCount() * 36;
        }
        return 256;
    }

    /** Replicas assumed per authenticator when sizing a buffer (it grows if there are more). */
    private static final int CLIENT_ENTRIES_GUESS = 8;

    private static int fullBatchBytes(Batch batch) {
        int bytes = 4;
        for (byte[] op : batch.operations()) {
            bytes += 53 + (op == null ? 0 : op.length);
        }
        return bytes;
    }

    private static void writeMessage(Writer w, Message message) {
        if (message instanceof Request r) {
            w.u8(REQUEST);
            writeRequest(w, r);
        } else if (message instanceof Reply r) {
            w.u8(REPLY);
            w.i64(r.clientId());
            w.i64(r.requestSeq());
            w.i64(r.view());
            w.blob(r.result());
        } else if (message instanceof ReadRequest r) {
            w.u8(READ_REQUEST);
            w.i64(r.clientId());
            w.i64(r.readSeq());
            w.blob(r.operation());
        } else if (message instanceof ReadReply r) {
            w.u8(READ_REPLY);
            w.i64(r.clientId());
            w.i64(r.readSeq());
            w.blob(r.result());
        } else if (message instanceof ReplyDigest r) {
            w.u8(REPLY_DIGEST);
            w.i64(r.clientId());
            w.i64(r.requestSeq());
            w.i64(r.view());
            w.digest(r.resultDigest());
        } else if (message instanceof PrePrepare pp) {
            w.u8(PRE_PREPARE);
            w.i64(pp.view());
            w.i64(pp.seq());
            writeFullBatch(w, pp.batch());
            for (int i = 0; i < pp.batch().size(); i++) {
                w.blob(pp.batch().authenticator(i));
            }
        } else if (message instanceof Prepare p) {
            w.u8(PREPARE);
            w.i64(p.view());
            w.i64(p.seq());
            w.digest(p.digest());
        } else if (message instanceof Commit c) {
            w.u8(COMMIT);
            w.i64(c.view());
            w.i64(c.seq());
            w.digest(c.digest());
        } else if (message instanceof Checkpoint c) {
            w.u8(CHECKPOINT);
            writeCheckpoint(w, c);
        } else if (message instanceof CheckpointCertificate cc) {
            w.u8(CHECKPOINT_CERTIFICATE);
            writeCertificate(w, cc);
        } else if (message instanceof ViewChange vc) {
            w.u8(VIEW_CHANGE);
            writeViewChange(w, vc);
        } else if (message instanceof NewView nv) {
            w.u8(NEW_VIEW);
            writeNewViewBody(w, nv);
            w.blob(nv.signature());
        } else if (message instanceof Status s) {
            w.u8(STATUS);
            w.i64(s.view());
            w.u8(s.inViewChange() ? 1 : 0);
            w.i64(s.lastExecutedSeq());
            w.i64(s.stableSeq());
            w.u8(s.recovering() ? 1 : 0);
        } else if (message instanceof FetchBatch f) {
            w.u8(FETCH_BATCH);
            w.i64(f.seq());
            w.digest(f.digest());
        } else if (message instanceof BatchData b) {
            w.u8(BATCH_DATA);
            w.i64(b.seq());
            writeFullBatch(w, b.batch());
        } else if (message instanceof FetchState f) {
            w.u8(FETCH_STATE);
            w.i64(f.seq());
        } else if (message instanceof StateManifest s) {
            w.u8(STATE_MANIFEST);
            writeManifest(w, s);
        } else if (message instanceof FetchChunks f) {
            w.u8(FETCH_CHUNKS);
            w.i64(f.seq());
            w.i32(f.indexes().size());
            for (int index : f.indexes()) {
                w.i32(index);
            }
        } else if (message instanceof ChunkData c) {
            writeChunkHead(w, c);
            w.bytes(c.bytes());
        } else {
            throw new IllegalArgumentException("unknown message type " + message.getClass());
        }
    }

    private static void writeRequest(Writer w, Request r) {
        w.i64(r.clientId());
        w.i64(r.requestSeq());
        w.blob(r.operation());
        w.blob(r.authenticator());
    }

    private static void writeRefs(Writer w, List<RequestRef> refs) {
        w.i32(refs.size());
        for (RequestRef r : refs) {
            w.i64(r.clientId());
            w.i64(r.requestSeq());
            w.digest(r.operationDigest());
        }
    }

    /** References, then for each a presence byte and, if present, the operation. */
    private static void writeFullBatch(Writer w, Batch batch) {
        writeRefs(w, batch.refs());
        for (byte[] op : batch.operations()) {
            w.u8(op == null ? 0 : 1);
            if (op != null) {
                w.blob(op);
            }
        }
    }

    private static void writeCheckpoint(Writer w, Checkpoint c) {
        w.i32(c.replicaId());
        w.i64(c.epoch());
        w.i64(c.seq());
        w.digest(c.stateDigest());
        w.blob(c.signature());
    }

    private static void writeCertificate(Writer w, CheckpointCertificate cc) {
        w.i64(cc.seq());
        w.digest(cc.stateDigest());
        w.i32(cc.proofs().size());
        for (Checkpoint c : cc.proofs()) {
            writeCheckpoint(w, c);
        }
    }

    private static void writeManifest(Writer w, StateManifest m) {
        w.i64(m.seq());
        w.i32(m.partChunks().size());
        for (int chunks : m.partChunks()) {
            w.i32(chunks);
        }
        w.i32(m.chunkCount());
        for (byte[] d : m.chunkDigests()) {
            w.digest(d);
        }
    }

    private static void writeClaims(Writer w, List<SlotClaim> claims) {
        w.i32(claims.size());
        for (SlotClaim c : claims) {
            w.i64(c.seq());
            w.i64(c.view());
            w.digest(c.digest());
        }
    }

    private static void writeViewChangeBody(Writer w, ViewChange vc) {
        w.i32(vc.replicaId());
        w.i64(vc.epoch());
        w.i64(vc.newView());
        writeCertificate(w, vc.stable());
        writeClaims(w, vc.prepared());
        writeClaims(w, vc.prePrepared());
    }

    private static void writeViewChange(Writer w, ViewChange vc) {
        writeViewChangeBody(w, vc);
        w.blob(vc.signature());
    }

    private static void writeNewViewBody(Writer w, NewView nv) {
        w.i32(nv.replicaId());
        w.i64(nv.epoch());
        w.i64(nv.view());
        w.i32(nv.viewChanges().size());
        for (ViewChange vc : nv.viewChanges()) {
            writeViewChange(w, vc);
        }
    }

    // ---------------------------------------------------------------- decoding

    public Message decode(byte[] frame) throws DecodeException {
        return decode(frame, 0, frame.length);
    }

    /** Decodes exactly {@code length} bytes at {@code offset}; anything else is refused with a reason. */
    public Message decode(byte[] frame, int offset, int length) throws DecodeException {
        if (length <= 0) {
            throw new DecodeException(Reason.EMPTY, "empty frame");
        }
        if (length > config.messageBytesMax()) {
            throw new DecodeException(Reason.OVERSIZED,
                    "frame of " + length + " bytes exceeds messageBytesMax " + config.messageBytesMax());
        }
        Reader r = new Reader(frame, offset, length);
        int type = r.u8("type");
        Message m = switch (type) {
            case REQUEST -> readRequest(r);
            case REPLY -> new Reply(r.i64("clientId"), r.positive("requestSeq"), r.seq("view"),
                    r.blob("result", config.replyBytesMax()));
            case READ_REQUEST -> new ReadRequest(r.i64("clientId"), r.positive("readSeq"),
                    r.blob("operation", config.requestBytesMax()));
            case READ_REPLY -> new ReadReply(r.i64("clientId"), r.positive("readSeq"), r.blob("result", config.replyBytesMax()));
            case REPLY_DIGEST -> new ReplyDigest(r.i64("clientId"), r.positive("requestSeq"), r.seq("view"),
                    r.digest("resultDigest"));
            case PRE_PREPARE -> new PrePrepare(r.seq("view"), r.seq("seq"), readProposal(r));
            case PREPARE -> new Prepare(r.seq("view"), r.seq("seq"), r.digest("digest"));
            case COMMIT -> new Commit(r.seq("view"), r.seq("seq"), r.digest("digest"));
            case CHECKPOINT -> readCheckpoint(r);
            case CHECKPOINT_CERTIFICATE -> readCertificate(r);
            case VIEW_CHANGE -> readViewChange(r);
            case NEW_VIEW -> readNewView(r);
            case STATUS -> new Status(r.seq("view"), r.bool("inViewChange"), r.seq("lastExecutedSeq"), r.seq("stableSeq"),
                    r.bool("recovering"));
            case FETCH_BATCH -> new FetchBatch(r.seq("seq"), r.digest("digest"));
            case BATCH_DATA -> new BatchData(r.seq("seq"), readFullBatch(r));
            case FETCH_STATE -> new FetchState(r.seq("seq"));
            case STATE_MANIFEST -> readManifest(r);
            case FETCH_CHUNKS -> readFetchChunks(r);
            case CHUNK_DATA -> new ChunkData(r.seq("seq"), r.index("chunk index", config.stateChunksMax()),
                    r.digest("chunk digest"), r.blob("chunk", config.chunkBytesMax()));
            default -> throw new DecodeException(Reason.UNKNOWN_TYPE, "message type " + type);
        };
        r.end();
        return m;
    }

    private Request readRequest(Reader r) throws DecodeException {
        return new Request(r.i64("clientId"), r.positive("requestSeq"), r.blob("operation", config.requestBytesMax()),
                readAuthenticator(r));
    }

    /** Empty, or one entry per replica. */
    private byte[] readAuthenticator(Reader r) throws DecodeException {
        byte[] authenticator = r.blob("authenticator", Authenticators.bytesFor(config.n()));
        if (authenticator.length != 0 && authenticator.length != Authenticators.bytesFor(config.n())) {
            throw new DecodeException(Reason.BAD_VALUE, "authenticator of " + authenticator.length + " bytes, expected 0 or "
                    + Authenticators.bytesFor(config.n()));
        }
        return authenticator.length == 0 ? Authenticators.NONE : authenticator;
    }

    private List<RequestRef> readRefs(Reader r) throws DecodeException {
        int count = r.count("batch requests", config.batchRequestsMax());
        List<RequestRef> refs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            refs.add(new RequestRef(r.i64("clientId"), r.positive("requestSeq"), r.digest("operation digest")));
        }
        return refs;
    }

    /** A leader's proposal: the batch with (some of) its operations, and an authenticator per request. */
    private Batch readProposal(Reader r) throws DecodeException {
        Batch batch = readFullBatch(r);
        List<byte[]> authenticators = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            authenticators.add(readAuthenticator(r));
        }
        return Batch.decoded(batch.refs(), batch.operations(), authenticators, batch.digest());
    }

    /** A batch with (some of) its operations; each present operation must match its digest. */
    private Batch readFullBatch(Reader r) throws DecodeException {
        int start = r.pos;
        List<RequestRef> refs = readRefs(r);
        byte[] digest = Digests.sha256(r.buf, start, r.pos - start);
        List<byte[]> ops = new ArrayList<>(refs.size());
        long opBytes = 0;
        for (RequestRef ref : refs) {
            byte[] op = r.bool("operation present") ? r.blob("operation", config.requestBytesMax()) : null;
            if (op != null) {
                opBytes += op.length;
                if (opBytes > config.batchBytesMax()) {
                    throw new DecodeException(Reason.FIELD_TOO_LONG,
                            "batch operations exceed batchBytesMax " + config.batchBytesMax());
                }
                if (!Arrays.equals(Digests.sha256(op), ref.operationDigest())) {
                    throw new DecodeException(Reason.BAD_VALUE, "an operation does not match its digest");
                }
            }
            ops.add(op);
        }
        return Batch.decoded(refs, ops, Collections.nCopies(refs.size(), Authenticators.NONE), digest);
    }

    private Checkpoint readCheckpoint(Reader r) throws DecodeException {
        return new Checkpoint(r.replica("replicaId", config.n()), r.seq("epoch"), r.seq("seq"),
                r.digest("stateDigest"), r.blob("signature", config.signatureBytesMax()));
    }

    private CheckpointCertificate readCertificate(Reader r) throws DecodeException {
        long seq = r.seq("certificate seq");
        byte[] digest = r.digest("certificate digest");
        int count = r.count("checkpoint proofs", config.n());
        List<Checkpoint> proofs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            proofs.add(readCheckpoint(r));
        }
        return new CheckpointCertificate(seq, digest, proofs);
    }

    private StateManifest readManifest(Reader r) throws DecodeException {
        long seq = r.seq("manifest seq");
        int parts = r.count("state parts", config.stateChunksMax());
        List<Integer> partChunks = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            partChunks.add(r.index("chunks of part " + i, config.stateChunksMax() + 1));
        }
        int chunks = r.count("state chunks", config.stateChunksMax());
        List<byte[]> digests = new ArrayList<>(chunks);
        for (int i = 0; i < chunks; i++) {
            digests.add(r.digest("chunk digest"));
        }
        try {
            return new StateManifest(seq, digests, partChunks);
        } catch (IllegalArgumentException e) {
            throw new DecodeException(Reason.BAD_VALUE, "state manifest: " + e.getMessage());
        }
    }

    private FetchChunks readFetchChunks(Reader r) throws DecodeException {
        long seq = r.seq("seq");
        int count = r.count("chunk indexes", config.transferChunksInFlightMax());
        List<Integer> indexes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            indexes.add(r.index("chunk index", config.stateChunksMax()));
        }
        return new FetchChunks(seq, indexes);
    }

    private List<SlotClaim> readClaims(Reader r, String what, int max) throws DecodeException {
        int count = r.count(what, max);
        List<SlotClaim> claims = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            claims.add(new SlotClaim(r.seq("claim seq"), r.seq("claim view"), r.digest("claim digest")));
        }
        return claims;
    }

    private ViewChange readViewChange(Reader r) throws DecodeException {
        int replica = r.replica("replicaId", config.n());
        long epoch = r.seq("epoch");
        long newView = r.seq("newView");
        CheckpointCertificate stable = readCertificate(r);
        List<SlotClaim> prepared = readClaims(r, "prepared claims", config.logWindowSeqs());
        List<SlotClaim> prePrepared = readClaims(r, "pre-prepared claims",
                config.logWindowSeqs() * config.prePreparedClaimsPerSeqMax());
        byte[] sig = r.blob("signature", config.signatureBytesMax());
        return new ViewChange(replica, epoch, newView, stable, prepared, prePrepared, sig);
    }

    private NewView readNewView(Reader r) throws DecodeException {
        int replica = r.replica("replicaId", config.n());
        long epoch = r.seq("epoch");
        long view = r.seq("view");
        int count = r.count("view changes", config.n());
        List<ViewChange> vcs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            vcs.add(readViewChange(r));
        }
        byte[] sig = r.blob("signature", config.signatureBytesMax());
        return new NewView(replica, epoch, view, vcs, sig);
    }

    // ---------------------------------------------------------------- primitives

    private static final class Writer {
        byte[] buf;
        int len;

        Writer(int initial) {
            buf = new byte[Math.max(16, initial)];
        }

        private void room(int extra) {
            if (len + extra > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
            }
        }

        void u8(int v) {
            room(1);
            buf[len++] = (byte) v;
        }

        void i32(int v) {
            room(4);
            for (int shift = 24; shift >= 0; shift -= 8) {
                buf[len++] = (byte) (v >>> shift);
            }
        }

        void i64(long v) {
            room(8);
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[len++] = (byte) (v >>> shift);
            }
        }

        void bytes(byte[] b) {
            room(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        void blob(byte[] b) {
            i32(b.length);
            bytes(b);
        }

        void digest(byte[] d) {
            if (d.length != Digests.DIGEST_BYTES) {
                throw new IllegalArgumentException("digest must be " + Digests.DIGEST_BYTES + " bytes, was " + d.length);
            }
            bytes(d);
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(buf, len);
        }
    }

    private static final class Reader {
        final byte[] buf;
        int pos;
        final int limit;

        Reader(byte[] buf, int offset, int length) {
            if (offset < 0 || length < 0 || offset + length > buf.length) {
                throw new IllegalArgumentException("bad slice " + offset + "+" + length + " of " + buf.length);
            }
            this.buf = buf;
            this.pos = offset;
            this.limit = offset + length;
        }

        private void need(int bytes, String field) throws DecodeException {
            if (limit - pos < bytes) {
                throw new DecodeException(Reason.TRUNCATED, field + " needs " + bytes + " bytes, " + (limit - pos) + " left");
            }
        }

        int u8(String field) throws DecodeException {
            need(1, field);
            return buf[pos++] & 0xff;
        }

        int i32(String field) throws DecodeException {
            need(4, field);
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v = (v << 8) | (buf[pos++] & 0xff);
            }
            return v;
        }

        long i64(String field) throws DecodeException {
            need(8, field);
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (buf[pos++] & 0xff);
            }
            return v;
        }

        long seq(String field) throws DecodeException {
            long v = i64(field);
            if (v < 0) {
                throw new DecodeException(Reason.BAD_VALUE, field + " is negative: " + v);
            }
            return v;
        }

        long positive(String field) throws DecodeException {
            long v = i64(field);
            if (v < 1) {
                throw new DecodeException(Reason.BAD_VALUE, field + " must be >= 1, was " + v);
            }
            return v;
        }

        boolean bool(String field) throws DecodeException {
            int v = u8(field);
            if (v > 1) {
                throw new DecodeException(Reason.BAD_VALUE, field + " must be 0 or 1, was " + v);
            }
            return v == 1;
        }

        int replica(String field, int n) throws DecodeException {
            int v = i32(field);
            if (v < 0 || v >= n) {
                throw new DecodeException(Reason.BAD_VALUE, field + " " + v + " is not in [0, " + n + ")");
            }
            return v;
        }

        /** An int in [0, max). */
        int index(String field, int max) throws DecodeException {
            int v = i32(field);
            if (v < 0 || v >= max) {
                throw new DecodeException(Reason.BAD_VALUE, field + " " + v + " is not in [0, " + max + ")");
            }
            return v;
        }

        int count(String field, int max) throws DecodeException {
            int v = i32(field);
            if (v < 0 || v > max) {
                throw new DecodeException(Reason.TOO_MANY_ITEMS, field + " count " + v + " not in [0, " + max + "]");
            }
            return v;
        }

        byte[] blob(String field, int max) throws DecodeException {
            int length = i32(field + " length");
            if (length < 0 || length > max) {
                throw new DecodeException(Reason.FIELD_TOO_LONG, field + " length " + length + " not in [0, " + max + "]");
            }
            need(length, field);
            byte[] out = java.util.Arrays.copyOfRange(buf, pos, pos + length);
            pos += length;
            return out;
        }

        byte[] digest(String field) throws DecodeException {
            need(Digests.DIGEST_BYTES, field);
            byte[] out = java.util.Arrays.copyOfRange(buf, pos, pos + Digests.DIGEST_BYTES);
            pos += Digests.DIGEST_BYTES;
            return out;
        }

        void end() throws DecodeException {
            if (pos != limit) {
                throw new DecodeException(Reason.TRAILING_BYTES, (limit - pos) + " bytes after the message");
            }
        }
    }
}
