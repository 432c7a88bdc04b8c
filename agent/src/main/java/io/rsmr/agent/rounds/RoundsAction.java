package io.rsmr.agent.rounds;

/** What comes out of {@link RoundsCore#step}, for the shell to carry out in order. */
public sealed interface RoundsAction {
    /**
     * Rejuvenate this host's replica now (Algorithm 1); report back with a LocalFinished event of the
     * same round. A one-off, outside the schedule, has round and group {@link #ONE_OFF}.
     */
    record StartLocal(long round, int group, int replicaId, long deadlineMillis) implements RoundsAction {
        public static final int ONE_OFF = -1;

        public boolean oneOff() {
            return round == ONE_OFF;
        }
    }

    /** Sign (if this agent is the origin) and send to every other agent. */
    record Broadcast(RoundMessage message) implements RoundsAction {
    }

    /** A global deadline is missed: fire the configured fail-safe actions S. */
    record FailSafe(long round, String reason) implements RoundsAction {
    }

    /** Something the operator must know that is not (yet) a missed deadline. */
    record Alert(String reason) implements RoundsAction {
    }

    /** A line for the journal and the status: what happened to a group, with its margins. */
    record Record(GroupRecord group) implements RoundsAction {
    }
}
