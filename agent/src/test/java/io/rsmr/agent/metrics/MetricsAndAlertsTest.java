package io.rsmr.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.rsmr.agent.JsonLog;
import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.failsafe.WebhookAlerter;
import io.rsmr.agent.rejuvenation.RejuvenationReport;
import io.rsmr.agent.rejuvenation.RejuvenationReport.Outcome;
import io.rsmr.agent.rejuvenation.RejuvenationReport.StepTiming;
import io.rsmr.agent.rejuvenation.Step;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;

/** The Prometheus endpoint and the alert webhook, over real HTTP on the loopback. */
class MetricsAndAlertsTest {
    private static RejuvenationReport report(boolean ok) {
        List<StepTiming> steps = List.of(new StepTiming(Step.SHUTDOWN, Outcome.DONE, 230_000_000L, 2_000_000_000L),
                new StepTiming(Step.CHECK_OS_CODE, ok ? Outcome.DONE : Outcome.FAILED, 60_000_000L, 5_000_000_000L));
        return new RejuvenationReport(ok, ok ? null : FailSafeCause.BAD_MANIFEST_SIGNATURE, ok ? null : Step.CHECK_OS_CODE,
                ok ? "ok" : "bad", steps, 290_000_000L, 77_000_000_000L);
    }

    @Test
    void theEndpointServesTheLastResultHistogramsMarginsAndFailSafeCounts() throws Exception {
        Metrics m = new Metrics();
        m.rejuvenation(1, Instant.ofEpochSecond(1_800_000_000L), report(true));
        m.rejuvenation(2, Instant.ofEpochSecond(1_800_000_100L), report(false));
        m.failSafe(FailSafeCause.BAD_MANIFEST_SIGNATURE);
        try (MetricsServer server = new MetricsServer(new InetSocketAddress("127.0.0.1", 0), m)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.address().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            String body = r.body();
            assertTrue(body.contains("rsmr_agent_last_rejuvenation_timestamp_seconds{replica=\"1\"} 1800000000"), body);
            assertTrue(body.contains("rsmr_agent_last_rejuvenation_success{replica=\"2\"} 0"), body);
            assertTrue(body.contains("rsmr_agent_step_duration_seconds_bucket{step=\"shutdown\",le=\"0.25\"} 2"), body);
            assertTrue(body.contains("rsmr_agent_step_duration_seconds_bucket{step=\"shutdown\",le=\"0.1\"} 0"), body);
            assertTrue(body.contains("rsmr_agent_step_duration_seconds_count{step=\"check-os-code\"} 2"), body);
            assertTrue(body.contains("rsmr_agent_step_margin_seconds{replica=\"1\",step=\"shutdown\"} 1.770000"), body);
            assertTrue(body.contains("rsmr_agent_localexec_margin_seconds{replica=\"1\"} 76.710000"), body);
            assertTrue(body.contains("rsmr_agent_failsafe_total{cause=\"bad-manifest-signature\"} 1"), body);
            assertTrue(body.contains("rsmr_agent_failsafe_total{cause=\"step-overrun\"} 0"), body);
        }
    }

    @Test
    void anAlertIsPostedAsJsonToEveryWebhook() throws Exception {
        BlockingQueue<String> got = new ArrayBlockingQueue<>(4);
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        receiver.createContext("/alerts", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                got.add(exchange.getRequestHeaders().getFirst("Content-Type") + " "
                        + new String(in.readAllBytes(), StandardCharsets.UTF_8));
                exchange.sendResponseHeaders(204, -1);
            }
        });
        receiver.start();
        try {
            URI uri = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/alerts");
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            new WebhookAlerter(List.of(uri, uri), new JsonLog(new PrintStream(log, true), Clock.systemUTC()))
                    .alert(Map.of("cause", "step-overrun", "replica", 3));
            for (int i = 0; i < 2; i++) {
                String body = got.take();
                assertTrue(body.startsWith("application/json {"), body);
                assertTrue(body.contains("\"cause\":\"step-overrun\"") && body.contains("\"replica\":3"), body);
            }
            assertTrue(log.toString(StandardCharsets.UTF_8).contains("\"event\":\"alert\""), "and the log has it");
        } finally {
            receiver.stop(0);
        }
    }
}
