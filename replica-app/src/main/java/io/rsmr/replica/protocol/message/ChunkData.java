package io.rsmr.replica.protocol.message;

/**
 * One chunk of the checkpoint state at seq, with the SHA-256 its sender vouches for. The receiver
 * uses it only if that digest is the one the certified manifest lists at index and the bytes hash to
 * it. Between replicas the transport authenticates everything but the bytes (a detached frame, see
 * {@link MessageCodec#encodeChunkHead}): the digest stands in for them.
 */
public record ChunkData(long seq, int index, byte[] digest, byte[] bytes) implements Message {
    public ChunkData {
        if (digest.length != Digests.DIGEST_BYTES) {
            throw new IllegalArgumentException("chunk digest must be " + Digests.DIGEST_BYTES + " bytes, was " + digest.length);
        }
    }
}
