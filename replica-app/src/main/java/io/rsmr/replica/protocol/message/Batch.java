package io.rsmr.replica.protocol.message;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * An ordered batch of client requests. Its digest is SHA-256 over the canonical encoding of the
 * request references (client, sequence number, operation digest; {@link MessageCodec#batchDigest}).
 * A leader's pre-prepare carries the operations and the clients' {@link Authenticators} too (clients
 * send a request to the leader only); a batch fetched or logged may lack operations (null), which the
 * core fills from the requests it received, or fetches. Authenticators are not covered by the digest:
 * each backup checks only its own entry. The digest
 * is computed once, where the batch is made or decoded, and nobody can pair references with a digest
 * of other bytes.
 */
public final class Batch {
    public static final Batch EMPTY = of(List.of());

    private final List<RequestRef> refs;
    private final List<byte[]> operations;
    /** Per request: its client's authenticator, or {@link Authenticators#NONE}. */
    private final List<byte[]> authenticators;
    private final byte[] digest;

    private Batch(List<RequestRef> refs, List<byte[]> operations, List<byte[]> authenticators, byte[] digest) {
        if (operations.size() != refs.size() || authenticators.size() != refs.size()) {
            throw new IllegalArgumentException(refs.size() + " requests but " + operations.size() + " operations and "
                    + authenticators.size() + " authenticators");
        }
        this.refs = List.copyOf(refs);
        this.operations = Collections.unmodifiableList(new ArrayList<>(operations));
        this.authenticators = List.copyOf(authenticators);
        this.digest = digest;
    }

    /** Makes a batch of full requests, computing its digest. */
    public static Batch of(List<Request> requests) {
        List<RequestRef> refs = new ArrayList<>(requests.size());
        List<byte[]> operations = new ArrayList<>(requests.size());
        List<byte[]> authenticators = new ArrayList<>(requests.size());
        for (Request r : requests) {
            refs.add(RequestRef.of(r));
            operations.add(r.operation());
            authenticators.add(r.authenticator());
        }
        return new Batch(refs, operations, authenticators, MessageCodec.batchDigest(refs));
    }

    /** For the decoder, which hashed exactly the canonical reference bytes it decoded. */
    static Batch decoded(List<RequestRef> refs, List<byte[]> operations, List<byte[]> authenticators, byte[] digest) {
        return new Batch(refs, operations, authenticators, digest);
    }

    public List<RequestRef> refs() {
        return refs;
    }

    /** The operation of request i, or null when this batch does not hold it. */
    public byte[] operation(int i) {
        return operations.get(i);
    }

    /** Request i with its operation; only when {@link #operation(int)} is not null. */
    public Request request(int i) {
        RequestRef ref = refs.get(i);
        return new Request(ref.clientId(), ref.requestSeq(), operations.get(i), authenticators.get(i));
    }

    /** The authenticator that came with request i ({@link Authenticators#NONE} when none did). */
    public byte[] authenticator(int i) {
        return authenticators.get(i);
    }

    /**
     * The same batch with the operations of {@code known} filled in where they match the digests of
     * the references (others stay as they were).
     */
    public Batch withOperations(List<byte[]> known) {
        List<byte[]> merged = new ArrayList<>(operations);
        boolean changed = false;
        for (int i = 0; i < refs.size(); i++) {
            byte[] op = known.get(i);
            if (merged.get(i) == null && op != null
                    && Arrays.equals(Digests.sha256(op), refs.get(i).operationDigest())) {
                merged.set(i, op);
                changed = true;
            }
        }
        return changed ? new Batch(refs, merged, authenticators, digest) : this;
    }

    /**
     * What the leader sends in its pre-prepare: the operations of the requests that came with an
     * authenticator (the client sent them to the leader only), and only the references of the others
     * (their clients sent them to every replica).
     */
    public Batch proposal() {
        List<byte[]> relayed = new ArrayList<>(operations);
        boolean changed = false;
        for (int i = 0; i < refs.size(); i++) {
            if (authenticators.get(i).length == 0 && relayed.get(i) != null) {
                relayed.set(i, null);
                changed = true;
            }
        }
        return changed ? new Batch(refs, relayed, authenticators, digest) : this;
    }

    /** The operations, null where absent (a view of this batch). */
    public List<byte[]> operations() {
        return operations;
    }

    /** The digest (callers must not modify the array). */
    public byte[] digest() {
        return digest;
    }

    public int size() {
        return refs.size();
    }
}
