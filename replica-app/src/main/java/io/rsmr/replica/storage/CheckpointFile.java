package io.rsmr.replica.storage;

import io.rsmr.replica.protocol.message.CheckpointCertificate;
import io.rsmr.replica.protocol.message.DecodeException;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.MessageCodec;
import io.rsmr.replica.protocol.message.StateManifest;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The latest stable checkpoint, in one file replaced atomically: its certificate and the manifest
 * of its state (the chunk digests; the chunks themselves are in {@link ChunkPacks}). Layout,
 * big-endian: magic "RSMRCKP2", the epoch (i64) and the SHA-256 of the epoch's public key (32) it
 * was written under ({@link EpochKey}), certificate length (i32) and bytes, manifest length (i32)
 * and bytes (both in {@link MessageCodec}'s encoding), CRC32C of all before it (i32). Reading checks the CRC, that both decode, and that the manifest's root is the
 * certified digest: a file that passes is internally consistent (though it may be an old one).
 */
final class CheckpointFile {
    static final String NAME = "checkpoint";
    private static final long MAGIC = 0x52534d52434b5032L;
    private static final int CRC_BYTES = 4;

    /** One stable checkpoint as kept on disk. */
    record Contents(EpochKey owner, CheckpointCertificate certificate, StateManifest manifest) {
    }

    private CheckpointFile() {}

    static void write(Path dataDir, Contents contents, MessageCodec codec, FsyncPolicy policy) throws IOException {
        assert Arrays.equals(contents.manifest().root(), contents.certificate().stateDigest());
        byte[] certificate = codec.encode(contents.certificate());
        byte[] manifest = codec.encode(contents.manifest());
        ByteBuffer buffer = ByteBuffer.allocate(8 + 8 + Digests.DIGEST_BYTES + 4 + certificate.length + 4
                + manifest.length + CRC_BYTES);
        buffer.putLong(MAGIC).putLong(contents.owner().epoch()).put(contents.owner().publicKeyDigest());
        buffer.putInt(certificate.length).put(certificate);
        buffer.putInt(manifest.length).put(manifest);
        buffer.putInt(crc(buffer.array(), buffer.position()));
        DiskFiles.writeAtomically(dataDir.resolve(NAME), buffer.array(), policy);
    }

    /** The file's contents, empty when there is no file; throws when it is there but fails a check. */
    static Optional<Contents> read(Path dataDir, MessageCodec codec) throws IOException, CorruptStorageException {
        Path file = dataDir.resolve(NAME);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (bytes.length < 8 + 8 + Digests.DIGEST_BYTES + 4 + 4 + CRC_BYTES) {
            throw new CorruptStorageException(file + " is truncated (" + bytes.length + " bytes)");
        }
        int stored = ByteBuffer.wrap(bytes, bytes.length - CRC_BYTES, CRC_BYTES).getInt();
        if (stored != crc(bytes, bytes.length - CRC_BYTES)) {
            throw new CorruptStorageException(file + " fails its CRC32C");
        }
        try {
            return Optional.of(parse(ByteBuffer.wrap(bytes, 0, bytes.length - CRC_BYTES), codec, file));
        } catch (BufferUnderflowException | DecodeException | IllegalArgumentException e) {
            throw new CorruptStorageException(file + " has a bad layout: " + e);
        }
    }

    private static Contents parse(ByteBuffer buffer, MessageCodec codec, Path file)
            throws DecodeException, CorruptStorageException {
        if (buffer.getLong() != MAGIC) {
            throw new CorruptStorageException(file + " is not a checkpoint file (bad magic)");
        }
        long epoch = buffer.getLong();
        byte[] keyDigest = new byte[Digests.DIGEST_BYTES];
        buffer.get(keyDigest);
        if (!(codec.decode(message(buffer, codec, file)) instanceof CheckpointCertificate certificate)) {
            throw new CorruptStorageException(file + " holds no checkpoint certificate");
        }
        if (!(codec.decode(message(buffer, codec, file)) instanceof StateManifest manifest)) {
            throw new CorruptStorageException(file + " holds no state manifest");
        }
        if (buffer.hasRemaining()) {
            throw new CorruptStorageException(file + " has " + buffer.remaining() + " bytes after its manifest");
        }
        if (manifest.seq() != certificate.seq() || !Arrays.equals(manifest.root(), certificate.stateDigest())) {
            throw new CorruptStorageException(file + ": the manifest of checkpoint " + manifest.seq()
                    + " is not the state certified for checkpoint " + certificate.seq());
        }
        return new Contents(new EpochKey(epoch, keyDigest), certificate, manifest);
    }

    private static byte[] message(ByteBuffer buffer, MessageCodec codec, Path file) throws CorruptStorageException {
        byte[] bytes = new byte[lengthAtMost(buffer.getInt(), codec.config().messageBytesMax(), file)];
        buffer.get(bytes);
        return bytes;
    }

    private static int lengthAtMost(int length, int max, Path file) throws CorruptStorageException {
        if (length < 0 || length > max) {
            throw new CorruptStorageException(file + " has a length " + length + " outside [0, " + max + "]");
        }
        return length;
    }

    static void delete(Path dataDir, FsyncPolicy policy) throws IOException {
        if (Files.deleteIfExists(dataDir.resolve(NAME))) {
            DiskFiles.syncDirectory(dataDir, policy);
        }
    }

    private static int crc(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
