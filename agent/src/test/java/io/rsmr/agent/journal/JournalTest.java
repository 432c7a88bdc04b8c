package io.rsmr.agent.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.common.crypto.Ed25519Keys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
    private final Ed25519Keys.SigningKey key = Ed25519Keys.generate(new SecureRandom());

    @TempDir
    Path dir;
    private Path file;
    private Journal journal;

    @BeforeEach
    void fiveRecords() throws IOException {
        file = dir.resolve("journal.jsonl");
        journal = new Journal(file, key, Clock.systemUTC());
        for (int i = 0; i < 5; i++) {
            journal.append("step", Map.of("replica", 1, "step", "boot", "durationMs", 100 + i));
        }
    }

    private JournalVerifier.Result verify() throws IOException {
        return JournalVerifier.verify(file, key.publicKey());
    }

    private List<String> lines() throws IOException {
        return new ArrayList<>(Files.readAllLines(file));
    }

    private void write(List<String> lines) throws IOException {
        Files.write(file, lines);
    }

    @Test
    void anIntactJournalVerifiesAndRecordsAreReadBack() throws IOException {
        JournalVerifier.Result r = verify();
        assertTrue(r.ok(), r.problems().toString());
        assertEquals(5, r.records());
        assertEquals(4, r.headSeq());
        assertEquals(104, journal.bodies().get(4).get("durationMs"));
    }

    @Test
    void anEditedRecordIsFound() throws IOException {
        List<String> lines = lines();
        lines.set(2, lines.get(2).replace("\"durationMs\":102", "\"durationMs\":12"));
        write(lines);
        List<String> p = verify().problems();
        assertTrue(p.stream().anyMatch(s -> s.contains("line 3: bad signature")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.contains("line 4: does not link")), p.toString());
    }

    @Test
    void aRemovedRecordIsFound() throws IOException {
        List<String> lines = lines();
        lines.remove(1);
        write(lines);
        List<String> p = verify().problems();
        assertTrue(p.stream().anyMatch(s -> s.contains("line 2: seq 2 where 1 was expected")), p.toString());
    }

    @Test
    void reorderedRecordsAreFound() throws IOException {
        List<String> lines = lines();
        Collections.swap(lines, 1, 3);
        write(lines);
        assertFalse(verify().ok());
    }

    @Test
    void anotherKeysJournalDoesNotVerify() throws IOException {
        byte[] other = Ed25519Keys.generate(new SecureRandom()).publicKey();
        assertEquals(5, JournalVerifier.verify(file, other).problems().size());
    }

    @Test
    void cuttingTheTailIsSeenOnlyByComparingTheHead() throws IOException {
        String head = verify().headHash();
        List<String> lines = lines();
        write(lines.subList(0, 4));
        JournalVerifier.Result r = verify();
        assertTrue(r.ok());
        assertFalse(head.equals(r.headHash()), "the head moved: an operator who noted it sees the cut");
    }

    @Test
    void aTornLastWriteIsCutOffAtTheNextAppendAndTheChainContinues() throws IOException {
        Files.writeString(file, "{\"body\":{\"seq\":5,\"ti", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        journal.append("agent-started", Map.of());
        JournalVerifier.Result r = verify();
        assertTrue(r.ok(), r.problems().toString());
        assertEquals(6, r.records());
    }
}
