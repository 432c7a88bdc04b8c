package io.rsmr.cli.image;

import static io.rsmr.cli.CliRun.rsmr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.cli.CliRun;
import io.rsmr.common.config.ConfigFixtures;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.KeyFiles;
import io.rsmr.common.image.ImageFixtures;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rsmr image sign} and {@code rsmr image verify}, in-process, on real files. */
class ImageCommandTest {
    @TempDir
    Path dir;
    private Path config;
    private Path manifest;

    @BeforeEach
    void image() throws Exception {
        Ed25519Keys.SigningKey operator = Ed25519Keys.generate(new SecureRandom());
        ImageFixtures.writeSignedImage(dir.resolve("out"), operator, dir.resolve("ro"));
        manifest = dir.resolve("out/manifest.json");
        Files.delete(dir.resolve("out/manifest.json.sig")); // these tests sign it with the CLI
        Files.createDirectories(dir.resolve("keys"));
        KeyFiles.writeSigningKey(dir.resolve("keys/operator.key"), operator);
        KeyFiles.writePublicKey(dir.resolve("keys/operator.pub"), operator.publicKey());
        String yaml = ConfigFixtures.localYaml().replace("../vm-images/out/", "out/")
                .replace("readOnlyCopy: /var/lib/rsmr/golden-ro", "readOnlyCopy: ro");
        config = dir.resolve("cluster.yaml");
        Files.writeString(config, yaml);
    }

    private CliRun sign() {
        return rsmr("image", "sign", "-k", dir.resolve("keys/operator.key").toString(), manifest.toString());
    }

    @Test
    void aSignedImageVerifies() {
        CliRun s = sign();
        assertEquals(0, s.code(), s.toString());
        assertTrue(Files.exists(dir.resolve("out/manifest.json.sig")));
        CliRun v = rsmr("image", "verify", "-c", config.toString());
        assertEquals(0, v.code(), v.toString());
        assertTrue(v.out().startsWith("OK: signature ok"), v.toString());
        assertEquals(6, v.out().lines().filter(l -> l.contains("[ ok ]")).count(), "three golden files and their copies");
    }

    @Test
    void aCorruptRootImageFailsNamingTheFile() throws IOException {
        sign();
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("out/root.img").toFile(), "rw")) {
            f.seek(100);
            f.write(f.read() ^ 1);
        }
        CliRun v = rsmr("image", "verify", "-c", config.toString(), "-o", "json");
        assertEquals(1, v.code(), v.toString());
        assertTrue(v.out().contains("\"status\" : \"WRONG_DIGEST\""), v.toString());
        assertTrue(v.out().contains("out/root.img"), v.toString());
    }

    @Test
    void aManifestEditedAfterSigningFailsTheSignature() throws IOException {
        sign();
        Files.writeString(manifest, Files.readString(manifest).replace("console=ttyS0", "console=ttyS0 init=/bin/sh"));
        CliRun v = rsmr("image", "verify", "-c", config.toString());
        assertEquals(1, v.code(), v.toString());
        assertTrue(v.out().contains("signature was made for another manifest"), v.toString());
    }

    @Test
    void signingSomethingThatIsNotAManifestIsRefused() throws IOException {
        Files.writeString(manifest, "{\"format\": \"something else\"}");
        CliRun s = sign();
        assertEquals(2, s.code(), s.toString());
        assertTrue(s.err().contains("format is 'something else'"), s.toString());
        assertTrue(Files.notExists(dir.resolve("out/manifest.json.sig")));
    }
}
