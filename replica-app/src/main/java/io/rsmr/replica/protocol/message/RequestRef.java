package io.rsmr.replica.protocol.message;

/** A request named by client, sequence number and the SHA-256 of its operation. */
public record RequestRef(long clientId, long requestSeq, byte[] operationDigest) {
    public static RequestRef of(Request r) {
        return new RequestRef(r.clientId(), r.requestSeq(), Digests.sha256(r.operation()));
    }
}
