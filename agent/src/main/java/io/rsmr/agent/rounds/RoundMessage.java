package io.rsmr.agent.rounds;

/**
 * What agents tell each other about rounds. The shell signs each with the origin agent's key and
 * checks signature, cluster and freshness before the core sees it; a message may be relayed by any
 * agent, since the signature is the origin's. Started and Done are facts about one (round, replica),
 * so a replayed copy changes nothing; a heartbeat carries a per-sender sequence number that the
 * shell requires to grow.
 */
public sealed interface RoundMessage {
    /** The host whose agent made (and signed) the message. */
    String origin();

    /** The origin agent began rejuvenating {@code replicaId} in {@code round} at its clock's {@code startedMillis}. */
    record Started(String origin, long round, int replicaId, long startedMillis) implements RoundMessage {
    }

    /**
     * The origin agent finished rejuvenating {@code replicaId} in {@code round}. Only {@code ok} lets the
     * next group start: a failed rejuvenation may have left the replica down.
     */
    record Done(String origin, long round, int replicaId, boolean ok, long startedMillis, long endedMillis)
            implements RoundMessage {
    }

    /** The origin agent is alive; {@code sentMillis} is its clock, for offset estimates. */
    record Heartbeat(String origin, long sequence, long sentMillis) implements RoundMessage {
    }
}
