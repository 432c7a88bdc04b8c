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
    UNEXPECTED,
    DUPLICATE
}
