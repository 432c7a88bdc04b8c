package io.rsmr.common.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.common.crypto.Ed25519Keys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageVerifierTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    /** Writes {@code size} seeded bytes to {@code name} and returns its manifest entry text. */
    private String golden(String name, int size, long seed) throws Exception {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        Files.write(dir.resolve(name), data);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        return "\"" + name + "\": {\"sha256\": \"" + sha + "\", \"bytes\": " + size + "}";
    }

    private Path manifest(String... entries) throws IOException {
        Path m = dir.resolve("manifest.json");
        Files.writeString(m, "{\n  \"format\": \"rsmr-image-manifest 1\",\n  \"files\": {" + String.join(",", entries)
                + "},\n  \"kernelCmdline\": \"console=ttyS0\",\n  \"inputs\": {\"x\": 1}\n}\n");
        return m;
    }

    @Test
    void streamedDigestEqualsTheJdkDigestAcrossBufferBoundaries() throws Exception {
        int size = FileDigest.BUFFER_BYTES * 2 + 12345;
        golden("root.img", size, 7);
        byte[] all = Files.readAllBytes(dir.resolve("root.img"));
        FileDigest.Result r = FileDigest.sha256(dir.resolve("root.img"));
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(all), r.sha256());
        assertEquals(size, r.bytes());
        Files.write(dir.resolve("empty"), new byte[0]);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(new byte[0]), FileDigest.sha256(dir.resolve("empty")).sha256());
    }

    @Test
    void signedManifestVerifiesAndEveryGoldenFileChecksOut() throws Exception {
        Ed25519Keys.SigningKey operator = Ed25519Keys.generate(RANDOM);
        Path m = manifest(golden("vmlinuz", 5000, 1), golden("root.img", 70000, 2));
        ManifestSignature.sign(operator, Files.readAllBytes(m)).write(dir.resolve("manifest.json.sig"));

        ImageManifest verified = ImageVerifier.verifiedManifest(m, dir.resolve("manifest.json.sig"), operator.publicKey());
        assertEquals("console=ttyS0", verified.kernelCmdline());
        for (ImageManifest.Entry e : verified.files()) {
            ImageVerifier.FileCheck c = ImageVerifier.check(e, dir.resolve(e.name()));
            assertTrue(c.ok(), c.toString());
        }
    }

    @Test
    void aManifestChangedAfterSigningOrSignedByAnotherKeyIsRefusedWithTheReason() throws Exception {
        Ed25519Keys.SigningKey operator = Ed25519Keys.generate(RANDOM);
        Path m = manifest(golden("vmlinuz", 5000, 1));
        Path sig = dir.resolve("manifest.json.sig");
        ManifestSignature.sign(operator, Files.readAllBytes(m)).write(sig);

        byte[] otherKey = Ed25519Keys.generate(RANDOM).publicKey();
        ImageException wrongKey = assertThrows(ImageException.class, () -> ImageVerifier.verifiedManifest(m, sig, otherKey));
        assertTrue(wrongKey.getMessage().contains("another key, or forged"), wrongKey.getMessage());

        Files.writeString(m, Files.readString(m).replace("console=ttyS0", "console=ttyS0 init=/bin/sh"));
        ImageException edited = assertThrows(ImageException.class,
                () -> ImageVerifier.verifiedManifest(m, sig, operator.publicKey()));
        assertTrue(edited.getMessage().contains("made for another manifest"), edited.getMessage());
    }

    @Test
    void aTamperedMissingOrResizedFileIsReportedAsSuch() throws Exception {
        Path m = manifest(golden("root.img", 100000, 3), golden("vmlinuz", 100, 4), golden("initramfs.img", 100, 5));
        ImageManifest manifest = ImageManifest.read(m);
        byte[] root = Files.readAllBytes(dir.resolve("root.img"));
        root[54321] ^= 1;
        Files.write(dir.resolve("root.img"), root);
        Files.delete(dir.resolve("vmlinuz"));
        Files.write(dir.resolve("initramfs.img"), new byte[99]);

        assertEquals(ImageVerifier.Status.WRONG_DIGEST, check(manifest, "root.img").status());
        assertEquals(ImageVerifier.Status.MISSING, check(manifest, "vmlinuz").status());
        ImageVerifier.FileCheck resized = check(manifest, "initramfs.img");
        assertEquals(ImageVerifier.Status.WRONG_SIZE, resized.status());
        assertTrue(resized.detail().contains("99 bytes, the manifest says 100"), resized.detail());
        assertFalse(resized.ok());
    }

    private ImageVerifier.FileCheck check(ImageManifest m, String name) throws InterruptedException {
        return ImageVerifier.check(m.file(name).orElseThrow(), dir.resolve(name));
    }

    @Test
    void malformedManifestsAreRefusedNamingTheField() {
        assertParseError("{\"format\": \"other 2\", \"files\": {}}", "format is 'other 2'");
        assertParseError("{\"format\": \"rsmr-image-manifest 1\", \"files\": {}, \"kernelCmdline\": \"\"}", "'files' must be a non-empty");
        assertParseError("{\"format\": \"rsmr-image-manifest 1\", \"files\": {\"../etc/passwd\": {}}, \"kernelCmdline\": \"\"}",
                "not a plain file name");
        assertParseError("{\"format\": \"rsmr-image-manifest 1\", \"files\": {\"a\": {\"sha256\": \"00\", \"bytes\": 1}}, \"kernelCmdline\": \"\"}",
                "files.a.sha256");
        assertParseError("{\"format\": \"rsmr-image-manifest 1\", \"format\": \"rsmr-image-manifest 1\"}", "not valid JSON");
        assertParseError("[1]", "not a JSON object");
    }

    private static void assertParseError(String json, String expected) {
        ImageException e = assertThrows(ImageException.class,
                () -> ImageManifest.parse(json.getBytes(StandardCharsets.UTF_8), "m.json"));
        assertTrue(e.getMessage().startsWith("m.json") && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aMalformedSignatureFileIsRefused() throws IOException {
        Path sig = dir.resolve("bad.sig");
        Files.writeString(sig, "kind=manifest-signature\nmanifestSha256=00\nsignature=AA==\n");
        ImageException e = assertThrows(ImageException.class, () -> ManifestSignature.read(sig));
        assertTrue(e.getMessage().contains("bad.sig"), e.getMessage());
        assertThrows(ImageException.class, () -> ManifestSignature.read(dir.resolve("absent.sig")));
    }
}
