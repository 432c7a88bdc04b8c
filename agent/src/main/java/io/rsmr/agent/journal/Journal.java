package io.rsmr.agent.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rsmr.common.crypto.Ed25519Keys;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's audit journal: an append-only file of JSON lines, one record each,
 * {@code {"body":{"seq":N,"time":...,"prev":<hex SHA-256 of the previous line>,"type":...,...},"sig":<base64>}}.
 * The body is signed with the agent's Ed25519 key and chained by hash to the line before, so
 * {@link JournalVerifier} finds any edit, removal or reordering. Every append is forced to disk
 * before it returns, under an exclusive file lock (an operator command may append while the
 * daemon runs), and reads the current tail itself, so two writers never fork the chain.
 */
public final class Journal {
    /** A record is a few hundred bytes; the bound keeps a runaway detail out of the journal. */
    public static final int RECORD_BYTES_MAX = 16 * 1024;
    static final String PREFIX = "{\"body\":";
    static final String SIG = ",\"sig\":\"";
    static final String GENESIS = "0".repeat(64);
    private static final byte[] DOMAIN = "rsmr-agent-journal-v1\0".getBytes(StandardCharsets.US_ASCII);
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Ed25519Keys.SigningKey key;
    private final Clock clock;

    public Journal(Path file, Ed25519Keys.SigningKey key, Clock clock) {
        this.file = file;
        this.key = key;
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    /** Appends one signed record and forces it to disk; returns its body. */
    public synchronized Map<String, Object> append(String type, Map<String, ?> fields) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            FileLock lock = ch.lock();
            try {
                return appendLocked(ch, type, fields);
            } finally {
                lock.release();
            }
        }
    }

    private Map<String, Object> appendLocked(FileChannel ch, String type, Map<String, ?> fields) throws IOException {
        String last = repairAndReadLastLine(ch);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("seq", last == null ? 0 : JournalVerifier.seqOf(last) + 1);
        body.put("time", clock.instant().toString());
        body.put("prev", last == null ? GENESIS : JournalVerifier.sha256Hex(last));
        body.put("type", type);
        body.putAll(fields);
        String line = line(body);
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (bytes.length > RECORD_BYTES_MAX) {
            throw new IllegalArgumentException("journal record of " + bytes.length + " bytes exceeds " + RECORD_BYTES_MAX
                    + ": " + type);
        }
        ch.write(ByteBuffer.wrap(bytes), ch.size());
        ch.force(false);
        return body;
    }

    /** Every record's body, in order (no checks: that is {@link JournalVerifier}'s job). */
    public List<Map<String, Object>> bodies() throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            out.add(JournalVerifier.body(line));
        }
        return out;
    }

    private String line(Map<String, Object> body) throws JsonProcessingException {
        String bodyText = JSON.writeValueAsString(body);
        byte[] signature = key.sign(signedBytes(bodyText));
        return PREFIX + bodyText + SIG + Base64.getEncoder().encodeToString(signature) + "\"}";
    }

    static byte[] signedBytes(String bodyText) {
        byte[] b = bodyText.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[DOMAIN.length + b.length];
        System.arraycopy(DOMAIN, 0, out, 0, DOMAIN.length);
        System.arraycopy(b, 0, out, DOMAIN.length, b.length);
        return out;
    }

    /**
     * The last complete line, after cutting off a torn tail (a crash in the middle of an append:
     * those bytes were never acknowledged, and no signature covers them).
     */
    private static String repairAndReadLastLine(FileChannel ch) throws IOException {
        long size = ch.size();
        if (size == 0) {
            return null;
        }
        int window = (int) Math.min(size, 2L * RECORD_BYTES_MAX);
        ByteBuffer tail = ByteBuffer.allocate(window);
        ch.read(tail, size - window);
        byte[] t = tail.array();
        int end = window;
        while (end > 0 && t[end - 1] != '\n') {
            end--;
        }
        if (end < window) {
            ch.truncate(size - (window - end));
        }
        if (end == 0) {
            return size <= window ? null : failTooLong();
        }
        int start = end - 1;
        while (start > 0 && t[start - 1] != '\n') {
            start--;
        }
        if (start == 0 && size > window) {
            return failTooLong();
        }
        return new String(t, start, end - 1 - start, StandardCharsets.UTF_8);
    }

    private static String failTooLong() throws IOException {
        throw new IOException("journal tail has a line longer than " + RECORD_BYTES_MAX + " bytes: not written by an agent");
    }
}
