package io.rsmr.replica.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.common.plan.Plan;
import io.rsmr.common.plan.Planner;
import io.rsmr.common.plan.Slot;
import io.rsmr.replica.schedule.HandOverSchedule;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad arguments and files: exit code 2 and a message that names what is wrong; nothing starts. */
class ReplicaMainTest {
    @TempDir
    Path dir;

    private String run(int expectedCode, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ReplicaMain.run(args, new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(expectedCode, code, text);
        return text;
    }

    private static void assertContains(String text, String expected) {
        assertTrue(text.contains(expected), "expected '" + expected + "' in: " + text);
    }

    private LocalCluster cluster() throws Exception {
        return LocalCluster.create(dir, new LocalCluster.Spec("main-test", 4, 0, 1, List.of(), Map.of()));
    }

    @Test
    void missingAndUnknownOptionsAreNamed() {
        assertContains(run(2, "--config", "c.yaml"), "missing --id");
        assertContains(run(2, "--colour", "blue"), "unknown option --colour");
        assertContains(run(2, "--id"), "--id needs a value");
        assertContains(run(2, "--id", "1", "--id", "2"), "--id given twice");
    }

    @Test
    void badFilesAreNamed() throws Exception {
        LocalCluster cluster = cluster();
        String config = cluster.configFile().toString();
        String identity = dir.resolve("replica-2.key").toString();
        String data = dir.resolve("data").toString();
        assertContains(run(2, "--config", dir.resolve("absent.yaml").toString(), "--id", "2", "--identity", identity,
                "--data-dir", data), "absent.yaml");
        assertContains(run(2, "--config", config, "--id", "x", "--identity", identity, "--data-dir", data),
                "--id must be a whole number, got 'x'");
        assertContains(run(2, "--config", config, "--id", "3", "--identity", identity, "--data-dir", data),
                "the identity is for replica 2, not replica 3");
        Files.writeString(dir.resolve("broken.key"), "kind=replica-identity\n");
        assertContains(run(2, "--config", config, "--id", "2", "--identity", dir.resolve("broken.key").toString(),
                "--data-dir", data), "broken.key: missing");
        assertContains(run(2, "--config", config, "--id", "9", "--identity", identity, "--data-dir", data),
                "replica 9 is not in the cluster config");
        assertContains(run(2, "--config", config, "--id", "2", "--identity", identity, "--data-dir", data,
                "--byzantine-test-mode", "sneaky"), "unknown Byzantine test mode 'sneaky'");
        assertContains(run(2, "--config", config, "--id", "2", "--identity", identity, "--data-dir", data,
                "--fsync", "sometimes"), "fsync policy must be 'always' or 'none', got 'sometimes'");
        assertContains(run(2, "--config", config, "--id", "2", "--identity", identity, "--data-dir", data,
                "--state-bytes-max", "0"), "stateBytesMax must be >= 1");
    }

    /** With k > 0 the schedule is known, and the replica hands over a lead before each of its slots. */
    @Test
    void aReplicaOfAClusterWithRejuvenationsKnowsWhenToHandOver() throws Exception {
        LocalCluster rejuvenated = LocalCluster.create(dir.resolve("k1"),
                new LocalCluster.Spec("main-test", 4, 1, 0, List.of(), Map.of()));
        NodeSettings settings = ReplicaMain.settings(ReplicaMain.parse(new String[] {
            "--config", rejuvenated.configFile().toString(), "--id", "2",
            "--identity", dir.resolve("k1/replica-2.key").toString(), "--data-dir", dir.resolve("d2").toString()}));
        HandOverSchedule schedule = settings.handOver().orElseThrow();
        Plan plan = Planner.plan(new ClusterConfigLoader().load(rejuvenated.configFile()));
        Slot slot = plan.schedule().stream().filter(s -> s.replicas().contains(2)).findFirst().orElseThrow();
        Instant handOver = schedule.nextAfter(plan.roundStart());
        assertEquals(plan.roundStart().plus(slot.start()).minus(HandOverSchedule.LEAD_DEFAULT), handOver);

        NodeSettings noRejuvenation = ReplicaMain.settings(ReplicaMain.parse(new String[] {
            "--config", cluster().configFile().toString(), "--id", "2",
            "--identity", dir.resolve("replica-2.key").toString(), "--data-dir", dir.resolve("d").toString()}));
        assertTrue(noRejuvenation.handOver().isEmpty(), "k = 0: nothing is rejuvenated, nobody hands over");
    }
}
