package io.rsmr.replica.protocol.message;

/**
 * Every message of the ordering protocol. Unsigned messages carry no sender id: the transport
 * authenticates the sender (MAC per frame) and hands it to the core beside the message. Messages
 * that third parties must check ({@link Checkpoint}, {@link ViewChange}, {@link NewView}) are
 * signed and name their signer and its key epoch.
 */
public sealed interface Message
        permits Request, Reply, ReplyDigest, PrePrepare, Prepare, Commit, Checkpoint, CheckpointCertificate,
                ViewChange, NewView, Status, FetchBatch, BatchData, FetchState, StateManifest, FetchChunks, ChunkData,
                ReadRequest, ReadReply {
}
