package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.service.Service;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Test service: appends every operation to a log and returns "ok:" + operation; the operation
 * "count" only reads and returns "count:" + the number of operations applied.
 */
final class MapService implements Service {
    final List<byte[]> applied = new ArrayList<>();

    @Override
    public List<byte[]> executeBatch(List<byte[]> operations) {
        List<byte[]> results = new ArrayList<>();
        for (byte[] op : operations) {
            applied.add(op);
            byte[] r = new byte[op.length + 3];
            r[0] = 'o';
            r[1] = 'k';
            r[2] = ':';
            System.arraycopy(op, 0, r, 3, op.length);
            results.add(r);
        }
        return results;
    }

    @Override
    public boolean isReadOnly(byte[] operation) {
        return new String(operation, java.nio.charset.StandardCharsets.UTF_8).equals("count");
    }

    @Override
    public byte[] executeReadOnly(byte[] operation) {
        return ("count:" + applied.size()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public byte[] snapshot() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] op : applied) {
            out.write(op.length);
            out.writeBytes(op);
        }
        return out.toByteArray();
    }

    @Override
    public void installSnapshot(byte[] snapshot) {
        List<byte[]> ops = new ArrayList<>();
        for (int i = 0; i < snapshot.length; ) {
            int len = snapshot[i++] & 0xff;
            if (i + len > snapshot.length) {
                throw new IllegalArgumentException("snapshot truncated at byte " + i);
            }
            byte[] op = new byte[len];
            System.arraycopy(snapshot, i, op, 0, len);
            ops.add(op);
            i += len;
        }
        applied.clear();
        applied.addAll(ops);
    }

    @Override
    public byte[] stateDigest() {
        return Digests.sha256(snapshot());
    }
}
