package io.rsmr.cli.keys;

import static io.rsmr.cli.CliRun.rsmr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.cli.CliRun;
import io.rsmr.common.config.ConfigFixtures;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.KeyFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysCommandTest {
    @TempDir
    Path dir;

    @Test
    void initWritesEveryKeyTheConfigNamesAndTheyWork() throws Exception {
        Path config = Files.writeString(dir.resolve("cluster.yaml"), ConfigFixtures.localYaml());
        CliRun r = rsmr("keys", "init", "-c", config.toString());
        assertEquals(0, r.code(), r.toString());
        for (String name : new String[] {"operator", "agent-h1", "agent-h6"}) {
            Path pub = dir.resolve("keys/" + name + ".pub");
            Path key = dir.resolve("keys/" + name + ".key");
            Ed25519Keys.SigningKey signing = KeyFiles.readSigningKey(key);
            assertArrayEquals(signing.publicKey(), KeyFiles.readPublicKey(pub));
            byte[] data = "manifest".getBytes();
            assertTrue(Ed25519Keys.verify(KeyFiles.readPublicKey(pub), data, signing.sign(data)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        }
        assertTrue(r.out().contains("wrote " + dir.resolve("keys/agent-h3.key")), r.toString());
    }

    @Test
    void initRefusesToOverwriteAndWritesNothing() throws Exception {
        Path config = Files.writeString(dir.resolve("cluster.yaml"), ConfigFixtures.localYaml());
        Files.createDirectories(dir.resolve("keys"));
        Path existing = Files.writeString(dir.resolve("keys/agent-h4.key"), "precious");
        CliRun r = rsmr("keys", "init", "-c", config.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("refusing to overwrite [" + existing + "]"), r.toString());
        assertEquals("precious", Files.readString(existing));
        assertFalse(Files.exists(dir.resolve("keys/operator.pub")), "all or nothing");
    }

    @Test
    void generateWantsAPubFileName() throws Exception {
        CliRun bad = rsmr("keys", "generate", dir.resolve("operator").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("must end in .pub"), bad.toString());
        CliRun ok = rsmr("keys", "generate", dir.resolve("operator.pub").toString());
        assertEquals(0, ok.code(), ok.toString());
        assertTrue(Files.exists(dir.resolve("operator.key")));
    }

    @Test
    void keysWithoutSubcommandIsAUsageError() {
        assertEquals(2, rsmr("keys").code());
    }
}
