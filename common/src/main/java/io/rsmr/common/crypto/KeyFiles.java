package io.rsmr.common.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Key files in a small text format, one {@code name=value} per line, {@code #} comments, binary
 * values in base64. The {@code kind} line says what the file holds:
 *
 * <pre>
 * kind=signing-key           privateKey, publicKey              (an agent's or a client's key)
 * kind=public-key            publicKey                          (a trusted agent key)
 * kind=replica-identity      cluster, replicaId, epoch, privateKey, publicKey, agentSignature
 * </pre>
 *
 * Unknown or repeated names, missing names and a public key that does not match the private key
 * are errors that name the file. Files with a private key are written with mode 0600.
 */
public final class KeyFiles {
    /** Key files are tiny; refusing bigger ones keeps a wrong path from being read whole. */
    public static final long FILE_BYTES_MAX = 64 * 1024;

    private KeyFiles() {}

    public static void writeSigningKey(Path file, Ed25519Keys.SigningKey key) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("kind", "signing-key");
        fields.put("privateKey", b64(key.privateKey()));
        fields.put("publicKey", b64(key.publicKey()));
        write(file, "rsmr Ed25519 signing key: secret", fields, true);
    }

    public static void writePublicKey(Path file, byte[] publicKey) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("kind", "public-key");
        fields.put("publicKey", b64(publicKey));
        write(file, "rsmr Ed25519 public key", fields, false);
    }

    public static void writeIdentity(Path file, EpochIdentity identity) throws IOException {
        EpochCertificate certificate = identity.certificate();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("kind", "replica-identity");
        fields.put("cluster", certificate.clusterName());
        fields.put("replicaId", Integer.toString(certificate.replicaId()));
        fields.put("epoch", Long.toString(certificate.epoch()));
        fields.put("privateKey", b64(identity.key().privateKey()));
        fields.put("publicKey", b64(certificate.publicKey()));
        fields.put("agentSignature", b64(certificate.agentSignature()));
        write(file, "rsmr replica identity for one epoch: secret", fields, true);
    }

    public static Ed25519Keys.SigningKey readSigningKey(Path file) throws KeyFileException {
        Map<String, String> fields = read(file, "signing-key", Set.of("privateKey", "publicKey"));
        return signingKey(file, fields);
    }

    public static byte[] readPublicKey(Path file) throws KeyFileException {
        Map<String, String> fields = read(file, "public-key", Set.of("publicKey"));
        return bytes(file, fields, "publicKey", Ed25519Keys.PUBLIC_KEY_BYTES);
    }

    public static EpochIdentity readIdentity(Path file) throws KeyFileException {
        Map<String, String> fields = read(file, "replica-identity",
                Set.of("cluster", "replicaId", "epoch", "privateKey", "publicKey", "agentSignature"));
        Ed25519Keys.SigningKey key = signingKey(file, fields);
        try {
            EpochCertificate certificate = new EpochCertificate(fields.get("cluster"),
                    Integer.parseInt(fields.get("replicaId")), Long.parseLong(fields.get("epoch")),
                    key.publicKey(), bytes(file, fields, "agentSignature", Ed25519Keys.SIGNATURE_BYTES));
            return new EpochIdentity(key, certificate);
        } catch (NumberFormatException e) {
            throw new KeyFileException(file, "replicaId or epoch is not a number", e);
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(file, e.getMessage(), e);
        }
    }

    private static Ed25519Keys.SigningKey signingKey(Path file, Map<String, String> fields)
            throws KeyFileException {
        Ed25519Keys.SigningKey key =
                Ed25519Keys.fromPrivate(bytes(file, fields, "privateKey", Ed25519Keys.PRIVATE_KEY_BYTES));
        byte[] publicKey = bytes(file, fields, "publicKey", Ed25519Keys.PUBLIC_KEY_BYTES);
        if (!java.util.Arrays.equals(publicKey, key.publicKey())) {
            throw new KeyFileException(file, "publicKey does not belong to privateKey");
        }
        return key;
    }

    private static Map<String, String> read(Path file, String kind, Set<String> names)
            throws KeyFileException {
        List<String> lines;
        try {
            if (Files.size(file) > FILE_BYTES_MAX) {
                throw new KeyFileException(file, "larger than " + FILE_BYTES_MAX + " bytes: not a key file");
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KeyFileException(file, "cannot read: " + e, e);
        }
        Map<String, String> fields = parse(file, lines);
        if (!kind.equals(fields.remove("kind"))) {
            throw new KeyFileException(file, "expected a line 'kind=" + kind + "'");
        }
        for (String name : fields.keySet()) {
            if (!names.contains(name)) {
                throw new KeyFileException(file, "unknown name '" + name + "' in a " + kind + " file");
            }
        }
        for (String name : names) {
            if (!fields.containsKey(name)) {
                throw new KeyFileException(file, "missing '" + name + "'");
            }
        }
        return fields;
    }

    private static Map<String, String> parse(Path file, List<String> lines) throws KeyFileException {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new KeyFileException(file, "line " + (i + 1) + " is not 'name=value'");
            }
            String name = line.substring(0, eq).strip();
            if (fields.put(name, line.substring(eq + 1).strip()) != null) {
                throw new KeyFileException(file, "line " + (i + 1) + " repeats '" + name + "'");
            }
        }
        return fields;
    }

    private static byte[] bytes(Path file, Map<String, String> fields, String name, int length)
            throws KeyFileException {
        byte[] value;
        try {
            value = Base64.getDecoder().decode(fields.get(name));
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(file, "'" + name + "' is not base64", e);
        }
        if (value.length != length) {
            throw new KeyFileException(
                    file, "'" + name + "' must be " + length + " bytes, got " + value.length);
        }
        return value;
    }

    private static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** Writes to a temporary file and renames, so a reader never sees half a key file. */
    private static void write(Path file, String comment, Map<String, String> fields, boolean secret)
            throws IOException {
        StringBuilder text = new StringBuilder("# ").append(comment).append('\n');
        fields.forEach((name, value) -> text.append(name).append('=').append(value).append('\n'));
        Path parent = file.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(parent, ".key", ".tmp");
        try {
            if (secret) {
                Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
            }
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
