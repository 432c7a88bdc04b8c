package io.rsmr.replica.protocol.message;

/** In a view change: "for seq, I (pre-)prepared digest in view". */
public record SlotClaim(long seq, long view, byte[] digest) {
}
