package io.rsmr.common.image;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The manifest of a replica VM image ({@code manifest.json}, written by {@code vm-images/build.sh}):
 * for each golden file its size, its whole-file SHA-256 (for people and other tools), and the
 * SHA-256 of every fixed-size chunk with their {@link ChunkedDigest.Chunks#root() root} (what the
 * agent checks, on all cores); and the kernel command line the image was built for. The operator
 * signs its exact bytes ({@link ManifestSignature}), chunk digests included; so the raw bytes are kept.
 *
 * <pre>
 * "root.img": {"sha256": "&lt;hex&gt;", "bytes": N,
 *   "chunkBytes": 4194304, "chunkRoot": "&lt;hex&gt;", "chunks": ["&lt;hex&gt;", ...]}
 * </pre>
 *
 * @param files         the golden files, by file name (no folders: the store decides where they are)
 * @param kernelCmdline the image's base kernel command line
 * @param raw           the bytes the signature covers
 */
public record ImageManifest(List<Entry> files, String kernelCmdline, byte[] raw) {
    /** Format 2 added the chunk digests; format 1 (whole-file SHA-256 only) is refused, never checked the slow way. */
    public static final String FORMAT = "rsmr-image-manifest 2";
    /** ≈ 68 bytes per chunk digest: 1 MiB holds ≈ 15,000 chunks, 60 GB of golden files in 4 MiB chunks. */
    public static final int MANIFEST_BYTES_MAX = 1 << 20;
    /** The image has a kernel, an initramfs and a root; a handful more would still be sane. */
    public static final int FILES_MAX = 16;

    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    /** One golden file: its name, whole-file SHA-256, size in bytes, and chunk digests. */
    public record Entry(String name, byte[] sha256, long bytes, ChunkedDigest.Chunks chunks) {
        public Entry {
            sha256 = sha256.clone();
            if (chunks.bytes() != bytes) {
                throw new IllegalArgumentException(name + ": chunk list for " + chunks.bytes() + " bytes, file of " + bytes);
            }
        }

        @Override
        public byte[] sha256() {
            return sha256.clone();
        }

        public String sha256Hex() {
            return HexFormat.of().formatHex(sha256);
        }

        public String chunkRootHex() {
            return HexFormat.of().formatHex(chunks.root());
        }
    }

    public ImageManifest {
        files = List.copyOf(files);
        raw = raw.clone();
    }

    @Override
    public byte[] raw() {
        return raw.clone();
    }

    public Optional<Entry> file(String name) {
        return files.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    public static ImageManifest read(Path file) throws ImageException {
        byte[] bytes;
        try {
            if (Files.size(file) > MANIFEST_BYTES_MAX) {
                throw new ImageException(file + ": larger than " + MANIFEST_BYTES_MAX + " bytes, not an image manifest");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ImageException(file + ": no such manifest file", e);
        } catch (IOException e) {
            throw new ImageException(file + ": cannot read the manifest: " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    /** Parses a manifest; every fault is an {@link ImageException} naming {@code source} and the field. */
    public static ImageManifest parse(byte[] bytes, String source) throws ImageException {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new ImageException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ImageException(source + ": cannot read: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new ImageException(source + ": not a JSON object");
        }
        String format = text(root, "format", source);
        if (!FORMAT.equals(format)) {
            throw new ImageException(source + ": format is '" + format + "', expected '" + FORMAT + "'"
                    + ("rsmr-image-manifest 1".equals(format)
                            ? " (with per-chunk digests): rebuild the image with vm-images/build.sh and sign its manifest again" : ""));
        }
        return new ImageManifest(entries(root.get("files"), source), text(root, "kernelCmdline", source), bytes);
    }

    private static List<Entry> entries(JsonNode files, String source) throws ImageException {
        if (files == null || !files.isObject() || files.isEmpty()) {
            throw new ImageException(source + ": 'files' must be a non-empty object of name -> {sha256, bytes, chunkBytes, chunkRoot, chunks}");
        }
        if (files.size() > FILES_MAX) {
            throw new ImageException(source + ": more than " + FILES_MAX + " files");
        }
        List<Entry> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            out.add(entry(f.getKey(), f.getValue(), source));
        }
        return out;
    }

    private static Entry entry(String name, JsonNode node, String source) throws ImageException {
        String where = source + ": files." + name;
        if (!FILE_NAME.matcher(name).matches()) {
            throw new ImageException(where + ": not a plain file name (letters, digits, '.', '_', '-')");
        }
        if (!node.isObject()) {
            throw new ImageException(where + ": must be an object {sha256, bytes, chunkBytes, chunkRoot, chunks}");
        }
        byte[] sha = sha256(node, "sha256", where);
        long bytes = whole(node, "bytes", 0, Long.MAX_VALUE, where);
        int chunkBytes = (int) whole(node, "chunkBytes", ChunkedDigest.CHUNK_BYTES_MIN, ChunkedDigest.CHUNK_BYTES_MAX, where);
        ChunkedDigest.Chunks chunks = new ChunkedDigest.Chunks(chunkBytes, bytes, chunkList(node.get("chunks"),
                ChunkedDigest.Chunks.count(bytes, chunkBytes), where));
        byte[] root = sha256(node, "chunkRoot", where);
        if (!Arrays.equals(root, chunks.root())) {
            throw new ImageException(where + ".chunkRoot: " + HexFormat.of().formatHex(root)
                    + " is not the root of the chunk list (" + HexFormat.of().formatHex(chunks.root()) + ")");
        }
        return new Entry(name, sha, bytes, chunks);
    }

    private static List<byte[]> chunkList(JsonNode list, long count, String where) throws ImageException {
        if (list == null || !list.isArray() || list.size() != count) {
            throw new ImageException(where + ".chunks: must be a list of " + count
                    + " SHA-256 digests (bytes / chunkBytes, rounded up)" + (list != null && list.isArray() ? ", not " + list.size() : ""));
        }
        List<byte[]> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonNode d = list.get(i);
            if (!d.isTextual() || !SHA256_HEX.matcher(d.asText()).matches()) {
                throw new ImageException(where + ".chunks[" + i + "]: not 64 lower-case hex digits");
            }
            out.add(HexFormat.of().parseHex(d.asText()));
        }
        return out;
    }

    private static byte[] sha256(JsonNode node, String field, String where) throws ImageException {
        String hex = text(node, field, where);
        if (!SHA256_HEX.matcher(hex).matches()) {
            throw new ImageException(where + "." + field + ": not 64 lower-case hex digits");
        }
        return HexFormat.of().parseHex(hex);
    }

    private static long whole(JsonNode node, String field, long min, long max, String where) throws ImageException {
        JsonNode v = node.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new ImageException(where + "." + field + ": must be a whole number from " + min + " to " + max);
        }
        return v.asLong();
    }

    private static String text(JsonNode node, String field, String where) throws ImageException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new ImageException(where + ": '" + field + "' is missing or not a string");
        }
        return v.asText();
    }
}
