package io.rsmr.agent.failsafe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rsmr.agent.JsonLog;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * POSTs each alert as JSON to every configured webhook, without waiting: the fail-safe must not be
 * held up by a slow receiver. Each delivery and each failure is logged.
 */
public final class WebhookAlerter implements Alerter {
    /** A receiver that does not answer in this time is logged as failed. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> webhooks;
    private final HttpClient client;
    private final JsonLog log;

    public WebhookAlerter(List<URI> webhooks, JsonLog log) {
        this.webhooks = List.copyOf(webhooks);
        this.client = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();
        this.log = log;
    }

    @Override
    public void alert(Map<String, Object> event) {
        String body;
        try {
            body = JSON.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("alert event is not JSON-able: " + event, e);
        }
        log.error("alert", event);
        for (URI uri : webhooks) {
            send(uri, body);
        }
    }

    /** Returns the delivery so tests can wait for it; the agent does not. */
    CompletableFuture<HttpResponse<Void>> send(URI uri, String body) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            if (failure != null) {
                log.warn("alert-webhook-failed", Map.of("webhook", uri.toString(), "reason", failure.toString()));
            } else if (response.statusCode() / 100 != 2) {
                log.warn("alert-webhook-failed", Map.of("webhook", uri.toString(), "status", response.statusCode()));
            }
        });
    }
}
