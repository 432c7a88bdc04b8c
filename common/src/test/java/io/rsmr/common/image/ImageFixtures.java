package io.rsmr.common.image;

import io.rsmr.common.crypto.Ed25519Keys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/** Small golden images for tests of other modules: files, their manifest, the operator's signature. */
public final class ImageFixtures {
    public static final String[] GOLDEN = {"vmlinuz", "initramfs.img", "root.img"};
    /** The smallest chunk the manifest allows, so that a few hundred KB already make several chunks. */
    public static final int CHUNK_BYTES = ChunkedDigest.CHUNK_BYTES_MIN;

    private ImageFixtures() {
    }

    /**
     * Writes the golden files (seeded random bytes, 3 KB to 200 KB) to {@code out} and to every
     * folder of {@code copies}, then {@code manifest.json} and {@code manifest.json.sig} signed by
     * {@code operator} to {@code out}.
     */
    public static void writeSignedImage(Path out, Ed25519Keys.SigningKey operator, Path... copies) throws IOException {
        Files.createDirectories(out);
        List<String> files = new ArrayList<>();
        int[] sizes = {3000, 4000, 3 * CHUNK_BYTES + 1234};
        for (int i = 0; i < GOLDEN.length; i++) {
            byte[] data = new byte[sizes[i]];
            new Random(i + 1).nextBytes(data);
            Files.write(out.resolve(GOLDEN[i]), data);
            for (Path copy : copies) {
                Files.write(Files.createDirectories(copy).resolve(GOLDEN[i]), data);
            }
            files.add(entryJson(GOLDEN[i], data, CHUNK_BYTES));
        }
        Path manifest = out.resolve("manifest.json");
        Files.writeString(manifest, manifestJson(files));
        ManifestSignature.sign(operator, Files.readAllBytes(manifest)).write(out.resolve("manifest.json.sig"));
    }

    /** A manifest of the current format with these entries (from {@link #entryJson}). */
    public static String manifestJson(List<String> entries) {
        return "{\n  \"format\": \"" + ImageManifest.FORMAT + "\",\n  \"files\": {\n" + String.join(",\n", entries)
                + "\n  },\n  \"kernelCmdline\": \"console=ttyS0\",\n  \"inputs\": {\"x\": 1}\n}\n";
    }

    /**
     * The manifest entry of {@code data}, computed here independently of {@link ChunkedDigest} (from
     * the format's definition), as vm-images/build.sh writes it: one chunk digest per line.
     */
    public static String entryJson(String name, byte[] data, int chunkBytes) {
        List<String> chunks = new ArrayList<>();
        for (int off = 0; off < data.length; off += chunkBytes) {
            chunks.add(hex(sha256(Arrays.copyOfRange(data, off, Math.min(data.length, off + chunkBytes)))));
        }
        return "    \"" + name + "\": {\"sha256\": \"" + hex(sha256(data)) + "\", \"bytes\": " + data.length + ",\n"
                + "      \"chunkBytes\": " + chunkBytes + ", \"chunkRoot\": \"" + chunkRoot(chunkBytes, data.length, chunks)
                + "\", \"chunks\": [" + (chunks.isEmpty() ? "" : "\n        \"" + String.join("\",\n        \"", chunks) + "\"\n      ")
                + "]}";
    }

    /** The root as the format defines it: SHA-256 of the format line, chunk size, file size and the hex digests, one per line. */
    public static String chunkRoot(int chunkBytes, long bytes, List<String> chunkHex) {
        StringBuilder text = new StringBuilder("rsmr-chunked-sha256 1\nchunkBytes=" + chunkBytes + "\nbytes=" + bytes + "\n");
        chunkHex.forEach(h -> text.append(h).append('\n'));
        return hex(sha256(text.toString().getBytes(StandardCharsets.US_ASCII)));
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
