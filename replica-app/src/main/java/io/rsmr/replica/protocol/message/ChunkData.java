package io.rsmr.replica.protocol.message;

/** One chunk of the checkpoint state at seq; the receiver checks it against the manifest's digest. */
public record ChunkData(long seq, int index, byte[] bytes) implements Message {
}
