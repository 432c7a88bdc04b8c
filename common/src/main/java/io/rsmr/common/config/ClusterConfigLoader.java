package io.rsmr.common.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads {@code cluster.yaml} into a {@link ClusterConfig}, or fails with every error of the file,
 * each naming its line, field path and what is wrong. Relative paths in the file are resolved
 * against the file's folder, so a config and its keys can move together.
 */
public final class ClusterConfigLoader {
    /** Config files are small; a larger one is a mistake (or an attack on the parser). */
    public static final long CONFIG_BYTES_MAX = 1 << 20;

    private final YAMLFactory factory = YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    public ClusterConfig load(Path file) throws ConfigException {
        String name = file.toString();
        try {
            if (Files.size(file) > CONFIG_BYTES_MAX) {
                throw new ConfigException(name, List.of(new ConfigError(0, "", "larger than " + CONFIG_BYTES_MAX + " bytes")));
            }
            String yaml = Files.readString(file, StandardCharsets.UTF_8);
            Path base = file.toAbsolutePath().getParent();
            return parse(yaml, name, base);
        } catch (NoSuchFileException e) {
            throw new ConfigException(name, List.of(new ConfigError(0, "", "no such file")));
        } catch (IOException e) {
            throw new ConfigException(name, List.of(new ConfigError(0, "", "cannot read: " + e.getMessage())));
        }
    }

    /** Parses {@code yaml} as if read from {@code fileName}; relative paths resolve against {@code base}. */
    public ClusterConfig parse(String yaml, String fileName, Path base) throws ConfigException {
        YamlLocations locations;
        try {
            locations = YamlLocations.index(factory, yaml);
        } catch (IOException e) {
            throw new ConfigException(fileName, List.of(syntaxError(e)));
        }
        if (locations.isEmpty()) {
            throw new ConfigException(fileName, List.of(new ConfigError(0, "", "the file is empty; see examples/cluster-local.yaml")));
        }
        CollectingProblemHandler handler = new CollectingProblemHandler();
        ClusterConfig config;
        try {
            config = mapper(handler).readValue(yaml, ClusterConfig.class);
        } catch (IOException e) {
            List<ConfigError> errors = located(handler.problems(), locations);
            errors.add(syntaxError(e));
            throw new ConfigException(fileName, errors);
        }
        List<CollectingProblemHandler.Problem> problems = new ArrayList<>(handler.problems());
        for (CollectingProblemHandler.Problem p : new ClusterConfigValidator(locations::has).validate(config)) {
            if (!coveredBy(p, handler.problems())) {
                problems.add(p);
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(fileName, located(problems, locations));
        }
        return resolvePaths(config, base);
    }

    /** A field that failed to bind holds a placeholder: what the validator says of it would be noise. */
    private static boolean coveredBy(CollectingProblemHandler.Problem p, List<CollectingProblemHandler.Problem> bindErrors) {
        for (CollectingProblemHandler.Problem b : bindErrors) {
            if (p.pointer().equals(b.pointer()) || p.pointer().startsWith(b.pointer() + "/")) {
                return true;
            }
        }
        return false;
    }

    private ObjectMapper mapper(CollectingProblemHandler handler) {
        return YAMLMapper.builder(factory)
                .addModule(ScalarDeserializers.module())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .addHandler(handler)
                .build();
    }

    private static List<ConfigError> located(List<CollectingProblemHandler.Problem> problems, YamlLocations locations) {
        List<ConfigError> errors = new ArrayList<>();
        for (CollectingProblemHandler.Problem p : problems) {
            errors.add(new ConfigError(locations.line(p.linePointer()), locations.display(p.pointer()), p.message()));
        }
        errors.sort(Comparator.comparingInt(ConfigError::line));
        return errors;
    }

    private static ConfigError syntaxError(IOException e) {
        if (e instanceof JacksonException je) {
            JsonLocation at = je.getLocation();
            String path = je instanceof com.fasterxml.jackson.databind.JsonMappingException jm ? jm.getPathReference() : "";
            return new ConfigError(at == null ? 0 : at.getLineNr(), path == null ? "" : path, je.getOriginalMessage());
        }
        return new ConfigError(0, "", e.getMessage());
    }

    private static ClusterConfig resolvePaths(ClusterConfig c, Path base) {
        Images i = c.images();
        Images images = new Images(base.resolve(i.kernel()), base.resolve(i.initramfs()), base.resolve(i.root()),
                base.resolve(i.manifest()), base.resolve(i.signature()), base.resolve(i.readOnlyCopy()));
        Map<String, Path> agents = new TreeMap<>();
        c.keys().agentPublicKeys().forEach((host, path) -> agents.put(host, base.resolve(path)));
        Keys keys = new Keys(base.resolve(c.keys().operatorPublicKey()), agents);
        return new ClusterConfig(c.cluster(), c.faults(), c.timing(), c.replicas(), c.failSafe(), images, keys,
                c.replication());
    }
}
