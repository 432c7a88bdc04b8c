package io.rsmr.replica.node;

/**
 * TEST ONLY: ways a replica can misbehave, for the multi-process tests (a real process with the
 * real transport, whose keys are valid, doing the wrong thing). Never set in production.
 */
public enum ByzantineMode {
    /** Behaves correctly. */
    NONE,
    /** Receives but never sends anything (a crashed or muted replica that keeps its sockets). */
    SILENT,
    /** Sends every client a wrong result. */
    WRONG_REPLIES,
    /** Wrong results to clients and bytes flipped in every message to replicas (MACs still valid). */
    GARBLE,
    /**
     * Serves state-transfer chunks whose bytes are not the ones the SHA-256 in their authenticated
     * head names (valid MACs), as a faulty sender — or an attacker on the wire — could.
     */
    SPOILED_CHUNKS,
    /** Serves other bytes than the certified chunks', vouching for their own SHA-256 (valid MACs). */
    FORGED_CHUNKS;

    /** Parses a command-line value such as {@code wrong-replies}. */
    public static ByzantineMode parse(String text) {
        try {
            return valueOf(text.strip().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown Byzantine test mode '" + text
                    + "'; one of none, silent, wrong-replies, garble, spoiled-chunks, forged-chunks", e);
        }
    }
}
