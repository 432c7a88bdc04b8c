package io.rsmr.common.image;

import io.rsmr.common.crypto.Ed25519Keys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The operator's Ed25519 signature of a manifest's exact bytes ({@code manifest.json.sig}). The
 * signed message is a fixed domain tag followed by the manifest, so the operator's key cannot be
 * talked into signing a manifest by signing something else. The file is text:
 *
 * <pre>
 * # rsmr Ed25519 signature of an image manifest
 * kind=manifest-signature
 * manifestSha256=&lt;hex, to name the manifest it belongs to in error messages&gt;
 * signature=&lt;base64 of 64 bytes&gt;
 * </pre>
 */
public record ManifestSignature(byte[] manifestSha256, byte[] signature) {
    public static final long FILE_BYTES_MAX = 4096;
    private static final byte[] DOMAIN = "rsmr-image-manifest-signature-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final String KIND = "kind=manifest-signature";

    public ManifestSignature {
        if (manifestSha256.length != 32 || signature.length != Ed25519Keys.SIGNATURE_BYTES) {
            throw new IllegalArgumentException("manifest digest or signature of the wrong length");
        }
        manifestSha256 = manifestSha256.clone();
        signature = signature.clone();
    }

    @Override
    public byte[] manifestSha256() {
        return manifestSha256.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    public static ManifestSignature sign(Ed25519Keys.SigningKey operatorKey, byte[] manifest) {
        return new ManifestSignature(sha256(manifest), operatorKey.sign(signedBytes(manifest)));
    }

    /** True when {@code operatorPublicKey} signed exactly {@code manifest}. */
    public boolean verify(byte[] operatorPublicKey, byte[] manifest) {
        return Ed25519Keys.verify(operatorPublicKey, signedBytes(manifest), signature);
    }

    /** Why {@link #verify} failed, for an error message: another manifest, or another key / a forgery. */
    public String mismatchReason(byte[] manifest) {
        return MessageDigest.isEqual(manifestSha256, sha256(manifest))
                ? "the signature does not verify with the operator's public key (another key, or forged)"
                : "the signature was made for another manifest (sha256 " + HexFormat.of().formatHex(manifestSha256)
                        + ", this one is " + HexFormat.of().formatHex(sha256(manifest)) + ")";
    }

    public void write(Path file) throws IOException {
        String text = "# rsmr Ed25519 signature of an image manifest\n" + KIND + "\n"
                + "manifestSha256=" + HexFormat.of().formatHex(manifestSha256) + "\n"
                + "signature=" + Base64.getEncoder().encodeToString(signature) + "\n";
        Path temporary = Files.createTempFile(file.toAbsolutePath().getParent(), ".sig", ".tmp");
        try {
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    public static ManifestSignature read(Path file) throws ImageException {
        List<String> lines;
        try {
            if (Files.size(file) > FILE_BYTES_MAX) {
                throw new ImageException(file + ": larger than " + FILE_BYTES_MAX + " bytes, not a manifest signature");
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (NoSuchFileException e) {
            throw new ImageException(file + ": no such signature file (sign the manifest with 'rsmr image sign')", e);
        } catch (IOException e) {
            throw new ImageException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (lines.size() != 3 || !lines.get(0).equals(KIND) || !lines.get(1).startsWith("manifestSha256=")
                || !lines.get(2).startsWith("signature=")) {
            throw new ImageException(file + ": expected the lines '" + KIND + "', 'manifestSha256=<hex>', 'signature=<base64>'");
        }
        try {
            return new ManifestSignature(HexFormat.of().parseHex(lines.get(1).substring("manifestSha256=".length())),
                    Base64.getDecoder().decode(lines.get(2).substring("signature=".length())));
        } catch (IllegalArgumentException e) {
            throw new ImageException(file + ": manifestSha256 must be 64 hex digits and signature 64 bytes of base64", e);
        }
    }

    private static byte[] signedBytes(byte[] manifest) {
        byte[] out = new byte[DOMAIN.length + manifest.length];
        System.arraycopy(DOMAIN, 0, out, 0, DOMAIN.length);
        System.arraycopy(manifest, 0, out, DOMAIN.length, manifest.length);
        return out;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
