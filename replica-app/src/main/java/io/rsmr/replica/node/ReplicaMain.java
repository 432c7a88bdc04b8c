package io.rsmr.replica.node;

import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.common.config.ConfigException;
import io.rsmr.common.crypto.EpochIdentity;
import io.rsmr.common.crypto.KeyFileException;
import io.rsmr.common.crypto.KeyFiles;
import io.rsmr.common.plan.Planner;
import io.rsmr.replica.protocol.ProtocolConfig;
import io.rsmr.replica.schedule.HandOverSchedule;
import io.rsmr.replica.storage.FsyncPolicy;
import io.rsmr.replica.transport.Membership;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The replica process:
 *
 * <pre>
 * java -Xmx128m -jar rsmr-replica.jar --config cluster.yaml --id 1 --identity replica-1.key --data-dir /data
 *      [--tick-millis 10] [--pipeline-instances-max 4] [--repliers-per-request N]
 *      [--busy-batch-requests-per-peer-min N] [--report-to PATH] [--fsync always|none]
 *      [--state-bytes-max 67108864] [--byzantine-test-mode none|silent|wrong-replies|garble|spoiled-chunks|forged-chunks]
 * </pre>
 *
 * {@code --fsync} is the {@link io.rsmr.replica.storage.FsyncPolicy}: {@code always} (the default,
 * group commit) or {@code none} (only to measure what durability costs). {@code --state-bytes-max}
 * raises the bound on one checkpoint state (every replica of a cluster must use the same, and its
 * heap must hold the service's state and the checkpoint images of it). The rate at which a replica
 * serves state transfers is the cluster config's {@code replication.stateTransferMiBPerSecond}.
 * {@code --repliers-per-request} is {@link io.rsmr.replica.protocol.ProtocolConfig#repliersPerRequest},
 * {@code --busy-batch-requests-per-peer-min} {@link io.rsmr.replica.protocol.ProtocolConfig#busyBatchRequestsPerPeerMin}.
 *
 * {@code --report-to} (default: the environment variable {@code RSMR_SMW_PORT}, if set) is where
 * the replica writes one-line JSON events for its host agent, first
 * {@code {"event":"replica-ready","replicaId":N,"epoch":E,"listen":"host:port"}} once it listens,
 * then, while it recovers, {@code {"event":"recovery-progress",...}} lines, and
 * {@code {"event":"recovered","replicaId":N,"epoch":E,"checkpointSeq":S,"stateDigest":"hex",...,"recoverMillis":T}}
 * once it votes (at once on a first start or a resume from its own log; after catching up from its
 * peers otherwise); {@link RecoveryTimer} lists every field.
 *
 * Exit codes: 0 after a normal stop (SIGTERM), 1 when running failed, 2 for bad arguments or config.
 */
public final class ReplicaMain {
    private static final Set<String> OPTIONS =
            Set.of("config", "id", "identity", "data-dir", "tick-millis", "pipeline-instances-max", "report-to",
                    "fsync", "repliers-per-request", "busy-batch-requests-per-peer-min", "state-bytes-max",
                    "byzantine-test-mode");
    private static final String USAGE = "usage: rsmr-replica --config FILE --id N --identity FILE --data-dir DIR"
            + " [--tick-millis N] [--pipeline-instances-max N] [--repliers-per-request N]"
            + " [--busy-batch-requests-per-peer-min N] [--report-to PATH]"
            + " [--fsync always|none]"
            + " [--state-bytes-max N] [--byzantine-test-mode MODE]";

    private ReplicaMain() {}

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        System.exit(run(args, System.err));
    }

    /** Runs a replica until it is stopped; returns the exit code. */
    static int run(String[] args, PrintStream err) {
        NodeSettings settings;
        Map<String, String> options;
        try {
            options = parse(args);
            settings = settings(options);
        } catch (UsageException e) {
            err.println("rsmr-replica: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        try (DataDirLock lock = DataDirLock.acquire(settings.dataDir())) {
            Optional<AgentReport> agent = reportTarget(options).map(AgentReport::new);
            ReplicaNode node = new ReplicaNode(settings, agent);
            Thread loop = Thread.currentThread();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                node.stop();
                joinQuietly(loop);
            }, "replica-shutdown"));
            err.println("rsmr-replica: replica " + settings.replicaId() + " epoch " + settings.identity().epoch()
                    + " of cluster " + settings.membership().clusterName() + " listening on "
                    + settings.membership().addresses().get(settings.replicaId()) + ", data in " + lock.dataDir());
            agent.ifPresent(report -> report.ready(settings.replicaId(), settings.identity().epoch(),
                    settings.membership().addresses().get(settings.replicaId()).toString()));
            node.run();
            return 0;
        } catch (DataDirLock.InUseException e) {
            err.println("rsmr-replica: " + e.getMessage());
            return 2;
        } catch (IOException | RuntimeException e) {
            err.println("rsmr-replica: replica " + settings.replicaId() + " failed: " + e);
            return 1;
        }
    }

    private static Optional<Path> reportTarget(Map<String, String> options) {
        String target = options.getOrDefault("report-to", System.getenv("RSMR_SMW_PORT"));
        return target == null || target.isBlank() ? Optional.empty() : Optional.of(Path.of(target));
    }

    static Map<String, String> parse(String[] args) throws UsageException {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new UsageException("--" + name + " needs a value");
            }
            if (!OPTIONS.contains(name)) {
                throw new UsageException("unknown option --" + name);
            }
            if (options.put(name, value) != null) {
                throw new UsageException("--" + name + " given twice");
            }
        }
        for (String required : new String[] {"config", "id", "identity", "data-dir"}) {
            if (!options.containsKey(required)) {
                throw new UsageException("missing --" + required);
            }
        }
        return options;
    }

    static NodeSettings settings(Map<String, String> options) throws UsageException {
        Path configFile = Path.of(options.get("config"));
        int id = integer(options, "id");
        try {
            ClusterConfig config = new ClusterConfigLoader().load(configFile);
            EpochIdentity identity = KeyFiles.readIdentity(Path.of(options.get("identity")));
            NodeSettings defaults = NodeSettings.defaults(Membership.of(config), id, identity,
                    Path.of(options.get("data-dir")));
            ProtocolConfig protocol = defaults.protocol();
            if (options.containsKey("pipeline-instances-max")) {
                protocol = protocol.withWindow(protocol.checkpointIntervalSeqs(), protocol.logWindowSeqs(),
                        integer(options, "pipeline-instances-max"));
            }
            if (options.containsKey("busy-batch-requests-per-peer-min")) {
                protocol = protocol.withBusyBatchRequestsPerPeerMin(integer(options, "busy-batch-requests-per-peer-min"));
            }
            if (options.containsKey("repliers-per-request")) {
                protocol = protocol.withRepliersPerRequest(integer(options, "repliers-per-request"));
            }
            if (options.containsKey("state-bytes-max")) {
                ProtocolConfig.Builder builder = protocol.toBuilder();
                builder.stateBytesMax = integer(options, "state-bytes-max");
                protocol = builder.build();
            }
            long tickMillis = options.containsKey("tick-millis") ? integer(options, "tick-millis") : defaults.tickMillis();
            protocol = protocol.withServeRate((long) config.replication().stateTransferMiBPerSecondOrDefault() << 20,
                    tickMillis);
            NodeSettings settings = new NodeSettings(defaults.membership(), id, identity, defaults.dataDir(),
                    protocol, defaults.transport(), defaults.kvLimits(), tickMillis,
                    defaults.statusWriteIntervalMillis(), options.containsKey("fsync")
                            ? FsyncPolicy.parse(options.get("fsync")) : defaults.fsyncPolicy(), ByzantineMode.NONE,
                    HandOverSchedule.of(Planner.plan(config), id, HandOverSchedule.LEAD_DEFAULT));
            return options.containsKey("byzantine-test-mode")
                    ? settings.withByzantineMode(ByzantineMode.parse(options.get("byzantine-test-mode")))
                    : settings;
        } catch (ConfigException e) {
            throw new UsageException("bad cluster config:\n" + e.getMessage());
        } catch (KeyFileException e) {
            throw new UsageException(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static int integer(Map<String, String> options, String name) throws UsageException {
        try {
            return Integer.parseInt(options.get(name));
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a whole number, got '" + options.get(name) + "'");
        }
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Bad arguments or config: exit code 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }
}
