package io.rsmr.agent.journal;

import com.fasterxml.jackson.core.type.TypeReference;
import io.rsmr.common.crypto.Ed25519Keys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Checks a journal: every line is a record signed by the agent's key, sequence numbers run 0, 1, 2
 * without a gap, and each record names the hash of the line before it. An edited record fails its
 * signature (and breaks the next record's link); a removed or moved one breaks the sequence and
 * the links. Cutting records off the end leaves a valid shorter journal: compare the head
 * ({@link Result#headSeq()}, {@link Result#headHash()}) with one noted earlier to catch that.
 */
public final class JournalVerifier {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private JournalVerifier() {
    }

    /** @param problems empty when the journal is intact; otherwise each names its line */
    public record Result(int records, List<String> problems, long headSeq, String headHash) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    public static Result verify(Path file, byte[] agentPublicKey) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> problems = new ArrayList<>();
        String prevHash = Journal.GENESIS;
        long headSeq = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String where = file.getFileName() + " line " + (i + 1) + ": ";
            try {
                Map<String, Object> body = body(line);
                long seq = ((Number) body.get("seq")).longValue();
                if (seq != i) {
                    problems.add(where + "seq " + seq + " where " + i + " was expected (a record was removed or moved)");
                }
                if (!prevHash.equals(body.get("prev"))) {
                    problems.add(where + "does not link to the line before (an earlier record was edited, removed or moved)");
                }
                if (!Ed25519Keys.verify(agentPublicKey, Journal.signedBytes(bodyText(line)), signature(line))) {
                    problems.add(where + "bad signature (the record was edited, or not written with this agent's key)");
                }
                headSeq = seq;
            } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
                problems.add(where + "not a journal record: " + e.getMessage());
            }
            prevHash = sha256Hex(line);
        }
        return new Result(lines.size(), List.copyOf(problems), headSeq, lines.isEmpty() ? Journal.GENESIS : prevHash);
    }

    static Map<String, Object> body(String line) {
        try {
            return Journal.JSON.readValue(bodyText(line), MAP);
        } catch (IOException e) {
            throw new IllegalArgumentException("body is not JSON", e);
        }
    }

    static long seqOf(String line) {
        return ((Number) body(line).get("seq")).longValue();
    }

    private static String bodyText(String line) {
        int sig = line.lastIndexOf(Journal.SIG);
        if (!line.startsWith(Journal.PREFIX) || sig < 0 || !line.endsWith("\"}")) {
            throw new IllegalArgumentException("not of the form {\"body\":{...},\"sig\":\"...\"}");
        }
        return line.substring(Journal.PREFIX.length(), sig);
    }

    private static byte[] signature(String line) {
        int sig = line.lastIndexOf(Journal.SIG);
        return Base64.getDecoder().decode(line.substring(sig + Journal.SIG.length(), line.length() - 2));
    }

    static String sha256Hex(String line) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
