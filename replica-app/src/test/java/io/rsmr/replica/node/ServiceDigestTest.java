package io.rsmr.replica.node;

import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvOperation;
import io.rsmr.replica.kv.KvService;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ServiceDigestTest {
    private static byte[] put(String key, String value) {
        return new KvOperation.Put(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8))
                .encode();
    }

    private static KvService serviceWith(int keys) {
        KvService service = new KvService(KvLimits.defaults());
        List<byte[]> batch = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            batch.add(put("key" + i, "value" + i));
        }
        service.executeBatch(batch);
        return service;
    }

    @Test
    void equalStatesGiveEqualDigestsAndAWriteChangesIt() {
        KvService one = serviceWith(300);
        ServiceDigest oneDigest = new ServiceDigest(one);
        byte[] before = oneDigest.digest();
        assertArrayEquals(before, new ServiceDigest(serviceWith(300)).digest(), "same state, same digest");
        assertArrayEquals(before, oneDigest.digest(), "nothing changed: the cached part digests give the same");
        one.executeBatch(List.of(put("key7", "another value")));
        byte[] after = oneDigest.digest();
        assertFalse(java.util.Arrays.equals(before, after), "one changed key changes the digest");
        KvService two = serviceWith(300);
        two.executeBatch(List.of(put("key7", "another value")));
        assertArrayEquals(after, new ServiceDigest(two).digest(), "the cached digests equal a fresh computation");
    }
}
