package io.rsmr.common.image;

import io.rsmr.common.crypto.Ed25519Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/** Small golden images for tests of other modules: files, their manifest, the operator's signature. */
public final class ImageFixtures {
    public static final String[] GOLDEN = {"vmlinuz", "initramfs.img", "root.img"};

    private ImageFixtures() {
    }

    /**
     * Writes the golden files (seeded random bytes, a few KB each) to {@code out} and to every
     * folder of {@code copies}, then {@code manifest.json} and {@code manifest.json.sig} signed by
     * {@code operator} to {@code out}.
     */
    public static void writeSignedImage(Path out, Ed25519Keys.SigningKey operator, Path... copies) throws IOException {
        Files.createDirectories(out);
        StringBuilder files = new StringBuilder();
        long seed = 1;
        for (String name : GOLDEN) {
            byte[] data = new byte[3000 + (int) seed * 1000];
            new Random(seed++).nextBytes(data);
            Files.write(out.resolve(name), data);
            for (Path copy : copies) {
                Files.write(Files.createDirectories(copy).resolve(name), data);
            }
            files.append(files.length() == 0 ? "" : ", ").append('"').append(name).append("\": {\"sha256\": \"")
                    .append(HexFormat.of().formatHex(sha256(data))).append("\", \"bytes\": ").append(data.length).append('}');
        }
        Path manifest = out.resolve("manifest.json");
        Files.writeString(manifest, "{\n  \"format\": \"rsmr-image-manifest 1\",\n  \"files\": {" + files
                + "},\n  \"kernelCmdline\": \"console=ttyS0\"\n}\n");
        ManifestSignature.sign(operator, Files.readAllBytes(manifest)).write(out.resolve("manifest.json.sig"));
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
