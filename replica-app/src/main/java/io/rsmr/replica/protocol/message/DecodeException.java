package io.rsmr.replica.protocol.message;

/** A frame that is not a valid message; {@link #reason()} is the counter to bump. */
public final class DecodeException extends Exception {
    /** Why a frame was refused. */
    public enum Reason {
        EMPTY, UNKNOWN_TYPE, TRUNCATED, TRAILING_BYTES, OVERSIZED, FIELD_TOO_LONG, TOO_MANY_ITEMS, BAD_VALUE
    }

    private final Reason reason;

    public DecodeException(Reason reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
