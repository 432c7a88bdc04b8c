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
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The manifest of a replica VM image ({@code manifest.json}, written by {@code vm-images/build.sh}):
 * the SHA-256 and size of each golden file, and the kernel command line the image was built for.
 * The operator signs its exact bytes ({@link ManifestSignature}); so the raw bytes are kept.
 *
 * @param files         the golden files, by file name (no folders: the store decides where they are)
 * @param kernelCmdline the image's base kernel command line
 * @param raw           the bytes the signature covers
 */
public record ImageManifest(List<Entry> files, String kernelCmdline, byte[] raw) {
    public static final String FORMAT = "rsmr-image-manifest 1";
    /** A manifest is a few hundred bytes; anything much bigger is not one. */
    public static final int MANIFEST_BYTES_MAX = 64 * 1024;
    /** The image has a kernel, an initramfs and a root; a handful more would still be sane. */
    public static final int FILES_MAX = 16;

    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    /** One golden file: its name, SHA-256 and size in bytes. */
    public record Entry(String name, byte[] sha256, long bytes) {
        public Entry {
            sha256 = sha256.clone();
        }

        @Override
        public byte[] sha256() {
            return sha256.clone();
        }

        public String sha256Hex() {
            return HexFormat.of().formatHex(sha256);
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
            throw new ImageException(source + ": format is '" + format + "', expected '" + FORMAT + "'");
        }
        return new ImageManifest(entries(root.get("files"), source), text(root, "kernelCmdline", source), bytes);
    }

    private static List<Entry> entries(JsonNode files, String source) throws ImageException {
        if (files == null || !files.isObject() || files.isEmpty()) {
            throw new ImageException(source + ": 'files' must be a non-empty object of name -> {sha256, bytes}");
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
            throw new ImageException(where + ": must be an object {sha256, bytes}");
        }
        String sha = text(node, "sha256", where);
        if (!SHA256_HEX.matcher(sha).matches()) {
            throw new ImageException(where + ".sha256: not 64 lower-case hex digits");
        }
        JsonNode size = node.get("bytes");
        if (size == null || !size.canConvertToLong() || !size.isIntegralNumber() || size.asLong() < 0) {
            throw new ImageException(where + ".bytes: must be a non-negative whole number");
        }
        return new Entry(name, HexFormat.of().parseHex(sha), size.asLong());
    }

    private static String text(JsonNode node, String field, String where) throws ImageException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new ImageException(where + ": '" + field + "' is missing or not a string");
        }
        return v.asText();
    }
}
