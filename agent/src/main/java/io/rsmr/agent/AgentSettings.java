package io.rsmr.agent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * This host's agent settings ({@code agent.yaml}), beside the cluster config: who this host is,
 * its key, where its state lives, and how its replica VMs are laid out. Relative paths resolve
 * against the file's folder. Unknown fields are errors (a typo must not silently use a default).
 *
 * @param host               this host's name in the cluster config (replicas[].host)
 * @param signingKey         the agent's Ed25519 key (KeyFiles kind=signing-key)
 * @param stateDir           journal, fail-safe markers, and per-replica disks and sockets
 * @param configDiskTool     vm-images' make-config-disk.sh as installed on this host
 * @param domainMemoryMib    guest memory
 * @param tcgCodeCacheMib    QEMU's TCG code cache for domain type qemu
 * @param payloadBridge      the bridge the replica VMs' NIC joins
 * @param payloadPrefixLength prefix length of the payload network (the replica's address is from the config)
 * @param dataDiskMib        size of a new, empty data disk
 * @param replicaArgs        the replica's command line arguments (config disk file replica-args);
 *                           {@code {replicaId}} and {@code {epoch}} are filled in per replica and boot
 * @param jvmOptions         the replica's JVM options (empty: the image's defaults)
 * @param metricsPort        port of the Prometheus endpoint on this host's management address; 0: none
 * @param recoveredEvent     the guest line's "event" that ends the transfer step
 */
public record AgentSettings(String host, Path signingKey, Path stateDir, Path configDiskTool, int domainMemoryMib,
                            int tcgCodeCacheMib, String payloadBridge, int payloadPrefixLength, int dataDiskMib,
                            List<String> replicaArgs, List<String> jvmOptions, int metricsPort, String recoveredEvent) {
    public static final int MEMORY_MIB_MAX = 256;

    public AgentSettings {
        replicaArgs = replicaArgs == null ? List.of() : List.copyOf(replicaArgs);
        jvmOptions = jvmOptions == null ? List.of() : List.copyOf(jvmOptions);
    }

    /** Loads and checks the file; the exception lists every problem, naming the field. */
    public static AgentSettings load(Path file) throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        Raw raw;
        try {
            raw = yaml.readValue(file.toFile(), Raw.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IOException(file + ": unknown field '" + e.getPropertyName() + "' (known: " + e.getKnownPropertyIds() + ")", e);
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        if (raw == null) {
            throw new IOException(file + ": empty settings file");
        }
        Path base = file.toAbsolutePath().getParent();
        AgentSettings s = new AgentSettings(raw.host, resolve(base, raw.signingKey), resolve(base, raw.stateDir),
                resolve(base, raw.configDiskTool), raw.domainMemoryMib, raw.tcgCodeCacheMib, raw.payloadBridge,
                raw.payloadPrefixLength, raw.dataDiskMib, raw.replicaArgs, raw.jvmOptions, raw.metricsPort, raw.recoveredEvent);
        List<String> problems = s.problems();
        if (!problems.isEmpty()) {
            throw new IOException(file + ": " + String.join("; ", problems));
        }
        return s;
    }

    /** What is wrong with these settings (empty: nothing). */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        require(p, host != null && !host.isBlank(), "host: required (this host's name in the cluster config)");
        require(p, signingKey != null, "signingKey: required (the agent's key file)");
        require(p, stateDir != null, "stateDir: required");
        require(p, configDiskTool != null, "configDiskTool: required (vm-images/make-config-disk.sh)");
        require(p, domainMemoryMib >= 64 && domainMemoryMib <= MEMORY_MIB_MAX, "domainMemoryMib: 64.." + MEMORY_MIB_MAX);
        require(p, tcgCodeCacheMib >= 16 && tcgCodeCacheMib <= 512, "tcgCodeCacheMib: 16..512");
        require(p, payloadBridge != null && payloadBridge.matches("[A-Za-z0-9_.-]{1,15}"), "payloadBridge: a bridge name");
        require(p, payloadPrefixLength >= 8 && payloadPrefixLength <= 30, "payloadPrefixLength: 8..30");
        require(p, dataDiskMib >= 16, "dataDiskMib: at least 16");
        require(p, metricsPort >= 0 && metricsPort <= 65535, "metricsPort: 0..65535");
        require(p, recoveredEvent != null && !recoveredEvent.isBlank(), "recoveredEvent: required");
        return p;
    }

    private static void require(List<String> problems, boolean ok, String message) {
        if (!ok) {
            problems.add(message);
        }
    }

    private static Path resolve(Path base, String p) {
        return p == null ? null : base.resolve(p).normalize();
    }

    /** The file as written, with the defaults of the optional fields. */
    static final class Raw {
        public String host;
        public String signingKey;
        public String stateDir;
        public String configDiskTool;
        public int domainMemoryMib = 256;
        public int tcgCodeCacheMib = 64;
        public String payloadBridge = "rsmr-pay0";
        public int payloadPrefixLength = 24;
        public int dataDiskMib = 64;
        public List<String> replicaArgs = List.of();
        public List<String> jvmOptions = List.of();
        public int metricsPort;
        public String recoveredEvent = "recovered";
    }
}
