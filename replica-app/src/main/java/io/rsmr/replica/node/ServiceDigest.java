package io.rsmr.replica.node;

import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.service.Service;
import java.security.MessageDigest;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state digest the status file shows: SHA-256 over the SHA-256 of each of the service's snapshot
 * parts. A part the service did not change since the last call is the same array
 * ({@link Service#snapshotParts}), so its digest is reused and only changed parts are hashed. Hashing
 * the whole serialised state instead, once a second, cost every replica of a 100 MB state a 100 MB
 * copy and its hash per second, which slowed the state transfer it was serving.
 */
final class ServiceDigest {
    private final Service service;
    private Map<byte[], byte[]> partDigests = new IdentityHashMap<>();

    ServiceDigest(Service service) {
        this.service = service;
    }

    byte[] digest() {
        List<byte[]> parts = service.snapshotParts();
        Map<byte[], byte[]> next = new IdentityHashMap<>(parts.size() * 2);
        for (byte[] part : parts) {
            byte[] digest = partDigests.get(part);
            next.put(part, digest != null ? digest : Digests.sha256(part));
        }
        partDigests = next;
        // only now: the thread's one SHA-256 instance hashed the parts above
        MessageDigest root = Digests.fresh();
        for (byte[] part : parts) {
            root.update(next.get(part));
        }
        return root.digest();
    }
}
