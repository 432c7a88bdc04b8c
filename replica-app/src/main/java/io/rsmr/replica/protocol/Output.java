package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Batch;
import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.Message;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.protocol.message.StateManifest;

import java.util.ArrayList;
import java.util.List;

/**
 * What one {@link ReplicaCore#step} produced. The core reuses one instance: consume it before
 * the next step.
 *
 * <p><b>Persist before send.</b> The shell must make every entry of {@link #toPersist()} durable
 * (per its fsync policy) before it sends any message of {@link #toReplicas()},
 * {@link #toClients()}, {@link #toClientsDigests()} or {@link #toClientsReads()} from the same
 * step. A replica must never tell others that it accepted a proposal, prepared, committed, moved
 * to a new view or holds a checkpoint, and then forget it in a crash; and no client may see a
 * result that the replica could lose.
 */
public final class Output {
    /** Destination meaning "every other replica". */
    public static final int ALL = -1;

    /** A message to replica {@code to}, or to all others when {@code to == ALL}. */
    public record Outbound(int to, Message message) {
    }

    /** A reply for a client. */
    public record ClientReply(long clientId, Reply reply) {
    }

    /** A digest-only reply for a client (only with {@link ProtocolConfig#digestReplies()}). */
    public record ClientReplyDigest(long clientId, ReplyDigest reply) {
    }

    /** An answer to a read on the fast path, for a client. */
    public record ClientReadReply(long clientId, ReadReply reply) {
    }

    /** Something the shell must make durable before sending this step's messages. */
    public sealed interface Persist {
    }

    /** The replica accepted this proposal for seq in view (from a pre-prepare or a new view). */
    public record LogEntry(long view, long seq, Batch batch) implements Persist {
    }

    /** The replica holds a prepared certificate for (view, seq, digest): reported in view changes. */
    public record Prepared(long view, long seq, byte[] digest) implements Persist {
    }

    /** The replica moved to this view (or started changing to it). */
    public record ViewEntry(long view, boolean inViewChange) implements Persist {
    }

    /**
     * A chunk of a checkpoint state, to be kept in the {@link ChunkStore} under its SHA-256
     * {@code digest}. Writing a chunk the store already holds is a no-op. Emitted for the chunks of
     * a new stable checkpoint that the previous one did not have, and for every chunk a state
     * transfer fetched and verified (so a transfer larger than memory streams to disk).
     */
    public record StateChunk(byte[] digest, byte[] bytes) implements Persist {
    }

    /**
     * A new stable checkpoint whose chunks were all persisted (this step or before). Once durable,
     * log entries at or below its seq may be dropped, and chunks that neither it nor
     * {@code alsoServed} lists may be deleted, as {@link ChunkRetention} says (which also keeps
     * those of a transfer in progress).
     *
     * @param alsoServed manifests of the older images the core still serves to recovering peers:
     *        their chunks are read from the store once the service replaced their parts
     */
    public record StableCheckpoint(CheckpointCertificate certificate, StateManifest manifest,
                                   List<StateManifest> alsoServed) implements Persist {
        public StableCheckpoint {
            alsoServed = List.copyOf(alsoServed);
        }

        /** A stable checkpoint with no older image served. */
        public StableCheckpoint(CheckpointCertificate certificate, StateManifest manifest) {
            this(certificate, manifest, List.of());
        }
    }

    /**
     * A batch was executed at seq; {@code executed} lists the requests that ran (duplicates of
     * already executed ones are skipped), {@code chainHash} = SHA-256(previous chain || seq || digest).
     */
    public record Executed(long seq, byte[] batchDigest, byte[] chainHash, List<Request> executed) {
    }

    private final List<Outbound> toReplicas = new ArrayList<>();
    private final List<ClientReply> toClients = new ArrayList<>();
    private final List<ClientReplyDigest> toClientsDigests = new ArrayList<>();
    private final List<ClientReadReply> toClientsReads = new ArrayList<>();
    private final List<Persist> toPersist = new ArrayList<>();
    private final List<Executed> executed = new ArrayList<>();

    public List<Outbound> toReplicas() {
        return toReplicas;
    }

    public List<ClientReply> toClients() {
        return toClients;
    }

    /** Digest-only replies (empty unless digest replies are configured); send like toClients(). */
    public List<ClientReplyDigest> toClientsDigests() {
        return toClientsDigests;
    }

    /** Answers to fast-path reads; send like toClients(). */
    public List<ClientReadReply> toClientsReads() {
        return toClientsReads;
    }

    public List<Persist> toPersist() {
        return toPersist;
    }

    public List<Executed> executed() {
        return executed;
    }

    public boolean isEmpty() {
        return toReplicas.isEmpty() && toClients.isEmpty() && toClientsDigests.isEmpty() && toClientsReads.isEmpty()
                && toPersist.isEmpty() && executed.isEmpty();
    }

    void clear() {
        toReplicas.clear();
        toClients.clear();
        toClientsDigests.clear();
        toClientsReads.clear();
        toPersist.clear();
        executed.clear();
    }

    void send(int to, Message m) {
        toReplicas.add(new Outbound(to, m));
    }

    void broadcast(Message m) {
        toReplicas.add(new Outbound(ALL, m));
    }

    void reply(long clientId, Reply r) {
        toClients.add(new ClientReply(clientId, r));
    }

    void replyDigest(long clientId, ReplyDigest r) {
        toClientsDigests.add(new ClientReplyDigest(clientId, r));
    }

    void replyRead(long clientId, ReadReply r) {
        toClientsReads.add(new ClientReadReply(clientId, r));
    }

    void persist(Persist p) {
        toPersist.add(p);
    }

    void executed(Executed e) {
        executed.add(e);
    }
}
