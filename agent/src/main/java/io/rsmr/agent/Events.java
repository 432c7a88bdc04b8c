package io.rsmr.agent;

import io.rsmr.agent.journal.Journal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Where the agent's events go: first the audit journal (forced to disk), then the log. An event
 * that cannot be journaled is an error the caller sees: the agent acts only on what it recorded.
 */
public final class Events {
    private final Journal journal;
    private final JsonLog log;

    public Events(Journal journal, JsonLog log) {
        this.journal = journal;
        this.log = log;
    }

    public void record(String type, Map<String, ?> fields) {
        try {
            journal.append(type, fields);
        } catch (IOException e) {
            log.error("journal-write-failed", Map.of("type", type, "reason", e.toString()));
            throw new UncheckedIOException("cannot write the journal " + journal.file(), e);
        }
        log.info(type, fields);
    }

    public JsonLog log() {
        return log;
    }

    public Journal journal() {
        return journal;
    }
}
