package io.rsmr.common.config;

import java.net.URI;
import java.util.List;

/**
 * The fail-safe actions S and where alerts go.
 *
 * @param actions       what every agent does when a deadline is missed, in this order
 * @param alertWebhooks HTTP(S) endpoints that receive each alert as a JSON POST (the log always does)
 */
public record FailSafe(List<FailSafeAction> actions, List<URI> alertWebhooks) {
    public FailSafe {
        actions = actions == null ? List.of() : List.copyOf(actions);
        alertWebhooks = alertWebhooks == null ? List.of() : List.copyOf(alertWebhooks);
    }
}
