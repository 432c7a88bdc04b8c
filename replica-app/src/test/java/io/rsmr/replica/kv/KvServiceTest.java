package io.rsmr.replica.kv;

import io.rsmr.replica.service.Service;

import static io.rsmr.replica.testing.Reachability.reachable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KvServiceTest {
    private final KvLimits limits = new KvLimits(64, 1024, 3, 4096, 100, 8);
    private final KvService kv = new KvService(limits);

    private static byte[] b(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Runs an operation through its wire form, as a replica does. */
    private KvResult run(KvOperation operation) throws KvFormatException {
        byte[] result = kv.executeBatch(List.of(operation.encode())).get(0);
        return KvResult.decode(result, limits);
    }

    @Test
    void putGetDeleteAndCompareAndSet() throws Exception {
        assertInstanceOf(KvResult.NotFound.class, run(new KvOperation.Get(b("a"))));
        assertInstanceOf(KvResult.Ok.class, run(new KvOperation.Put(b("a"), b("1"))));
        assertArrayEquals(b("1"), ((KvResult.Value) run(new KvOperation.Get(b("a")))).value());
        KvResult failed = run(new KvOperation.CompareAndSet(b("a"), b("2"), b("3")));
        assertArrayEquals(b("1"), ((KvResult.CasFailed) failed).current());
        assertInstanceOf(KvResult.Ok.class, run(new KvOperation.CompareAndSet(b("a"), b("1"), b("3"))));
        assertArrayEquals(b("3"), ((KvResult.Value) run(new KvOperation.Get(b("a")))).value());
        assertInstanceOf(KvResult.Ok.class, run(new KvOperation.CompareAndSet(b("new"), null, b("x"))));
        assertInstanceOf(KvResult.Ok.class, run(new KvOperation.CompareAndSet(b("new"), b("x"), null)));
        assertInstanceOf(KvResult.NotFound.class, run(new KvOperation.Get(b("new"))));
        assertInstanceOf(KvResult.Ok.class, run(new KvOperation.Delete(b("a"))));
        assertInstanceOf(KvResult.NotFound.class, run(new KvOperation.Delete(b("a"))));
        assertEquals(0, kv.size());
    }

    @Test
    void scanReturnsThePrefixInOrderAndPagesOnTheLimit() throws Exception {
        for (String key : new String[] {"user/3", "user/1", "users", "user/2", "user/4", "u", "v"}) {
            run(new KvOperation.Put(b(key), b("v" + key)));
        }
        KvResult.Entries first = (KvResult.Entries) run(new KvOperation.Scan(b("user/"), new byte[0], 10));
        assertEquals(List.of("user/1", "user/2", "user/3"), keys(first));
        assertTrue(first.more(), "limit 3 of scanEntriesMax cut the scan");
        KvResult.Entries rest = (KvResult.Entries) run(new KvOperation.Scan(b("user/"), b("user/3"), 10));
        assertEquals(List.of("user/4"), keys(rest));
        assertFalse(rest.more());
    }

    @Test
    void echoAnswersTheAskedSizeAndChangesNothing() throws Exception {
        byte[] digest = kv.stateDigest();
        KvResult result = run(new KvOperation.Echo(new byte[100], 7));
        assertArrayEquals(new byte[7], ((KvResult.Value) result).value());
        assertArrayEquals(digest, kv.stateDigest());
        assertError(new KvOperation.Echo(new byte[0], limits.valueBytesMax() + 1).encode(), "reply size");
    }

    @Test
    void unsignedKeyOrder() throws Exception {
        run(new KvOperation.Put(new byte[] {(byte) 0xff}, b("high")));
        run(new KvOperation.Put(new byte[] {0x01}, b("low")));
        KvResult.Entries all = (KvResult.Entries) run(new KvOperation.Scan(new byte[0], new byte[0], 10));
        assertArrayEquals(new byte[] {0x01}, all.entries().get(0).key());
    }

    @Test
    void snapshotRestoresTheSameStateAndDigest() throws Exception {
        run(new KvOperation.Put(b("k1"), b("v1")));
        run(new KvOperation.Put(b("k2"), new byte[0]));
        byte[] snapshot = kv.snapshot();
        KvService other = new KvService(limits);
        assertFalse(java.util.Arrays.equals(kv.stateDigest(), other.stateDigest()));
        other.installSnapshot(snapshot);
        assertArrayEquals(kv.stateDigest(), other.stateDigest());
        assertArrayEquals(snapshot, other.snapshot());
        run(new KvOperation.Put(b("k1"), b("changed")));
        assertFalse(java.util.Arrays.equals(kv.stateDigest(), other.stateDigest()));
    }

    @Test
    void badSnapshotIsRefusedAndLeavesTheStateAlone() throws Exception {
        run(new KvOperation.Put(b("keep"), b("me")));
        byte[] digest = kv.stateDigest();
        byte[] snapshot = kv.snapshot();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kv.installSnapshot(java.util.Arrays.copyOf(snapshot, snapshot.length - 1)));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> kv.installSnapshot(b("nonsense")));
        assertArrayEquals(digest, kv.stateDigest());
    }

    @Test
    void malformedAndOversizedOperationsGiveErrors() throws Exception {
        assertError(new byte[0], "operation type missing");
        assertError(new byte[] {9}, "unknown operation type 9");
        assertError(new KvOperation.Put(new byte[65], b("v")).encode(), "key of 65 bytes exceeds 64");
        assertError(new KvOperation.Put(b("k"), new byte[1025]).encode(), "value of 1025 bytes exceeds 1024");
        byte[] get = new KvOperation.Get(b("k")).encode();
        assertError(java.util.Arrays.copyOf(get, get.length + 1), "trailing");
    }

    @Test
    void storeRefusesNewKeysBeyondItsLimit() throws Exception {
        for (int i = 0; i < limits.entriesMax(); i++) {
            run(new KvOperation.Put(b("k" + i), b("v")));
        }
        assertInstanceOf(KvResult.Error.class, run(new KvOperation.Put(b("one too many"), b("v"))));
        assertInstanceOf(KvResult.Ok.class, run(new KvOperation.Put(b("k0"), b("overwrite is fine"))));
    }

    /** Mutated encodings of every operation type never throw and never corrupt the store. */
    @Test
    void fuzzedOperationsNeverThrow() {
        Random random = new Random(1234);
        List<byte[]> valid = List.of(new KvOperation.Put(b("key"), b("value")).encode(),
                new KvOperation.Get(b("key")).encode(), new KvOperation.Delete(b("key")).encode(),
                new KvOperation.CompareAndSet(b("key"), b("value"), null).encode(),
                new KvOperation.Scan(b("k"), new byte[0], 5).encode(), new KvOperation.Echo(b("p"), 3).encode());
        List<byte[]> mutated = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = valid.get(random.nextInt(valid.size())).clone();
            int mutations = 1 + random.nextInt(3);
            for (int m = 0; m < mutations && bytes.length > 0; m++) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            if (random.nextInt(4) == 0) {
                bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length + 2));
            }
            mutated.add(bytes);
        }
        List<byte[]> results = kv.executeBatch(mutated);
        assertEquals(mutated.size(), results.size());
        for (byte[] result : results) {
            assertTrue(result.length > 0);
        }
        KvService replay = new KvService(limits);
        replay.executeBatch(mutated);
        assertArrayEquals(kv.stateDigest(), replay.stateDigest(), "execution is deterministic");
        replay.installSnapshot(kv.snapshot());
    }

    @Test
    void snapshotPartsRoundTripAndOnlyWrittenBucketsChange() throws Exception {
        for (int i = 0; i < 40; i++) {
            run(new KvOperation.Put(b("key" + i), b("value" + i)));
        }
        List<byte[]> before = kv.snapshotParts();
        assertEquals(8, before.size());
        run(new KvOperation.Put(b("key7"), b("changed")));
        List<byte[]> after = kv.snapshotParts();
        int changed = 0;
        for (int i = 0; i < 8; i++) {
            changed += before.get(i) == after.get(i) ? 0 : 1;
        }
        assertEquals(1, changed, "one write re-encodes one bucket; the others are the same arrays");

        KvService copy = new KvService(limits);
        install(copy, after);
        assertArrayEquals(kv.stateDigest(), copy.stateDigest());
        assertArrayEquals(kv.snapshot(), copy.snapshot());
    }

    @Test
    void aDamagedOrMisplacedPartIsRefusedAndTheStateStaysAsItWas() throws Exception {
        run(new KvOperation.Put(b("a"), b("1")));
        List<byte[]> parts = new ArrayList<>(kv.snapshotParts());
        KvService target = new KvService(limits);
        target.executeBatch(List.of(new KvOperation.Put(b("mine"), b("2")).encode()));
        byte[] digestBefore = target.stateDigest();

        List<byte[]> swapped = new ArrayList<>(parts);
        int full = 0;
        while (parts.get(full).length == 4) {
            full++;
        }
        swapped.set(full, parts.get((full + 1) % 8));
        swapped.set((full + 1) % 8, parts.get(full));
        IllegalArgumentException misplaced = assertThrows(IllegalArgumentException.class,
                () -> install(target, swapped));
        assertTrue(misplaced.getMessage().contains("wrong part"), misplaced.getMessage());

        List<byte[]> truncated = new ArrayList<>(parts);
        truncated.set(full, Arrays.copyOf(parts.get(full), parts.get(full).length - 1));
        assertThrows(IllegalArgumentException.class, () -> install(target, truncated));
        assertThrows(IllegalArgumentException.class, () -> install(target, parts.subList(0, 7)));
        assertArrayEquals(digestBefore, target.stateDigest(), "a refused snapshot changes nothing");
    }

    /**
     * The bucket count follows the state's size: it doubles while buckets average over twice the
     * target and halves while they average under half of it, within [min, max]; two stores fed the
     * same operations agree on every checkpoint, and a fresh store installs a grown state (taking
     * its count) and then keeps resizing as the writer does.
     */
    @Test
    void theBucketCountFollowsTheStateSizeAlikeOnEveryReplicaAndAcrossAnInstall() throws Exception {
        KvLimits growing = new KvLimits(64, 1024, 3, 4096, 1000, 2, 32, 100);
        KvService writer = new KvService(growing);
        KvService twin = new KvService(growing);
        List<Integer> counts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] put = new KvOperation.Put(b("key" + i), new byte[40]).encode();
            writer.executeBatch(List.of(put));
            twin.executeBatch(List.of(put));
            counts.add(writer.snapshotParts().size());
        }
        // key + value ~ 45 bytes: 2 buckets until 400 bytes (> 2 x 100 x 2), then 4, 8, 16, 32 (max)
        assertEquals(2, counts.get(7));
        assertEquals(4, counts.get(9));
        assertEquals(32, counts.get(199), "capped at snapshotPartsMax");
        assertEquals(List.of(2, 4, 8, 16, 32), counts.stream().distinct().toList(), "only doubling");
        assertArrayEquals(writer.stateDigest(), twin.stateDigest());
        assertEquals(writer.snapshotParts().size(), twin.snapshotParts().size());

        KvService recovered = new KvService(growing);
        install(recovered, writer.snapshotParts());
        assertArrayEquals(writer.snapshot(), recovered.snapshot());
        for (int i = 0; i < 190; i++) {
            byte[] delete = new KvOperation.Delete(b("key" + i)).encode();
            writer.executeBatch(List.of(delete));
            recovered.executeBatch(List.of(delete));
            List<byte[]> ours = writer.snapshotParts();
            List<byte[]> theirs = recovered.snapshotParts();
            assertEquals(ours.size(), theirs.size(), "same count after delete " + i);
            for (int p = 0; p < ours.size(); p++) {
                assertArrayEquals(ours.get(p), theirs.get(p));
            }
        }
        // 10 keys of 46 bytes = 460: halved while under 100 x count / 2, so 32 -> 16 -> 8, not 4 (460 >= 400)
        assertEquals(8, writer.snapshotParts().size());
    }

    /**
     * Writes between add and commit that change the bucket count (here: deletes that halve it): the
     * install still gives the installed state, with its own count.
     */
    @Test
    void anInstallOfOurOwnPartsGivesTheirStateWhenWritesMeanwhileResizeTheBuckets() throws Exception {
        KvLimits growing = new KvLimits(64, 1024, 3, 4096, 1000, 2, 32, 100);
        KvService target = new KvService(growing);
        for (int i = 0; i < 40; i++) {
            target.executeBatch(List.of(new KvOperation.Put(b("key" + i), new byte[40]).encode()));
        }
        List<byte[]> ours = target.snapshotParts();
        byte[] expected = target.snapshot();
        Service.PartInstall install = target.beginInstall(ours.size());
        ours.forEach(install::add);
        for (int i = 0; i < 36; i++) {
            target.executeBatch(List.of(new KvOperation.Delete(b("key" + i)).encode()));
        }
        assertTrue(target.snapshotParts().size() < ours.size(), "the deletes meanwhile shrank the bucket count");
        install.commit();
        assertArrayEquals(expected, target.snapshot(), "the installed state, not the writes made meanwhile");
        assertEquals(ours.size(), target.snapshotParts().size(), "the installed checkpoint's bucket count");
    }

    @Test
    void aSnapshotWithABucketCountThisStoreCannotHaveIsRefused() {
        KvLimits growing = new KvLimits(64, 1024, 3, 4096, 1000, 2, 32, 100);
        KvService target = new KvService(growing);
        for (int count : new int[] {1, 3, 6, 64}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.beginInstall(count));
            assertTrue(e.getMessage().contains(count + " parts"), e.getMessage());
        }
        assertEquals(0, target.size());
    }

    @Test
    void aPartByPartInstallChangesNothingUntilCommitAndNothingWhenAborted() throws Exception {
        for (int i = 0; i < 20; i++) {
            run(new KvOperation.Put(b("key" + i), b("value" + i)));
        }
        List<byte[]> parts = kv.snapshotParts();
        KvService target = new KvService(limits);
        target.executeBatch(List.of(new KvOperation.Put(b("mine"), b("2")).encode()));
        byte[] digestBefore = target.stateDigest();

        Service.PartInstall aborted = target.beginInstall(parts.size());
        parts.subList(0, 5).forEach(aborted::add);
        assertArrayEquals(digestBefore, target.stateDigest(), "parts added but not committed change nothing");
        aborted.abort();
        assertArrayEquals(digestBefore, target.stateDigest(), "an aborted install changes nothing");
        assertThrows(IllegalStateException.class, () -> aborted.add(parts.get(5)));

        Service.PartInstall early = target.beginInstall(parts.size());
        parts.subList(0, 7).forEach(early::add);
        IllegalArgumentException short1 = assertThrows(IllegalArgumentException.class, early::commit);
        assertTrue(short1.getMessage().contains("7 of 8 parts"), short1.getMessage());
        early.abort();
        assertArrayEquals(digestBefore, target.stateDigest());

        Service.PartInstall whole = target.beginInstall(parts.size());
        parts.forEach(whole::add);
        target.executeBatch(List.of(new KvOperation.Put(b("meanwhile"), b("3")).encode()));
        whole.commit();
        assertArrayEquals(kv.snapshot(), target.snapshot(), "the committed parts replace even writes made meanwhile");
        for (int i = 0; i < parts.size(); i++) {
            assertSame(parts.get(i), target.snapshotParts().get(i), "the installed part arrays are kept, not copied");
        }
    }

    /**
     * A replica that fetches a newer checkpoint of a state it mostly holds is handed its own part
     * arrays for the unchanged parts: their entries are taken over, not parsed into a second copy,
     * and a part a write touched between the add and the commit is parsed after all.
     */
    @Test
    void installingMostlyOurOwnPartsGivesTheNewStateEvenWhenWritesComeMeanwhile() throws Exception {
        for (int i = 0; i < 40; i++) {
            run(new KvOperation.Put(b("key" + i), b("value" + i)));
        }
        KvService target = new KvService(limits);
        install(target, kv.snapshotParts());
        run(new KvOperation.Put(b("key7"), b("changed")));
        List<byte[]> newer = kv.snapshotParts();
        List<byte[]> ours = target.snapshotParts();
        int shared = 0;
        for (int i = 0; i < newer.size(); i++) {
            shared += newer.get(i) == ours.get(i) ? 1 : 0;
        }
        assertEquals(newer.size() - 1, shared, "all but the written part are the target's own arrays");

        byte[] expected = kv.snapshot();
        Service.PartInstall install = target.beginInstall(newer.size());
        newer.forEach(install::add);
        for (int i = 0; i < 8; i++) {
            target.executeBatch(List.of(new KvOperation.Put(b("meanwhile" + i), b("x")).encode()));
        }
        install.commit();
        assertArrayEquals(expected, target.snapshot(), "the installed state, not the writes made meanwhile");
    }

    /** A part equal in content to ours (read back from the chunk store) is not parsed into a second copy either. */
    @Test
    void aPartEqualToOursIsReplacedByOurOwnArray() throws Exception {
        for (int i = 0; i < 40; i++) {
            run(new KvOperation.Put(b("key" + i), b("value" + i)));
        }
        List<byte[]> ours = kv.snapshotParts();
        byte[] expected = kv.snapshot();
        Service.PartInstall install = kv.beginInstall(ours.size());
        ours.forEach(part -> install.add(part.clone()));
        install.commit();
        assertArrayEquals(expected, kv.snapshot());
        for (int i = 0; i < ours.size(); i++) {
            assertSame(ours.get(i), kv.snapshotParts().get(i), "our own array is kept, the equal copy dropped");
        }
    }

    /**
     * A written value keeps its own array only until the next checkpoint's encoding of its bucket:
     * then it points into that part (weak references, not a clock), so the state sits in the heap
     * once. Values read back are copies: changing one changes neither the store nor its parts.
     */
    @Test
    void writtenValuesMoveIntoTheirPartAtTheCheckpointAndResultsAreCopies() throws Exception {
        List<WeakReference<byte[]>> written = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byte[] value = b("value" + i);
            written.add(new WeakReference<>(value));
            kv.apply(new KvOperation.Put(b("key" + i), value));
        }
        byte[] snapshot = kv.snapshot();
        List<byte[]> parts = kv.snapshotParts();
        assertEquals(0, reachable(written), "no written value array is kept after the checkpoint");
        for (int i = 0; i < 40; i++) {
            byte[] value = ((KvResult.Value) kv.apply(new KvOperation.Get(b("key" + i)))).value();
            assertArrayEquals(b("value" + i), value);
            Arrays.fill(value, (byte) 0);
        }
        List<byte[]> scanned = new ArrayList<>();
        ((KvResult.Entries) kv.apply(new KvOperation.Scan(b("key"), new byte[0], 3))).entries()
                .forEach(e -> scanned.add(e.value()));
        scanned.forEach(value -> Arrays.fill(value, (byte) 0));
        assertArrayEquals(snapshot, kv.snapshot());
        List<byte[]> again = kv.snapshotParts();
        for (int i = 0; i < parts.size(); i++) {
            assertSame(parts.get(i), again.get(i), "reads dirty no part");
        }
    }

    /** Installs parts one at a time, as the core does; aborts (state unchanged) when one is refused. */
    private static void install(KvService target, List<byte[]> parts) {
        Service.PartInstall install = target.beginInstall(parts.size());
        try {
            parts.forEach(install::add);
            install.commit();
        } catch (IllegalArgumentException e) {
            install.abort();
            throw e;
        }
    }

    private void assertError(byte[] operation, String expected) throws KvFormatException {
        KvResult result = KvResult.decode(kv.executeBatch(List.of(operation)).get(0), limits);
        String message = ((KvResult.Error) result).message();
        assertTrue(message.contains(expected), message);
    }

    private static List<String> keys(KvResult.Entries entries) {
        return entries.entries().stream().map(e -> new String(e.key(), StandardCharsets.UTF_8)).toList();
    }
}
