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
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageVerifierTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private static final int CHUNK = ImageFixtures.CHUNK_BYTES;

    /** Writes {@code size} seeded bytes to {@code name} and returns its manifest entry text. */
    private String golden(String name, int size, long seed) throws Exception {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        Files.write(dir.resolve(name), data);
        return ImageFixtures.entryJson(name, data, CHUNK);
    }

    private Path manifest(String... entries) throws IOException {
        return Files.writeString(dir.resolve("manifest.json"), ImageFixtures.manifestJson(List.of(entries)));
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

    @Test
    void aCorruptChunkIsNamedWithItsFileOffsetAndBothDigests() throws Exception {
        ImageManifest manifest = ImageManifest.read(manifest(golden("root.img", 5 * CHUNK + 10, 3)));
        byte[] root = Files.readAllBytes(dir.resolve("root.img"));
        root[3 * CHUNK + 17] ^= 1;
        Files.write(dir.resolve("root.img"), root);

        ImageVerifier.FileCheck c = check(manifest, "root.img");
        assertEquals(ImageVerifier.Status.WRONG_DIGEST, c.status());
        ChunkedDigest.Mismatch m = c.mismatch().orElseThrow();
        assertEquals(3, m.chunk());
        byte[] expected = manifest.file("root.img").orElseThrow().chunks().digests().get(3);
        assertArrayEquals(expected, m.expected());
        assertArrayEquals(ImageFixtures.sha256(Arrays.copyOfRange(root, 3 * CHUNK, 4 * CHUNK)), c.actualSha256());
        assertTrue(c.detail().contains("chunk 3 at offset " + 3 * CHUNK) && c.detail().contains(HexFormat.of().formatHex(expected))
                && c.detail().contains(HexFormat.of().formatHex(c.actualSha256())), c.detail());
        assertEquals(dir.resolve("root.img"), c.path());
    }

    @Test
    void aChunkListAlteredAfterSigningFailsTheSignature() throws Exception {
        Ed25519Keys.SigningKey operator = Ed25519Keys.generate(RANDOM);
        byte[] data = new byte[3 * CHUNK];
        new Random(9).nextBytes(data);
        Path m = manifest(golden("root.img", data.length, 9));
        Path sig = dir.resolve("manifest.json.sig");
        ManifestSignature.sign(operator, Files.readAllBytes(m)).write(sig);
        ImageVerifier.verifiedManifest(m, sig, operator.publicKey());

        // An attacker who changed chunk 1 of the file writes its digest and a consistent root into the
        // manifest, and leaves the whole-file SHA-256 (which the agent does not check) as it was:
        byte[] evil = data.clone();
        evil[CHUNK + 5] ^= 1;
        String wholeFile = HexFormat.of().formatHex(ImageFixtures.sha256(data));
        String evilWholeFile = HexFormat.of().formatHex(ImageFixtures.sha256(evil));
        Files.writeString(m, ImageFixtures.manifestJson(List.of(ImageFixtures.entryJson("root.img", evil, CHUNK)
                .replace(evilWholeFile, wholeFile))));
        ImageManifest parsed = ImageManifest.read(m);
        assertFalse(Arrays.equals(parsed.file("root.img").orElseThrow().chunks().digests().get(1),
                ImageFixtures.sha256(Arrays.copyOfRange(data, CHUNK, 2 * CHUNK))), "only the chunk list changed");
        ImageException e = assertThrows(ImageException.class, () -> ImageVerifier.verifiedManifest(m, sig, operator.publicKey()));
        assertTrue(e.getMessage().contains("made for another manifest"), e.getMessage());

        // Changing a chunk digest without its root is caught before the signature, naming the field:
        String entry = ImageFixtures.entryJson("root.img", Files.readAllBytes(dir.resolve("root.img")), CHUNK);
        String chunk1 = entry.split("\n")[3].strip().replace("\"", "").replace(",", "");
        Files.writeString(m, ImageFixtures.manifestJson(List.of(entry.replace(chunk1, "0".repeat(64)))));
        ImageException root = assertThrows(ImageException.class, () -> ImageVerifier.verifiedManifest(m, sig, operator.publicKey()));
        assertTrue(root.getMessage().contains("files.root.img.chunkRoot") && root.getMessage().contains("is not the root of the chunk list"),
                root.getMessage());
    }

    @Test
    void aManifestOfTheOldFormatIsRefusedNamingTheFileAndTheFormatExpected() throws Exception {
        Path m = dir.resolve("old-manifest.json");
        Files.writeString(m, "{\"format\": \"rsmr-image-manifest 1\", \"files\": {\"root.img\": {\"sha256\": \"" + "0".repeat(64)
                + "\", \"bytes\": 1}}, \"kernelCmdline\": \"console=ttyS0\"}");
        ImageException e = assertThrows(ImageException.class, () -> ImageManifest.read(m));
        assertTrue(e.getMessage().startsWith(m + ": format is 'rsmr-image-manifest 1', expected 'rsmr-image-manifest 2'")
                && e.getMessage().contains("vm-images/build.sh"), e.getMessage());
    }

    private ImageVerifier.FileCheck check(ImageManifest m, String name) throws InterruptedException {
        return ImageVerifier.check(m.file(name).orElseThrow(), dir.resolve(name));
    }

    @Test
    void malformedManifestsAreRefusedNamingTheField() {
        assertParseError("{\"format\": \"other 2\", \"files\": {}}", "format is 'other 2'");
        assertParseError("{\"format\": \"rsmr-image-manifest 2\", \"files\": {}, \"kernelCmdline\": \"\"}", "'files' must be a non-empty");
        assertParseError("{\"format\": \"rsmr-image-manifest 2\", \"files\": {\"../etc/passwd\": {}}, \"kernelCmdline\": \"\"}",
                "not a plain file name");
        assertParseError("{\"format\": \"rsmr-image-manifest 2\", \"files\": {\"a\": {\"sha256\": \"00\", \"bytes\": 1}}, \"kernelCmdline\": \"\"}",
                "files.a.sha256");
        String sha = "0".repeat(64);
        assertParseError("{\"format\": \"rsmr-image-manifest 2\", \"files\": {\"a\": {\"sha256\": \"" + sha + "\", \"bytes\": 1,"
                + " \"chunkBytes\": 1024, \"chunkRoot\": \"" + sha + "\", \"chunks\": []}}, \"kernelCmdline\": \"\"}", "files.a.chunkBytes");
        assertParseError("{\"format\": \"rsmr-image-manifest 2\", \"files\": {\"a\": {\"sha256\": \"" + sha + "\", \"bytes\": "
                + (CHUNK + 1) + ", \"chunkBytes\": " + CHUNK + ", \"chunkRoot\": \"" + sha + "\", \"chunks\": [\"" + sha + "\"]}},"
                + " \"kernelCmdline\": \"\"}", "files.a.chunks: must be a list of 2 SHA-256 digests");
        assertParseError("{\"format\": \"rsmr-image-manifest 2\", \"format\": \"rsmr-image-manifest 2\"}", "not valid JSON");
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
