package io.rsmr.replica.sim;

import io.rsmr.replica.protocol.ChunkRetention;
import io.rsmr.replica.protocol.ChunkStore;
import io.rsmr.replica.protocol.Output;
import io.rsmr.replica.protocol.Start;
import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.StateManifest;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One replica's data disk in the simulator: what the shell would have made durable from the core's
 * persist entries (log, chunk store, stable checkpoint), and the ways an intruder or a crash can
 * leave it. Every step's entries are durable before its messages leave, as the shell guarantees.
 */
final class SimDisk {
    /** What an intruder (or bad luck) did to the disk before a rejuvenated replica boots from it. */
    enum Damage {
        /** Untouched: the chunks are right, only the trust is gone. */
        NONE,
        /** Random bytes over some chunks. */
        RANDOM_BYTES,
        /** The log and some chunks cut off. */
        TRUNCATED,
        /** An older, internally consistent checkpoint put back. */
        ROLLED_BACK,
        /** A made-up state with a made-up certificate of the same seq. */
        FORGED,
        /** Everything gone. */
        EMPTY
    }

    private Map<ByteBuffer, byte[]> chunks = new HashMap<>();
    private final ChunkRetention retention = new ChunkRetention();
    private Map<ByteBuffer, byte[]> chunksAtPreviousCheckpoint = new HashMap<>();
    private CheckpointCertificate stable = CheckpointCertificate.genesis();
    private StateManifest manifest;
    private long view;
    private boolean inViewChange;
    private final List<Output.LogEntry> accepted = new ArrayList<>();
    private final List<Output.Prepared> prepared = new ArrayList<>();

    /** Makes one step's persist entries durable. */
    void persist(List<Output.Persist> entries) {
        for (Output.Persist p : entries) {
            if (p instanceof Output.LogEntry e) {
                accepted.add(e);
            } else if (p instanceof Output.Prepared e) {
                prepared.add(e);
            } else if (p instanceof Output.ViewEntry e) {
                view = e.view();
                inViewChange = e.inViewChange();
            } else if (p instanceof Output.StateChunk c) {
                chunks.put(ByteBuffer.wrap(c.digest()), c.bytes());
                retention.written(c.digest());
            } else if (p instanceof Output.StableCheckpoint s) {
                stabilise(s);
            }
        }
    }

    /** Like the real store: the log up to the checkpoint goes, and the chunks ChunkRetention does not keep. */
    private void stabilise(Output.StableCheckpoint s) {
        chunksAtPreviousCheckpoint = new HashMap<>(chunks);
        stable = s.certificate();
        manifest = s.manifest();
        accepted.removeIf(e -> e.seq() <= stable.seq());
        prepared.removeIf(e -> e.seq() <= stable.seq());
        chunks.keySet().retainAll(retention.keepAt(s));
    }

    /** The chunk store the core reads; copies, so that later damage cannot reach into a core. */
    ChunkStore store() {
        return digest -> {
            byte[] chunk = chunks.get(ByteBuffer.wrap(digest));
            return chunk == null ? null : chunk.clone();
        };
    }

    /** After a crash with the disk intact: the core resumes from its own log. */
    Start resume() {
        return new Start.Resume(stable, manifest, view, inViewChange, accepted, prepared);
    }

    /** Damages the disk as an intruder might before the rejuvenated replica boots on it. */
    void damage(Damage damage, SplittableRandom random) {
        switch (damage) {
            case NONE -> { }
            case RANDOM_BYTES -> chunks.replaceAll((k, v) -> random.nextBoolean() ? scribble(v, random) : v);
            case TRUNCATED -> {
                accepted.clear();
                prepared.clear();
                chunks.keySet().removeIf(k -> random.nextBoolean());
            }
            case ROLLED_BACK -> chunks = chunksAtPreviousCheckpoint;
            case FORGED -> {
                chunks.replaceAll((k, v) -> scribble(v, random));
                stable = new CheckpointCertificate(stable.seq(), new byte[32], stable.proofs());
            }
            case EMPTY -> {
                chunks = new HashMap<>();
                accepted.clear();
                prepared.clear();
            }
            default -> throw new IllegalArgumentException(damage.name());
        }
    }

    private static byte[] scribble(byte[] chunk, SplittableRandom random) {
        byte[] damaged = chunk.length == 0 ? new byte[1 + random.nextInt(8)] : chunk.clone();
        for (int i = 0; i < 1 + damaged.length / 16; i++) {
            damaged[random.nextInt(damaged.length)] ^= (byte) (1 + random.nextInt(255));
        }
        return damaged;
    }
}
