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

    /**
     * The origin agent asks every agent's grant for a one-off rejuvenation of its {@code replicaId},
     * outside the schedule; {@code id} (the request's time on its clock) names the one-off from here on.
     */
    record OneOffRequest(String origin, int replicaId, long id) implements RoundMessage {
    }

    /**
     * The origin agent grants {@code requester}'s one-off {@code id}: it will start no group, and grant no
     * other one-off, until that one-off's Done.
     */
    record OneOffGrant(String origin, String requester, int replicaId, long id) implements RoundMessage {
    }

    /** The origin agent, holding every grant, began one-off {@code id} of its {@code replicaId}. */
    record OneOffStarted(String origin, int replicaId, long id) implements RoundMessage {
    }

    /**
     * One-off {@code id} ended (or was given up before it started, for want of a grant): grants are
     * released. Only {@code ok} means the replica is back; after a failure it may be down.
     */
    record OneOffDone(String origin, int replicaId, long id, boolean ok, long endedMillis) implements RoundMessage {
    }

    /** The origin agent is alive; {@code sentMillis} is its clock, for offset estimates. */
    record Heartbeat(String origin, long sequence, long sentMillis) implements RoundMessage {
    }
}
