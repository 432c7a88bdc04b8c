package io.rsmr.cli.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.cli.CliRun;
import io.rsmr.replica.node.ByzantineMode;
import io.rsmr.replica.node.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rsmr kv ...} and {@code rsmr bench} in-process against four real replica JVMs (about 15 s). */
class KvAndBenchCommandsTest {
    @TempDir
    static Path dir;

    private static LocalCluster cluster;
    private static String config;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalCluster.create(dir.resolve("cluster"), new LocalCluster.Spec("cli-test", 4, 0, 1,
                List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), Map.<Integer, ByzantineMode>of()));
        cluster.startAll();
        config = cluster.configFile().toString();
        // The first request waits for the replica JVMs to start and connect; the tests then measure a ready cluster.
        CliRun ready = CliRun.rsmr("kv", "put", "-c", config, "ready", "yes");
        assertEquals(0, ready.code(), ready.toString());
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    private static CliRun rsmr(String... args) {
        return CliRun.rsmr(args);
    }

    @Test
    void putGetCasScanDelete() {
        CliRun put = rsmr("kv", "put", "-c", config, "colour", "blue");
        assertEquals(0, put.code(), put.toString());
        assertEquals("ok\n", put.out());
        CliRun get = rsmr("kv", "get", "-c", config, "colour");
        assertEquals("blue\n", get.out(), get.toString());
        CliRun wrongCas = rsmr("kv", "cas", "-c", config, "colour", "red", "--expect", "green");
        assertEquals(1, wrongCas.code(), wrongCas.toString());
        assertEquals("not set: the value is 'blue'\n", wrongCas.out());
        assertEquals(0, rsmr("kv", "cas", "-c", config, "colour", "red", "--expect", "blue").code());
        CliRun fast = rsmr("kv", "get", "-c", config, "colour");
        assertEquals("red\n", fast.out(), "the read fast path sees the write that completed before it: " + fast);
        CliRun ordered = rsmr("kv", "get", "-c", config, "colour", "--ordered");
        assertEquals("red\n", ordered.out(), ordered.toString());
        assertEquals(0, rsmr("kv", "put", "-c", config, "colourful", "yes").code());
        CliRun scan = rsmr("kv", "scan", "-c", config, "colour", "-o", "json");
        assertTrue(scan.out().contains("\"key\" : \"colour\"") && scan.out().contains("\"value\" : \"red\"")
                && scan.out().contains("\"key\" : \"colourful\""), scan.toString());
        assertEquals(0, rsmr("kv", "del", "-c", config, "colour").code());
        CliRun gone = rsmr("kv", "get", "-c", config, "colour");
        assertEquals(1, gone.code());
        assertEquals("not found\n", gone.out());
    }

    @Test
    void badUsageIsExitCodeTwoAndSendsNothing() {
        CliRun both = rsmr("kv", "cas", "-c", config, "k", "new", "--delete");
        assertEquals(2, both.code(), both.toString());
        assertTrue(both.err().contains("give either NEW or --delete"), both.err());
        CliRun missingConfig = rsmr("kv", "get", "-c", dir.resolve("absent.yaml").toString(), "k");
        assertEquals(2, missingConfig.code(), missingConfig.toString());
        CliRun badBench = rsmr("bench", "-c", config, "--clients", "0");
        assertEquals(2, badBench.code(), badBench.toString());
    }

    @Test
    void benchPrintsThroughputAndWritesJson() throws Exception {
        Path json = dir.resolve("bench.json");
        CliRun bench = rsmr("bench", "-c", config, "--clients", "4", "--request-bytes", "16", "--reply-bytes", "8",
                "--warmup", "PT1S", "--duration", "PT2S", "--json-file", json.toString());
        assertEquals(0, bench.code(), bench.toString());
        assertTrue(bench.out().matches("(?s)4 clients, 16 B requests, 8 B replies \\(echo\\): \\d+ ops/s, latency p50 .*"),
                bench.out());
        String written = Files.readString(json);
        assertTrue(written.contains("\"clients\":4") && written.contains("\"p999\":"), written);
        assertTrue(!written.contains("\"operations\":0,"), written);
    }

    @Test
    void benchReadsOnTheFastPath() {
        CliRun bench = rsmr("bench", "-c", config, "--clients", "4", "--reply-bytes", "8", "--workload", "GET",
                "--warmup", "PT1S", "--duration", "PT2S");
        assertEquals(0, bench.code(), bench.toString());
        assertTrue(bench.out().matches("(?s)4 clients, 0 B requests, 8 B replies \\(get\\): \\d+ ops/s, latency p50 .*"),
                bench.out());
    }
}
