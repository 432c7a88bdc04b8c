package io.rsmr.replica.protocol;

/** Why the core ignored an input; each has a counter ({@link ReplicaCore#dropCount}). */
public enum DropReason {
    NOT_FROM_REPLICA,
    CLIENT_ID_MISMATCH,
    REQUEST_TOO_LARGE,
    TOO_MANY_CLIENTS,
    OLD_REQUEST,
    NOT_READ_ONLY,
    READ_WHILE_RECOVERING,
    READ_EXPIRED,
    WRONG_VIEW,
    NOT_FROM_LEADER,
    OUTSIDE_WINDOW,
    CONFLICTING_PROPOSAL,
    INVALID_BATCH,
    BAD_SIGNATURE,
    BAD_CERTIFICATE,
    BAD_VIEW_CHANGE,
    BAD_NEW_VIEW,
    BAD_STATE,
    /** A chunk a peer asked for of an image we serve that neither memory nor the store holds intact. */
    CHUNK_UNAVAILABLE,
    /**
     * A chunk whose sender vouched for the certified digest but whose bytes do not hash to it: spoiled
     * on the wire or by the sender, which cannot be told apart, so it is refused and asked again, like
     * a frame with a bad MAC, and the sender is not blamed.
     */
    CHUNK_SPOILED,
    UNEXPECTED,
    DUPLICATE
}
