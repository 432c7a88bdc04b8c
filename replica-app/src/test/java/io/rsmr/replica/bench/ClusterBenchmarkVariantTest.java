package io.rsmr.replica.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterBenchmarkVariantTest {
    @Test
    void variantsAreNamedListsOfReplicaArguments() {
        List<ClusterBenchmark.Variant> variants = ClusterBenchmark.Variant.parse(
                "all=; three=--repliers-per-request 3 ;p2=--pipeline-instances-max  2 --repliers-per-request 3");
        assertEquals(List.of(new ClusterBenchmark.Variant("all", List.of()),
                new ClusterBenchmark.Variant("three", List.of("--repliers-per-request", "3")),
                new ClusterBenchmark.Variant("p2", List.of("--pipeline-instances-max", "2", "--repliers-per-request", "3"))),
                variants);
    }

    @Test
    void aVariantWithoutAUsableNameIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterBenchmark.Variant.parse("ok=;=--pipeline-instances-max 2"));
        assertTrue(e.getMessage().contains("'=--pipeline-instances-max 2'"), e.getMessage());
    }
}
