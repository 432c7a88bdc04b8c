package io.rsmr.agent.rounds;

/** What goes into {@link RoundsCore#step}. */
public sealed interface RoundsEvent {
    /** The local clock reads {@code nowMillis}. The shell ticks often (every 100 ms), so deadlines fire within 1 s. */
    record Tick(long nowMillis) implements RoundsEvent {
    }

    /** An authenticated message from another agent, received at local time {@code nowMillis}. */
    record Received(long nowMillis, RoundMessage message) implements RoundsEvent {
    }

    /** This agent's own rejuvenation of {@code replicaId} (started by a {@link RoundsAction.StartLocal}) ended. */
    record LocalFinished(long nowMillis, long round, int replicaId, boolean ok, long startedMillis) implements RoundsEvent {
    }

    /** The operator suspends rounds: no new group starts; exhaustion-safety is suspended until resumed. */
    record Pause(long nowMillis, String by) implements RoundsEvent {
    }

    /**
     * The operator asks this agent to rejuvenate its replica {@code replicaId} now, outside the schedule.
     * Refused (IllegalStateException saying why) unless it keeps at most k replicas down: see
     * {@link RoundsCore}.
     */
    record OneOff(long nowMillis, String by, int replicaId) implements RoundsEvent {
    }

    /**
     * The operator resumes rounds at round {@code fromRound} (the same number is sent to every agent,
     * so all agree which round is the first after the pause).
     */
    record Resume(long nowMillis, String by, long fromRound) implements RoundsEvent {
    }
}
