package io.rsmr.agent;

import io.rsmr.agent.control.ControlServer;
import io.rsmr.agent.failsafe.FailSafe;
import io.rsmr.agent.failsafe.FailSafeCause;
import io.rsmr.agent.failsafe.FailSafeState;
import io.rsmr.agent.failsafe.WebhookAlerter;
import io.rsmr.agent.journal.Journal;
import io.rsmr.agent.journal.JournalVerifier;
import io.rsmr.agent.libvirt.Hypervisor;
import io.rsmr.agent.libvirt.LibvirtHypervisor;
import io.rsmr.agent.metrics.Metrics;
import io.rsmr.agent.metrics.MetricsServer;
import io.rsmr.agent.rejuvenation.GoldenStore;
import io.rsmr.agent.rejuvenation.HostSteps;
import io.rsmr.agent.rejuvenation.RejuvenationReport;
import io.rsmr.agent.rejuvenation.Rejuvenator;
import io.rsmr.agent.rejuvenation.StepFailure;
import io.rsmr.agent.rounds.GroupRecord;
import io.rsmr.agent.rounds.RoundWire;
import io.rsmr.agent.rounds.RoundsAction;
import io.rsmr.agent.rounds.RoundsConfig;
import io.rsmr.agent.rounds.RoundsCore;
import io.rsmr.agent.rounds.RoundsRunner;
import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.common.config.ConfigException;
import io.rsmr.common.config.ReplicaSpec;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.KeyFileException;
import io.rsmr.common.crypto.KeyFiles;
import io.rsmr.common.image.ImageManifest;
import io.rsmr.common.image.ImageVerifier.FileCheck;
import io.rsmr.common.plan.Condition;
import io.rsmr.common.plan.Plan;
import io.rsmr.common.plan.Planner;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The local SMW of one host: checks at start that it may run (feasible plan, its own key, a golden
 * store that verifies), finishes a rejuvenation that a crash interrupted, and rejuvenates its own
 * replica VMs, one at a time, never touching another host's.
 */
public final class Agent implements AutoCloseable {
    private final ClusterConfig config;
    private final AgentSettings settings;
    private final List<ReplicaSpec> own;
    private final Hypervisor hypervisor;
    private final Events events;
    private final Metrics metrics = new Metrics();
    private final FailSafe failSafe;
    private final Rejuvenator rejuvenator;
    private final HostSteps.Host host;
    private final Clock clock;
    private final FileChannel lockChannel;
    private final WebhookAlerter alerter;
    private final Ed25519Keys.SigningKey key;
    /** How many of a broken journal's problems go into the event (the rest: verify-journal). */
    static final int JOURNAL_PROBLEMS_REPORTED_MAX = 5;
    private MetricsServer metricsServer;
    /** Rejuvenations started by the rounds: one at a time on this host. */
    private final ExecutorService roundsWork = Executors.newSingleThreadExecutor();
    /** Calls into the rounds runner from its own callbacks (which must not wait on its thread). */
    private final ExecutorService roundsControl = Executors.newSingleThreadExecutor();
    private volatile RoundsRunner rounds;
    private ControlServer control;

    private Agent(ClusterConfig config, Path configFile, List<Path> configKeyFiles, AgentSettings settings,
                  Ed25519Keys.SigningKey key, byte[] operatorKey, JsonLog log, Clock clock, FileChannel lockChannel) {
        this.lockChannel = lockChannel;
        this.key = key;
        this.config = config;
        this.settings = settings;
        this.clock = clock;
        this.own = config.replicas().stream().filter(r -> r.host().equals(settings.host())).toList();
        this.hypervisor = new LibvirtHypervisor(own.get(0).libvirtUri());
        this.events = new Events(new Journal(settings.stateDir().resolve("journal.jsonl"), key, clock), log);
        this.alerter = new WebhookAlerter(config.failSafe().alertWebhooks(), log);
        this.failSafe = new FailSafe(config.failSafe().actions(), alerter,
                hypervisor, own.stream().map(ReplicaSpec::domain).toList(), new FailSafeState(settings.stateDir()), events,
                metrics::failSafe);
        this.rejuvenator = new Rejuvenator(config.timing(), System::nanoTime, clock, failSafe, events, metrics);
        this.host = new HostSteps.Host(config.cluster(), configFile, configKeyFiles, settings, key, hypervisor,
                new GoldenStore(config.images(), operatorKey), HostFacts.tscKhz(), events);
    }

    /** Loads and checks everything; a {@link StartupException} says what is wrong and nothing was started. */
    public static Agent start(Path configFile, Path settingsFile, PrintStream logOut) throws StartupException {
        ClusterConfig config;
        AgentSettings settings;
        try {
            config = new ClusterConfigLoader().load(configFile);
            settings = AgentSettings.load(settingsFile);
        } catch (ConfigException e) {
            throw new StartupException(e.getMessage());
        } catch (IOException e) {
            throw new StartupException(e.getMessage());
        }
        requireFeasible(config);
        requireOwnReplicas(config, settings);
        Ed25519Keys.SigningKey key = ownKey(config, settings);
        byte[] operatorKey = readPublicKey(config.keys().operatorPublicKey(), "keys.operatorPublicKey");
        Agent agent = new Agent(config, configFile, configKeyFiles(config, configFile), settings, key, operatorKey,
                new JsonLog(logOut, Clock.systemUTC()), Clock.systemUTC(), lockStateDir(settings.stateDir()));
        try {
            agent.verifyStore();
        } catch (StartupException e) {
            agent.close();
            throw e;
        }
        agent.checkJournal(key.publicKey());
        agent.events.record("agent-started", Map.of("host", settings.host(),
                "replicas", agent.own.stream().map(ReplicaSpec::id).toList(), "localExecMs", config.timing().localExec().toMillis()));
        return agent;
    }

    /**
     * One agent process per host: two would each take a replica down and could hold more than this
     * host's share of replicas down at once. The lock dies with the process (a crash frees it).
     */
    private static FileChannel lockStateDir(Path stateDir) throws StartupException {
        Path lockFile = stateDir.resolve("agent.lock");
        try {
            Files.createDirectories(stateDir);
            FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (tryLock(ch)) {
                return ch;
            }
            ch.close();
            throw new StartupException("another agent process runs on " + stateDir + " (it holds " + lockFile + ")");
        } catch (IOException e) {
            throw new StartupException("cannot lock " + lockFile + ": " + e.getMessage());
        }
    }

    /** False when another holder has it, in this process (overlap) or another. */
    private static boolean tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock() != null;
        } catch (OverlappingFileLockException e) {
            return false;
        }
    }

    /**
     * The public keys the cluster config names. The replica in the guest reads its copy of the
     * config from the config disk, where the keys go at the same relative paths: so they must lie
     * in the config file's folder (or below it).
     */
    static List<Path> configKeyFiles(ClusterConfig config, Path configFile) throws StartupException {
        Path base = configFile.toAbsolutePath().getParent();
        Map<String, Path> named = new LinkedHashMap<>();
        named.put("keys.operatorPublicKey", config.keys().operatorPublicKey());
        config.keys().agentPublicKeys().forEach((h, p) -> named.put("keys.agentPublicKeys." + h, p));
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, Path> e : named.entrySet()) {
            Path p = e.getValue().toAbsolutePath().normalize();
            if (!p.startsWith(base)) {
                throw new StartupException(e.getKey() + " (" + e.getValue() + ") is outside the cluster config's folder "
                        + base + ": the replica reads the config from its config disk, where only that folder's files go");
            }
            files.add(p);
        }
        return files;
    }

    private static void requireFeasible(ClusterConfig config) throws StartupException {
        Plan plan = Planner.plan(config);
        if (!plan.feasible()) {
            List<String> failed = plan.conditions().stream().filter(c -> !c.holds())
                    .map(c -> c.formula() + ": " + c.detail()).toList();
            throw new StartupException("the cluster config's plan is infeasible (see rsmr plan): " + String.join("; ", failed)
                    + (plan.suggestions().isEmpty() ? "" : "; suggestions: " + String.join("; ", plan.suggestions())));
        }
        assert plan.conditions().stream().allMatch(Condition::holds);
    }

    private static void requireOwnReplicas(ClusterConfig config, AgentSettings settings) throws StartupException {
        List<ReplicaSpec> own = config.replicas().stream().filter(r -> r.host().equals(settings.host())).toList();
        if (own.isEmpty()) {
            throw new StartupException("host '" + settings.host() + "' runs no replica in the cluster config (hosts: "
                    + config.replicas().stream().map(ReplicaSpec::host).distinct().toList() + ")");
        }
        if (own.stream().map(ReplicaSpec::libvirtUri).distinct().count() > 1) {
            throw new StartupException("the replicas of host '" + settings.host() + "' name different libvirt URIs");
        }
    }

    /** The agent's key must be the one the cluster config trusts for this host. */
    private static Ed25519Keys.SigningKey ownKey(ClusterConfig config, AgentSettings settings) throws StartupException {
        Path trusted = config.keys().agentPublicKeys().get(settings.host());
        if (trusted == null) {
            throw new StartupException("keys.agentPublicKeys has no key for host '" + settings.host() + "'");
        }
        Ed25519Keys.SigningKey key;
        try {
            key = KeyFiles.readSigningKey(settings.signingKey());
        } catch (KeyFileException e) {
            throw new StartupException(e.getMessage());
        }
        if (!Arrays.equals(key.publicKey(), readPublicKey(trusted, "keys.agentPublicKeys." + settings.host()))) {
            throw new StartupException("the signing key " + settings.signingKey() + " is not the key the cluster config "
                    + "trusts for host '" + settings.host() + "' (" + trusted + ")");
        }
        return key;
    }

    private static byte[] readPublicKey(Path file, String field) throws StartupException {
        try {
            return KeyFiles.readPublicKey(file);
        } catch (KeyFileException e) {
            throw new StartupException(field + ": " + e.getMessage());
        }
    }

    /**
     * A journal that does not verify is not a reason to stop rejuvenating (that would help an
     * attacker); it is recorded and alerted, for an operator to look at with verify-journal.
     */
    private void checkJournal(byte[] publicKey) {
        Path file = events.journal().file();
        try {
            if (!Files.exists(file)) {
                return;
            }
            JournalVerifier.Result r = JournalVerifier.verify(file, publicKey);
            if (!r.ok()) {
                Map<String, Object> event = Map.of("journal", file.toString(), "problems", r.problems().size(),
                        "first", r.problems().subList(0, Math.min(JOURNAL_PROBLEMS_REPORTED_MAX, r.problems().size())));
                events.record("journal-verification-failed", event);
                alerter.alert(new LinkedHashMap<>(event));
            }
        } catch (IOException e) {
            events.log().error("journal-unreadable", Map.of("journal", file.toString(), "reason", e.toString()));
        }
    }

    /** The golden store must verify now; a corrupt file with a good read-only copy is restored. */
    private void verifyStore() throws StartupException {
        GoldenStore golden = host.golden();
        try {
            ImageManifest m = golden.manifest();
            List<Path> all = new ArrayList<>(golden.osCode());
            all.addAll(golden.smCode());
            for (FileCheck c : golden.check(m, all)) {
                events.record("golden-file-corrupt", Map.of("file", c.path().toString(), "status", c.status().name(),
                        "detail", c.detail()));
                golden.restore(m, c.path());
                events.record("golden-file-restored", Map.of("file", c.path().toString()));
            }
        } catch (StepFailure e) {
            throw new StartupException("the golden store cannot be verified: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while verifying the golden store");
        }
    }

    public List<ReplicaSpec> ownReplicas() {
        return own;
    }

    public Events events() {
        return events;
    }

    public Metrics metrics() {
        return metrics;
    }

    /** Serves the metrics on this host's management address (the port from the settings). */
    public InetSocketAddress serveMetrics() throws IOException {
        InetSocketAddress at = new InetSocketAddress(own.get(0).managementAddress().host(), settings.metricsPort());
        metricsServer = new MetricsServer(at, metrics);
        return metricsServer.address();
    }

    /** Runs Algorithm 1 for one of this host's replicas, unless the fail-safe holds them off. */
    public Optional<RejuvenationReport> rejuvenate(int replicaId) throws InterruptedException {
        ReplicaSpec r = own.stream().filter(s -> s.id() == replicaId).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("replica " + replicaId + " is not on host " + settings.host()
                        + " (its replicas: " + own.stream().map(ReplicaSpec::id).toList() + ")"));
        if (failSafe.state().shutdown()) {
            events.record("rejuvenation-refused", Map.of("replica", replicaId,
                    "reason", "fail-safe shutdown in force until an operator clears it: " + shutdownReason()));
            return Optional.empty();
        }
        long epoch = nextEpoch(replicaId);
        return Optional.of(rejuvenator.run(replicaId, epoch, new HostSteps(host, r, epoch)));
    }

    private String shutdownReason() {
        try {
            return failSafe.state().shutdownReason();
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /**
     * Finds in the journal each own replica whose last rejuvenation started but never finished (the
     * agent died), and does it again from the start, in a new epoch.
     */
    public Map<Integer, RejuvenationReport> finishInterrupted() throws InterruptedException {
        Map<Integer, RejuvenationReport> out = new LinkedHashMap<>();
        for (Map.Entry<Integer, Long> e : interrupted().entrySet()) {
            events.record("rejuvenation-interrupted", Map.of("replica", e.getKey(), "epoch", e.getValue(),
                    "action", "redo from the start"));
            rejuvenate(e.getKey()).ifPresent(r -> out.put(e.getKey(), r));
        }
        return out;
    }

    /**
     * Operator: lifts the fail-safe state (replica VMs held off, rounds halted) and journals why.
     * Needs only the settings and the key, so it works even when the agent would refuse to start.
     */
    public static boolean clearFailSafe(Path settingsFile, String reason, PrintStream logOut)
            throws IOException, KeyFileException {
        AgentSettings settings = AgentSettings.load(settingsFile);
        FailSafeState state = new FailSafeState(settings.stateDir());
        List<String> was = new ArrayList<>();
        if (state.shutdown()) {
            was.add("shutdown: " + state.shutdownReason());
        }
        if (state.roundsHalted()) {
            was.add("halt-rounds");
        }
        Events ev = new Events(new Journal(settings.stateDir().resolve("journal.jsonl"),
                KeyFiles.readSigningKey(settings.signingKey()), Clock.systemUTC()), new JsonLog(logOut, Clock.systemUTC()));
        ev.record("failsafe-cleared", Map.of("was", was, "reason", reason));
        return state.clear();
    }

    /** Replica -> epoch of its started-but-unfinished rejuvenation. */
    Map<Integer, Long> interrupted() {
        Map<Integer, Long> open = new LinkedHashMap<>();
        for (Map<String, Object> b : journalBodies()) {
            if (!(b.get("replica") instanceof Number n)) {
                continue;
            }
            int replica = n.intValue();
            if ("rejuvenation-started".equals(b.get("type"))) {
                open.put(replica, ((Number) b.get("epoch")).longValue());
            } else if ("rejuvenation-finished".equals(b.get("type"))) {
                open.remove(replica);
            }
        }
        open.keySet().retainAll(own.stream().map(ReplicaSpec::id).toList());
        return open;
    }

    /** Epochs only grow: one more than any epoch this agent ever started for the replica. */
    long nextEpoch(int replicaId) {
        Map<Integer, Long> max = new HashMap<>();
        for (Map<String, Object> b : journalBodies()) {
            if ("rejuvenation-started".equals(b.get("type")) && b.get("replica") instanceof Number n) {
                max.merge(n.intValue(), ((Number) b.get("epoch")).longValue(), Math::max);
            }
        }
        return max.getOrDefault(replicaId, 0L) + 1;
    }

    private List<Map<String, Object>> journalBodies() {
        try {
            return events.journal().bodies();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot read the journal " + events.journal().file() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Joins the rejuvenation rounds agreed with the other agents over the management LAN (issue 7):
     * this host's replicas are rejuvenated in their groups, one rejuvenation at a time, and the
     * rounds' deadlines fire this agent's fail-safe actions. A persisted halt-rounds pauses them.
     */
    public RoundsRunner startRounds() throws IOException, StartupException {
        Map<String, byte[]> agentKeys = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : config.keys().agentPublicKeys().entrySet()) {
            agentKeys.put(e.getKey(), readPublicKey(e.getValue(), "keys.agentPublicKeys." + e.getKey()));
        }
        Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
        for (ReplicaSpec r : config.replicas()) {
            if (!r.host().equals(settings.host())) {
                peers.putIfAbsent(r.host(), r.managementAddress().toSocketAddress());
            }
        }
        RoundsRunner runner = new RoundsRunner(RoundsConfig.from(config), settings.host(),
                new RoundWire(config.cluster(), agentKeys), key, own.get(0).managementAddress().toSocketAddress(), peers,
                this::rejuvenateInRound, new RoundsSink(), clock);
        rounds = runner.start();
        control = new ControlServer(controlSocket(settings), runner);
        events.record("rounds-joined", Map.of("managementAddress", own.get(0).managementAddress().toString(),
                "peers", peers.keySet(), "learnMs", RoundsCore.learnMillis(RoundsConfig.from(config))));
        if (failSafe.state().roundsHalted()) {
            roundsControl.execute(() -> rounds.pause("fail-safe halt-rounds in force until an operator clears it"));
        }
        return runner;
    }

    /** One StartLocal of the rounds: Algorithm 1 on this host's executor, reported back once. */
    private void rejuvenateInRound(RoundsAction.StartLocal start, RoundsRunner.Finished finished) {
        long startedAt = clock.millis();
        roundsWork.execute(() -> {
            boolean ok = false;
            try {
                ok = rejuvenate(start.replicaId()).map(RejuvenationReport::succeeded).orElse(false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                events.record("rejuvenation-error", Map.of("replica", start.replicaId(), "detail", String.valueOf(e)));
            } finally {
                finished.finished(ok, startedAt);
            }
        });
    }

    /** Where the rounds' findings go: the fail-safe, the alerter, the journal, the log. */
    private final class RoundsSink implements RoundsRunner.Sink {
        @Override
        public void failSafe(RoundsAction.FailSafe f) {
            failSafe.fire(FailSafeCause.ROUND_DEADLINE, Map.of("round", f.round(), "detail", f.reason()));
            if (failSafe.state().roundsHalted()) {
                // Not on this thread: it is the rounds' own, and pause() waits for it.
                roundsControl.execute(() -> rounds.pause("fail-safe halt-rounds"));
            }
        }

        @Override
        public void alert(String reason) {
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("type", "rounds-alert");
            event.put("host", settings.host());
            event.put("detail", reason);
            events.record("rounds-alert", Map.of("detail", reason));
            alerter.alert(event);
        }

        @Override
        public void record(GroupRecord g) {
            events.record("round-group", Map.of("round", g.round(), "group", g.group(), "replicas", g.replicas(),
                    "plannedStart", g.plannedStartMillis(), "plannedEnd", g.plannedEndMillis(),
                    "actualStart", g.actualStartMillis(), "actualEnd", g.actualEndMillis(), "ok", g.ok(),
                    "slotMarginMs", g.ok() ? g.slotMarginMillis() : "late", "deadlineMarginMs",
                    g.ok() ? g.deadlineMarginMillis() : "missed"));
        }

        @Override
        public void rejected(SocketAddress from, RoundWire.Rejection reason, String detail) {
            events.log().warn("round-message-rejected", Map.of("from", String.valueOf(from), "reason", reason.name(),
                    "detail", detail));
        }
    }

    /** Where a running agent listens for the operator's controls (root only): see {@link ControlServer}. */
    public static Path controlSocket(AgentSettings settings) {
        return settings.stateDir().resolve("control.sock");
    }

    @Override
    public void close() {
        if (control != null) {
            try {
                control.close();
            } catch (IOException e) {
                events.log().warn("control-close-failed", Map.of("detail", String.valueOf(e)));
            }
        }
        if (rounds != null) {
            try {
                rounds.close();
            } catch (IOException e) {
                events.log().warn("rounds-close-failed", Map.of("detail", String.valueOf(e)));
            }
        }
        roundsWork.shutdownNow();
        roundsControl.shutdownNow();
        if (metricsServer != null) {
            metricsServer.close();
        }
        hypervisor.close();
        host.golden().close();
        try {
            lockChannel.close(); // frees the lock
        } catch (IOException e) {
            // The lock goes with the process anyway.
        }
    }

    /** The agent cannot start; the message says why. */
    public static final class StartupException extends Exception {
        public StartupException(String message) {
            super(message);
        }
    }
}
