package io.rsmr.cli.keys;

import io.rsmr.cli.UsageException;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.KeyFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a key pair lives: {@code NAME.key} (private, mode 0600) beside {@code NAME.pub}. Making a set
 * of pairs is all or nothing: every target is checked first, and none is ever overwritten, because a
 * replaced key silently breaks every signature and certificate made with the old one.
 */
final class KeyPairFiles {
    private KeyPairFiles() {
    }

    /** The private key file that goes with a public key file {@code x.pub}. */
    static Path privateFor(Path publicKey) {
        String name = publicKey.getFileName().toString();
        if (!name.endsWith(".pub")) {
            throw new UsageException(publicKey + ": a public key file must end in .pub (its private key goes beside it as .key)");
        }
        return publicKey.resolveSibling(name.substring(0, name.length() - 4) + ".key");
    }

    /** Generates a pair for each public key path; refuses, naming them, if any file of any pair exists. */
    static List<Path> generate(List<Path> publicKeys) throws IOException {
        List<Path> existing = new ArrayList<>();
        for (Path pub : publicKeys) {
            for (Path f : List.of(pub, privateFor(pub))) {
                if (Files.exists(f)) {
                    existing.add(f);
                }
            }
        }
        if (!existing.isEmpty()) {
            throw new UsageException("refusing to overwrite " + existing + ": a new key would invalidate everything the old "
                    + "one signed; move them away first if you mean to replace them");
        }
        SecureRandom random = new SecureRandom();
        List<Path> written = new ArrayList<>();
        for (Path pub : publicKeys) {
            Files.createDirectories(pub.toAbsolutePath().getParent());
            Ed25519Keys.SigningKey key = Ed25519Keys.generate(random);
            KeyFiles.writeSigningKey(privateFor(pub), key);
            KeyFiles.writePublicKey(pub, key.publicKey());
            written.add(privateFor(pub));
            written.add(pub);
        }
        return written;
    }
}
