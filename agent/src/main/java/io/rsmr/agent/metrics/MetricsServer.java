package io.rsmr.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** Serves {@link Metrics} at {@code GET /metrics} on the management address, and nothing else. */
public final class MetricsServer implements AutoCloseable {
    /** Connections waiting to be accepted; a scraper opens one at a time. */
    static final int BACKLOG_MAX = 16;
    private final HttpServer server;

    public MetricsServer(InetSocketAddress address, Metrics metrics) throws IOException {
        server = HttpServer.create(address, BACKLOG_MAX);
        server.createContext("/metrics", exchange -> serve(exchange, metrics));
        server.start();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private static void serve(HttpExchange exchange, Metrics metrics) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) || !"/metrics".equals(exchange.getRequestURI().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body = metrics.render().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
