package io.rsmr.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.agent.journal.Journal;
import io.rsmr.common.config.ConfigFixtures;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.KeyFiles;
import io.rsmr.common.image.ImageFixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent refuses to start, saying why, before it touches any VM. */
class AgentStartupTest {
    @TempDir
    Path dir;
    private final Ed25519Keys.SigningKey agentKey = Ed25519Keys.generate(new SecureRandom());
    private Path settings;

    @BeforeEach
    void files() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        KeyFiles.writeSigningKey(dir.resolve("keys/agent-h1.key"), agentKey);
        KeyFiles.writePublicKey(dir.resolve("keys/operator.pub"), Ed25519Keys.generate(new SecureRandom()).publicKey());
        for (int h = 1; h <= 6; h++) {
            KeyFiles.writePublicKey(dir.resolve("keys/agent-h" + h + ".pub"),
                    h == 1 ? agentKey.publicKey() : Ed25519Keys.generate(new SecureRandom()).publicKey());
        }
        settings = dir.resolve("agent.yaml");
        Files.writeString(settings, "host: h1\nsigningKey: keys/agent-h1.key\nstateDir: state\nconfigDiskTool: /bin/true\n");
    }

    private String refusal(String yaml) throws Exception {
        Path config = dir.resolve("cluster.yaml");
        Files.writeString(config, yaml);
        return assertThrows(Agent.StartupException.class,
                () -> Agent.start(config, settings, new PrintStream(new ByteArrayOutputStream())).close()).getMessage();
    }

    @Test
    void anInfeasiblePlanIsRefusedWithTheFailedCondition() throws Exception {
        String m = refusal(ConfigFixtures.localYamlWith("td: 10m", "td: 1m"));
        assertTrue(m.contains("infeasible") && m.contains("T_exec <= T_d"), m);
    }

    @Test
    void aKeyTheClusterDoesNotTrustForThisHostIsRefused() throws Exception {
        KeyFiles.writeSigningKey(dir.resolve("keys/agent-h1.key"), Ed25519Keys.generate(new SecureRandom()));
        String m = refusal(ConfigFixtures.localYaml());
        assertTrue(m.contains("is not the key the cluster config trusts for host 'h1'"), m);
    }

    @Test
    void aHostWithoutReplicasIsRefused() throws Exception {
        Files.writeString(settings, Files.readString(settings).replace("host: h1", "host: h9"));
        String m = refusal(ConfigFixtures.localYaml());
        assertTrue(m.contains("host 'h9' runs no replica"), m);
    }

    @Test
    void keysOutsideTheConfigFolderAreRefusedForTheGuestCouldNotReadThem() throws Exception {
        Path config = Files.createDirectories(dir.resolve("conf")).resolve("cluster.yaml");
        Files.writeString(config, ConfigFixtures.localYaml().replace(" keys/", " " + dir.resolve("keys") + "/"));
        String m = assertThrows(Agent.StartupException.class,
                () -> Agent.start(config, settings, new PrintStream(new ByteArrayOutputStream())).close()).getMessage();
        assertTrue(m.contains("keys.operatorPublicKey") && m.contains("is outside the cluster config's folder"), m);
    }

    @Test
    void aStoreThatCannotBeVerifiedIsRefused() throws Exception {
        String m = refusal(ConfigFixtures.localYaml().replace("../vm-images/out/", "nowhere/"));
        assertTrue(m.contains("golden store cannot be verified") && m.contains("nowhere/manifest.json"), m);
    }

    /** A golden store that verifies: three small files, their manifest, the operator's signature. */
    private String configWithGoodStore() throws Exception {
        Ed25519Keys.SigningKey operator = Ed25519Keys.generate(new SecureRandom());
        KeyFiles.writePublicKey(dir.resolve("keys/operator.pub"), operator.publicKey());
        ImageFixtures.writeSignedImage(dir.resolve("out"), operator);
        return ConfigFixtures.localYaml().replace("../vm-images/out/", "out/");
    }

    @Test
    void aTamperedJournalDoesNotStopTheAgentButIsRecorded() throws Exception {
        String yaml = configWithGoodStore();
        Path config = dir.resolve("cluster.yaml");
        Files.writeString(config, yaml);
        Path journal = Files.createDirectories(dir.resolve("state")).resolve("journal.jsonl");
        Journal j = new Journal(journal, agentKey, Clock.systemUTC());
        j.append("rejuvenation-finished", Map.of("replica", 1, "succeeded", false));
        Files.writeString(journal, Files.readString(journal).replace("false", "true"));

        Agent.start(config, settings, new PrintStream(new ByteArrayOutputStream())).close();
        assertTrue(j.bodies().stream().anyMatch(b -> "journal-verification-failed".equals(b.get("type"))));
        assertTrue(j.bodies().stream().anyMatch(b -> "agent-started".equals(b.get("type"))), "and it started");
    }

    @Test
    void aSecondAgentOnTheSameStateIsRefused() throws Exception {
        Path stateDir = Files.createDirectories(dir.resolve("state"));
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(stateDir.resolve("agent.lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             java.nio.channels.FileLock held = ch.lock()) {
            String m = refusal(ConfigFixtures.localYaml());
            assertTrue(held.isValid() && m.contains("another agent process runs on"), m);
        }
    }

    @Test
    void theVerifyJournalCommandFindsATamperedJournal() throws Exception {
        Path file = dir.resolve("journal.jsonl");
        Journal j = new Journal(file, agentKey, Clock.systemUTC());
        j.append("agent-started", Map.of("host", "h1"));
        j.append("failsafe-fired", Map.of("cause", "step-overrun"));
        String[] args = {"verify-journal", "--journal", file.toString(), "--public-key", dir.resolve("keys/agent-h1.pub").toString()};
        assertEquals(0, AgentMain.run(args));
        Files.writeString(file, Files.readString(file).replace("step-overrun", "none"));
        assertEquals(1, AgentMain.run(args));
        assertEquals(2, AgentMain.run("verify-journal", "--journal"));
    }
}
