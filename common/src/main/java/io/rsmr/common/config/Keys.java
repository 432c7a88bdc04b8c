package io.rsmr.common.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Public keys every party trusts (paths are resolved against the config file's folder).
 *
 * @param operatorPublicKey Ed25519 key that signs image manifests
 * @param agentPublicKeys   per host name, the Ed25519 key of that host's agent: it certifies the
 *                          replicas' per-epoch keys and signs the agents' round messages
 */
public record Keys(Path operatorPublicKey, Map<String, Path> agentPublicKeys) {
    public Keys {
        agentPublicKeys = agentPublicKeys == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(agentPublicKeys));
    }
}
