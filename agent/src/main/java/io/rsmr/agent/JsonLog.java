package io.rsmr.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/** Structured logs: one JSON object per line ({@code time}, {@code level}, {@code event}, fields). */
public final class JsonLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PrintStream out;
    private final Clock clock;

    public JsonLog(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    public void info(String event, Map<String, ?> fields) {
        write("info", event, fields);
    }

    public void warn(String event, Map<String, ?> fields) {
        write("warn", event, fields);
    }

    public void error(String event, Map<String, ?> fields) {
        write("error", event, fields);
    }

    private void write(String level, String event, Map<String, ?> fields) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", clock.instant().toString());
        line.put("level", level);
        line.put("event", event);
        line.putAll(fields);
        String text;
        try {
            text = JSON.writeValueAsString(line);
        } catch (JsonProcessingException e) {
            text = "{\"level\":\"error\",\"event\":\"log-failed\",\"reason\":" + JSON.valueToTree(e.toString()) + "}";
        }
        synchronized (out) {
            out.println(text);
            out.flush();
        }
    }
}
