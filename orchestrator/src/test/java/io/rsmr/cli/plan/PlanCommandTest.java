package io.rsmr.cli.plan;

import static io.rsmr.cli.CliRun.rsmr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rsmr.cli.CliRun;
import io.rsmr.common.config.ConfigFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("cluster.yaml"), yaml);
    }

    @Test
    void localExampleIsFeasible() {
        CliRun r = rsmr("plan", "-c", "../examples/cluster-local.yaml");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("-> FEASIBLE"), r.toString());
        assertTrue(r.out().contains("T_exec      = ceil(n/k) x T_localexec = 6 x 1m17s = 7m42s"), r.toString());
        assertEquals("", r.err());
    }

    @Test
    void threeSitesExampleIsFeasible() {
        assertEquals(0, rsmr("plan", "-c", "../examples/cluster-3sites.yaml").code());
    }

    @Test
    void fiveReplicasExitOneAndNameSix() throws IOException {
        CliRun r = rsmr("plan", "-c", write(ConfigFixtures.localYamlWithReplicas(5)).toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("NOT FEASIBLE"), r.toString());
        assertTrue(r.out().contains("[FAIL] n >= 3k' + 2k + 1"), r.toString());
        assertTrue(r.out().contains("- use at least 6 replicas"), r.toString());
    }

    @Test
    void typoExitsTwoWithLineAndPathAndPrintsNoPlan() throws IOException {
        Path file = write(ConfigFixtures.localYamlWith("kPrime: 1 ", "kPrim: 1 "));
        CliRun r = rsmr("plan", "-c", file.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains(file + ":9: faults.kPrim: unknown field 'kPrim'; did you mean 'kPrime'?"), r.toString());
        assertEquals("", r.out());
    }

    @Test
    void negativeDurationExitsTwoWithLineAndPath() throws IOException {
        Path file = write(ConfigFixtures.localYamlWith("transfer: 30s", "transfer: -30s"));
        CliRun r = rsmr("plan", "-c", file.toString(), "-o", "json");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains(file + ":20: timing.transfer: -30s is negative"), r.toString());
        assertEquals("", r.out());
    }

    @Test
    void missingConfigFileExitsTwo() {
        CliRun r = rsmr("plan", "-c", dir.resolve("nope.yaml").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nope.yaml: no such file"), r.toString());
    }

    @Test
    void missingConfigOptionAndBadOutputFormatAreUsageErrors() {
        assertEquals(2, rsmr("plan").code());
        CliRun r = rsmr("plan", "-c", "../examples/cluster-local.yaml", "-o", "xml");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("xml"), r.toString());
    }

    @Test
    void jsonHasTheDocumentedKeys() throws IOException {
        CliRun r = rsmr("plan", "-c", "../examples/cluster-local.yaml", "--output", "json");
        assertEquals(0, r.code(), r.toString());
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String key : List.of("feasible", "n", "k", "kPrime", "minReplicas", "quorum", "replyQuorum",
                "tLocalExecSeconds", "tExecSeconds", "conditions", "schedule")) {
            assertTrue(j.has(key), "missing key " + key);
        }
        assertTrue(j.get("feasible").asBoolean());
        assertEquals(6, j.get("minReplicas").asInt());
        assertEquals(4, j.get("quorum").asInt());
        assertEquals(2, j.get("replyQuorum").asInt());
        assertEquals(77.0, j.get("tLocalExecSeconds").asDouble());
        assertEquals(462.0, j.get("tExecSeconds").asDouble());
        assertEquals(5, j.get("conditions").size());
        for (JsonNode c : j.get("conditions")) {
            assertTrue(c.has("name") && c.has("holds") && c.has("detail"), c.toString());
        }
        JsonNode last = j.get("schedule").get(5);
        assertEquals(6, last.get("replicas").get(0).asInt());
        assertEquals(385.0, last.get("startOffsetSeconds").asDouble());
        assertEquals("2026-01-01T00:07:42Z", last.get("end").asText());
    }

    @Test
    void jsonOfAnInfeasiblePlanSaysWhy() throws IOException {
        CliRun r = rsmr("plan", "-c", write(ConfigFixtures.localYamlWithReplicas(5)).toString(), "-o", "json");
        assertEquals(1, r.code());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertFalse(j.get("feasible").asBoolean());
        assertEquals(6, j.get("minReplicas").asInt());
        assertEquals(5, j.get("n").asInt());
        assertFalse(j.get("conditions").get(0).get("holds").asBoolean());
        assertTrue(j.get("suggestions").get(0).asText().startsWith("use at least 6 replicas"));
    }
}
