package io.rsmr.common.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The fail-safe actions S of the paper's PRW instantiation, fired when a deadline is missed. */
public enum FailSafeAction {
    /** POST a JSON event to every configured webhook and write it to the log. */
    @JsonProperty("alert") ALERT,
    /** Power off this host's replica VMs and refuse to start them until an operator clears it. */
    @JsonProperty("shutdown") SHUTDOWN,
    /** Stop starting new rejuvenation rounds until an operator resumes them. */
    @JsonProperty("halt-rounds") HALT_ROUNDS;

    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
