package io.rsmr.common.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Checks what binding cannot: required fields, ranges, uniqueness and relations between fields.
 * Every check runs, so the operator sees every error of a file at once. Feasibility of the
 * schedule (T_exec ≤ T_d, exhaustion-safety, n ≥ 3k'+2k+1) is not checked here: a valid config
 * may describe an infeasible plan, which {@code rsmr plan} reports with numbers.
 */
final class ClusterConfigValidator {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern DOMAIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private final Predicate<String> present;
    private final List<CollectingProblemHandler.Problem> problems = new ArrayList<>();

    /** @param present whether the file has a value at a JSON pointer (missing ints bind to 0, not null) */
    ClusterConfigValidator(Predicate<String> present) {
        this.present = present;
    }

    List<CollectingProblemHandler.Problem> validate(ClusterConfig c) {
        if (c == null) {
            error("", "the file holds no settings; see examples/cluster-local.yaml");
            return problems;
        }
        checkName(c.cluster());
        checkFaults(c.faults());
        checkTiming(c.timing());
        checkReplicas(c.replicas());
        checkFailSafe(c.failSafe());
        checkImages(c.images());
        checkKeys(c.keys(), c.replicas());
        checkReplication(c.replication());
        return problems;
    }

    private void checkName(String cluster) {
        if (required("/cluster", cluster) && !NAME.matcher(cluster).matches()) {
            error("/cluster", "'" + cluster + "' must be 1-63 lower-case letters, digits and '-', starting with a letter or digit");
        }
    }

    private void checkFaults(Faults f) {
        if (!required("/faults", f)) {
            return;
        }
        requiredInt("/faults/k");
        requiredInt("/faults/kPrime");
        if (f.k() < 0) {
            error("/faults/k", f.k() + " must be 0 or more");
        }
        if (f.kPrime() < 0) {
            error("/faults/kPrime", f.kPrime() + " must be 0 or more");
        }
    }

    private void checkTiming(Timing t) {
        if (!required("/timing", t)) {
            return;
        }
        required("/timing/epoch", t.epoch());
        boolean tp = positive("/timing/tp", t.tp());
        boolean td = positive("/timing/td", t.td());
        positive("/timing/shutdown", t.shutdown());
        positive("/timing/checkCode", t.checkCode());
        positive("/timing/restoreCode", t.restoreCode());
        positive("/timing/boot", t.boot());
        positive("/timing/transfer", t.transfer());
        if (tp && td && t.tp().compareTo(t.td()) <= 0) {
            error("/timing/tp", Durations.format(t.tp()) + " must be greater than timing.td ("
                    + Durations.format(t.td()) + "): Definition 2.4 needs T_d < T_p");
        }
        checkExhaust(t);
    }

    private void checkExhaust(Timing t) {
        if (!present.test("/timing/exhaust")) {
            error("/timing/exhaust", "missing: give the minimum time to compromise x replicas, e.g. {1: 6h, 2: 12h}");
            return;
        }
        if (t.exhaust().isEmpty()) {
            error("/timing/exhaust", "must list at least one entry x: duration");
            return;
        }
        Duration previous = Duration.ZERO;
        int previousX = 0;
        for (Map.Entry<Integer, Duration> e : t.exhaust().entrySet()) {
            String pointer = "/timing/exhaust/" + e.getKey();
            if (e.getKey() < 1) {
                error(pointer, "x = " + e.getKey() + " must be 1 or more (a number of replicas)");
            } else if (positive(pointer, e.getValue()) && e.getValue().compareTo(previous) < 0) {
                error(pointer, Durations.format(e.getValue()) + " is less than exhaust[" + previousX + "] ("
                        + Durations.format(previous) + "): compromising more replicas cannot take less time");
            }
            if (e.getValue() != null) {
                previous = e.getValue();
                previousX = e.getKey();
            }
        }
    }

    private void checkReplicas(List<ReplicaSpec> replicas) {
        if (!present.test("/replicas") || replicas.isEmpty()) {
            error("/replicas", "missing: list at least one replica");
            return;
        }
        Map<Integer, Integer> ids = new HashMap<>();
        Map<HostPort, Integer> payloads = new HashMap<>();
        Map<String, ReplicaSpec> firstOnHost = new HashMap<>();
        Map<HostPort, String> managementHosts = new HashMap<>();
        Set<String> domains = new HashSet<>();
        for (int i = 0; i < replicas.size(); i++) {
            String at = "/replicas/" + i;
            ReplicaSpec r = replicas.get(i);
            if (r == null) {
                error(at, "must be a mapping with id, host, managementAddress, payloadAddress, libvirtUri, domain, domainType");
                continue;
            }
            checkReplica(at, r, replicas.size());
            unique(at + "/id", r.id(), i, ids, "replica id " + r.id());
            if (r.payloadAddress() != null) {
                unique(at + "/payloadAddress", r.payloadAddress(), i, payloads, "payload address " + r.payloadAddress());
            }
            checkHostConsistency(at, r, firstOnHost, managementHosts);
            if (r.host() != null && r.domain() != null && !domains.add(r.host() + "/" + r.domain())) {
                error(at + "/domain", "domain '" + r.domain() + "' is used twice on host " + r.host());
            }
        }
    }

    private void checkReplica(String at, ReplicaSpec r, int n) {
        if (requiredInt(at + "/id") && (r.id() < 1 || r.id() > n)) {
            error(at + "/id", r.id() + " must be in 1.." + n + " (ids number the " + n + " replicas)");
        }
        if (required(at + "/host", r.host()) && !NAME.matcher(r.host()).matches()) {
            error(at + "/host", "'" + r.host() + "' must be lower-case letters, digits and '-'");
        }
        required(at + "/managementAddress", r.managementAddress());
        required(at + "/payloadAddress", r.payloadAddress());
        if (required(at + "/libvirtUri", r.libvirtUri())) {
            checkLibvirtUri(at + "/libvirtUri", r.libvirtUri());
        }
        if (required(at + "/domain", r.domain()) && !DOMAIN.matcher(r.domain()).matches()) {
            error(at + "/domain", "'" + r.domain() + "' is not a usable libvirt domain name");
        }
        required(at + "/domainType", r.domainType());
    }

    private void checkLibvirtUri(String pointer, String uri) {
        try {
            if (URI.create(uri).getScheme() == null) {
                error(pointer, "'" + uri + "' has no scheme; write e.g. qemu:///system");
            }
        } catch (IllegalArgumentException e) {
            error(pointer, "'" + uri + "' is not a URI: " + e.getMessage());
        }
    }

    /** One agent per host: replicas on one host share its management address and libvirt. */
    private void checkHostConsistency(String at, ReplicaSpec r, Map<String, ReplicaSpec> firstOnHost,
                                      Map<HostPort, String> managementHosts) {
        if (r.host() == null || r.managementAddress() == null) {
            return;
        }
        ReplicaSpec first = firstOnHost.putIfAbsent(r.host(), r);
        if (first != null && !first.managementAddress().equals(r.managementAddress())) {
            error(at + "/managementAddress", r.managementAddress() + " differs from " + first.managementAddress()
                    + " of replica " + first.id() + " on the same host " + r.host() + " (one agent per host)");
        }
        if (first != null && first.libvirtUri() != null && !first.libvirtUri().equals(r.libvirtUri())) {
            error(at + "/libvirtUri", "'" + r.libvirtUri() + "' differs from '" + first.libvirtUri()
                    + "' of replica " + first.id() + " on the same host " + r.host());
        }
        String other = managementHosts.putIfAbsent(r.managementAddress(), r.host());
        if (other != null && !other.equals(r.host())) {
            error(at + "/managementAddress", r.managementAddress() + " is already the agent address of host " + other);
        }
    }

    private void checkFailSafe(FailSafe f) {
        if (!required("/failSafe", f)) {
            return;
        }
        if (f.actions().isEmpty()) {
            error("/failSafe/actions", "list at least one of alert, shutdown, halt-rounds");
        }
        Set<FailSafeAction> seen = new HashSet<>();
        for (int i = 0; i < f.actions().size(); i++) {
            FailSafeAction a = f.actions().get(i);
            if (a != null && !seen.add(a)) {
                error("/failSafe/actions/" + i, a.configName() + " is listed twice");
            }
        }
        for (int i = 0; i < f.alertWebhooks().size(); i++) {
            URI u = f.alertWebhooks().get(i);
            if (u != null && !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
                error("/failSafe/alertWebhooks/" + i, "'" + u + "' must be an http:// or https:// URL");
            }
        }
    }

    private void checkImages(Images i) {
        if (!required("/images", i)) {
            return;
        }
        required("/images/kernel", i.kernel());
        required("/images/initramfs", i.initramfs());
        required("/images/root", i.root());
        required("/images/manifest", i.manifest());
        required("/images/signature", i.signature());
        required("/images/readOnlyCopy", i.readOnlyCopy());
    }

    private void checkKeys(Keys k, List<ReplicaSpec> replicas) {
        if (!required("/keys", k)) {
            return;
        }
        required("/keys/operatorPublicKey", k.operatorPublicKey());
        Set<String> hosts = new HashSet<>();
        for (ReplicaSpec r : replicas) {
            if (r != null && r.host() != null && hosts.add(r.host()) && !k.agentPublicKeys().containsKey(r.host())) {
                error("/keys/agentPublicKeys", "no key for host " + r.host() + " (its agent certifies replica keys)");
            }
        }
        for (String host : k.agentPublicKeys().keySet()) {
            if (!hosts.contains(host)) {
                error("/keys/agentPublicKeys/" + host, "host " + host + " runs no replica in this cluster");
            }
        }
    }

    private <T> void unique(String pointer, T value, int index, Map<T, Integer> seen, String what) {
        Integer first = seen.putIfAbsent(value, index);
        if (first != null) {
            error(pointer, what + " is already used by replicas[" + first + "]");
        }
    }

    private boolean positive(String pointer, Duration d) {
        if (!required(pointer, d)) {
            return false;
        }
        if (d.isZero() || d.isNegative()) {
            error(pointer, Durations.format(d) + " must be positive");
            return false;
        }
        return true;
    }

    /** True when the file has the field and it bound to a value (a bad value was reported already). */
    private void checkReplication(Replication r) {
        Integer rate = r.stateTransferMiBPerSecond();
        if (rate != null && (rate < 1 || rate > Replication.STATE_TRANSFER_MIB_PER_SECOND_MAX)) {
            error("/replication/stateTransferMiBPerSecond", rate + " must be in 1.."
                    + Replication.STATE_TRANSFER_MIB_PER_SECOND_MAX);
        }
    }

    private boolean required(String pointer, Object value) {
        if (!present.test(pointer)) {
            error(pointer, "missing");
            return false;
        }
        return value != null;
    }

    private boolean requiredInt(String pointer) {
        return required(pointer, Boolean.TRUE);
    }

    private void error(String pointer, String message) {
        problems.add(new CollectingProblemHandler.Problem(pointer, message));
    }
}
