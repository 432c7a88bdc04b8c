package io.rsmr.replica.protocol.message;

/** The checkpoint state at seq; the receiver checks its digest against the certificate. */
public record StateData(long seq, byte[] state) implements Message {
}
