package io.rsmr.common.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.security.SecureRandom;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFilesTest {
    @TempDir Path dir;
    private final SecureRandom random = new SecureRandom();
    private final Ed25519Keys.SigningKey agentKey = Ed25519Keys.generate(random);

    private EpochIdentity identity(int replicaId, long epoch) {
        return EpochIdentity.issue(agentKey, Ed25519Keys.generate(random), "test-cluster", replicaId, epoch);
    }

    @Test
    void identityRoundTripsAndIsPrivate() throws Exception {
        EpochIdentity identity = identity(1, 42);
        Path file = dir.resolve("replica-1.key");
        KeyFiles.writeIdentity(file, identity);
        EpochIdentity read = KeyFiles.readIdentity(file);
        assertEquals(identity.certificate(), read.certificate());
        assertTrue(read.certificate().verify(agentKey.publicKey()));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void signingAndPublicKeysRoundTrip() throws Exception {
        Ed25519Keys.SigningKey key = Ed25519Keys.generate(random);
        KeyFiles.writeSigningKey(dir.resolve("k"), key);
        KeyFiles.writePublicKey(dir.resolve("k.pub"), key.publicKey());
        assertEquals(key, KeyFiles.readSigningKey(dir.resolve("k")));
        assertArrayEquals(key.publicKey(), KeyFiles.readPublicKey(dir.resolve("k.pub")));
    }

    @Test
    void errorsNameTheFileAndTheProblem() throws Exception {
        Path file = dir.resolve("bad.key");
        KeyFiles.writeIdentity(file, identity(0, 1));
        String text = Files.readString(file);
        Files.writeString(file, text.replaceAll("epoch=.*", ""));
        assertMessage(file, "missing 'epoch'");
        Files.writeString(file, text.replace("kind=replica-identity", "kind=signing-key"));
        assertMessage(file, "expected a line 'kind=replica-identity'");
        Files.writeString(file, text.replaceAll("publicKey=.*", "publicKey=" + "A".repeat(43) + "="));
        assertMessage(file, "publicKey does not belong to privateKey");
        Files.writeString(file, text + "colour=blue\n");
        assertMessage(file, "unknown name 'colour'");
        Files.writeString(file, text.replaceAll("privateKey=.*", "privateKey=!!"));
        assertMessage(file, "'privateKey' is not base64");
        assertMessage(dir.resolve("absent.key"), "cannot read");
    }

    private static void assertMessage(Path file, String expected) {
        KeyFileException e = assertThrows(KeyFileException.class, () -> KeyFiles.readIdentity(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
