package io.rsmr.replica.protocol.message;

/**
 * One chunk of the checkpoint state at seq, with the SHA-256 its sender vouches for. The receiver
 * uses it only if that digest is the one the certified manifest lists at index (else the sender lied
 * and is avoided) and the bytes hash to it (else they were spoiled, by the sender or on the wire, and
 * the chunk is asked for again). Between replicas the transport authenticates everything but the
 * bytes (a detached frame, see {@link MessageCodec#encodeChunkHead}): the digest stands in for them.
 */
public record ChunkData(long seq, int index, byte[] digest, byte[] bytes) implements Message {
    public ChunkData {
        if (digest.length != Digests.DIGEST_BYTES) {
            throw new IllegalArgumentException("chunk digest must be " + Digests.DIGEST_BYTES + " bytes, was " + digest.length);
        }
    }
}
