package io.rsmr.agent.failsafe;

import java.util.Map;

/** Sends an alert event to the people who must act on it. */
public interface Alerter {
    void alert(Map<String, Object> event);
}
