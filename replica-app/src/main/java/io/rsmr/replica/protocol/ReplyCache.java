package io.rsmr.replica.protocol;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Last executed request and its result per client: exactly-once execution and re-sent replies.
 * Part of the checkpoint state, so it survives view changes and state transfer. Bounded by
 * clientsMax: the client that executed least recently is evicted; eviction depends only on the
 * execution order, so it is the same on every correct replica.
 */
final class ReplyCache {
    record Entry(long requestSeq, byte[] result) {
    }

    private final int clientsMax;
    private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>();

    ReplyCache(int clientsMax) {
        this.clientsMax = clientsMax;
    }

    Entry get(long clientId) {
        return entries.get(clientId);
    }

    long lastExecuted(long clientId) {
        Entry e = entries.get(clientId);
        return e == null ? 0 : e.requestSeq();
    }

    void put(long clientId, long requestSeq, byte[] result) {
        entries.remove(clientId);
        entries.put(clientId, new Entry(requestSeq, result));
        if (entries.size() > clientsMax) {
            Iterator<Long> eldest = entries.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }

    int encodedBytes() {
        int bytes = 4;
        for (Entry e : entries.values()) {
            bytes += 20 + e.result().length;
        }
        return bytes;
    }

    void encode(ByteBuffer out) {
        out.putInt(entries.size());
        for (Map.Entry<Long, Entry> e : entries.entrySet()) {
            out.putLong(e.getKey());
            out.putLong(e.getValue().requestSeq());
            out.putInt(e.getValue().result().length);
            out.put(e.getValue().result());
        }
    }

    /** Replaces the content with an encoded cache; throws IllegalArgumentException naming the problem. */
    void decode(ByteBuffer in, int replyBytesMax) {
        LinkedHashMap<Long, Entry> decoded = new LinkedHashMap<>();
        int count = need(in, 4, "client count").getInt();
        if (count < 0 || count > clientsMax) {
            throw new IllegalArgumentException("reply cache client count " + count + " not in [0, " + clientsMax + "]");
        }
        for (int i = 0; i < count; i++) {
            long clientId = need(in, 8, "client id").getLong();
            long seq = need(in, 8, "request seq").getLong();
            int length = need(in, 4, "result length").getInt();
            if (length < 0 || length > replyBytesMax) {
                throw new IllegalArgumentException("reply cache result length " + length + " not in [0, " + replyBytesMax + "]");
            }
            byte[] result = new byte[length];
            need(in, length, "result").get(result);
            decoded.put(clientId, new Entry(seq, result));
        }
        entries.clear();
        entries.putAll(decoded);
    }

    private static ByteBuffer need(ByteBuffer in, int bytes, String what) {
        if (in.remaining() < bytes) {
            throw new IllegalArgumentException("checkpoint state truncated in reply cache " + what);
        }
        return in;
    }
}
