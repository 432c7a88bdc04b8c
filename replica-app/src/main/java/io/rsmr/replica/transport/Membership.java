package io.rsmr.replica.transport;

import io.rsmr.common.config.ClusterConfig;
import io.rsmr.common.config.ReplicaSpec;
import io.rsmr.common.crypto.KeyFileException;
import io.rsmr.common.crypto.KeyFiles;
import io.rsmr.replica.crypto.ReplicaKeyRing;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who the replicas are, where they listen and which agent vouches for each: what the transport,
 * the node and the client need from the cluster config. Replica ids are the config's (1..n);
 * the protocol core numbers replicas 0..n-1, and {@link #coreIndex}/{@link #replicaId} translate
 * (core index = position in id order).
 *
 * @param k replicas that may be silent at once
 * @param kPrime replicas that may be Byzantine at once
 * @param members in ascending id order
 */
public record Membership(String clusterName, int k, int kPrime, List<Member> members) {
    /** One replica: its id, payload address and its host agent's Ed25519 public key. */
    public record Member(int id, InetSocketAddress address, byte[] agentPublicKey) {
    }

    public Membership {
        members = members.stream().sorted(Comparator.comparingInt(Member::id)).toList();
        for (int i = 1; i < members.size(); i++) {
            if (members.get(i).id() == members.get(i - 1).id()) {
                throw new IllegalArgumentException("replica id " + members.get(i).id() + " appears twice");
            }
        }
    }

    /** Reads the agent keys the config names; errors name the key file. */
    public static Membership of(ClusterConfig config) throws KeyFileException {
        List<Member> members = new ArrayList<>();
        for (ReplicaSpec replica : config.replicas()) {
            Path agentKeyFile = config.keys().agentPublicKeys().get(replica.host());
            if (agentKeyFile == null) {
                throw new IllegalArgumentException("cluster config has no agent key for host " + replica.host());
            }
            members.add(new Member(replica.id(), replica.payloadAddress().toSocketAddress(),
                    KeyFiles.readPublicKey(agentKeyFile)));
        }
        return new Membership(config.cluster(), config.faults().k(), config.faults().kPrime(), members);
    }

    public int n() {
        return members.size();
    }

    /** The core's 0-based index of a replica id; -1 for an id not in the cluster. */
    public int coreIndex(int replicaId) {
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i).id() == replicaId) {
                return i;
            }
        }
        return -1;
    }

    /** The replica id of a core index. */
    public int replicaId(int coreIndex) {
        return members.get(coreIndex).id();
    }

    public Map<Integer, InetSocketAddress> addresses() {
        Map<Integer, InetSocketAddress> addresses = new LinkedHashMap<>();
        members.forEach(member -> addresses.put(member.id(), member.address()));
        return addresses;
    }

    /** A fresh key ring trusting these agents (one per process: it remembers epochs). */
    public ReplicaKeyRing newKeyRing() {
        Map<Integer, byte[]> agentKeys = new LinkedHashMap<>();
        members.forEach(member -> agentKeys.put(member.id(), member.agentPublicKey()));
        return new ReplicaKeyRing(clusterName, agentKeys);
    }
}
