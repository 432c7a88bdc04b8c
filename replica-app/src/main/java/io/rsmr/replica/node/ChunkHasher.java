package io.rsmr.replica.node;

import io.rsmr.replica.protocol.Input;
import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.Digests;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Hashes the chunks a recovering replica receives on a thread of its own, so that the SHA-256 of
 * one chunk overlaps with the event loop's work on the next (reading, writing the verified chunk to
 * the store, asking for more) on a second core. Hashing took about a third of the event loop's time
 * per chunk in a transfer (bench/replica-recovery.md, session 6). The event loop hands chunks in
 * ({@link #submit}) and steps the core with the hashed ones ({@link #drain}), as
 * {@link Input.HashedChunk}: the core compares digests and does not hash again. Chunks from one
 * peer are hashed and handed back in the order they came.
 *
 * <p>Bounded: at most {@link #QUEUED_CHUNKS_MAX} chunks wait; when that is full, {@link #submit}
 * refuses and the caller steps the core with the chunk as it is (the core hashes it then), so
 * nothing is dropped and memory stays within that many chunks.
 */
final class ChunkHasher implements AutoCloseable {
    /** Chunks waiting to be hashed, at most (a few peers' transferChunksInFlightMax). */
    static final int QUEUED_CHUNKS_MAX = 64;

    private record Pending(int sender, ChunkData chunk) {
    }

    private final ArrayBlockingQueue<Pending> waiting = new ArrayBlockingQueue<>(QUEUED_CHUNKS_MAX);
    private final ConcurrentLinkedQueue<Input.HashedChunk> hashed = new ConcurrentLinkedQueue<>();
    private final Runnable wakeup;
    private final Thread thread;

    /** @param wakeup called (from the hashing thread) after each chunk is hashed: wakes the event loop */
    ChunkHasher(String name, Runnable wakeup) {
        this.wakeup = wakeup;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a chunk from core index {@code sender}; false when the queue is full (not queued). */
    boolean submit(int sender, ChunkData chunk) {
        return waiting.offer(new Pending(sender, chunk));
    }

    /** Hands every chunk hashed so far to {@code each}, in order. */
    void drain(Consumer<Input.HashedChunk> each) {
        for (Input.HashedChunk next = hashed.poll(); next != null; next = hashed.poll()) {
            each.accept(next);
        }
    }

    /** Waits for chunks (no periodic wake-up on a replica that is not recovering) until {@link #close} interrupts it. */
    private void run() {
        try {
            while (true) {
                Pending next = waiting.take();
                hashed.add(new Input.HashedChunk(next.sender(), next.chunk(), Digests.sha256(next.chunk().bytes())));
                wakeup.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
