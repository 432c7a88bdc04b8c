package io.rsmr.vmtest;

import io.rsmr.common.config.ClusterConfigLoader;
import io.rsmr.replica.client.ClientSettings;
import io.rsmr.replica.client.KvClient;
import io.rsmr.replica.client.RsmrClient;
import io.rsmr.replica.kv.KvLimits;
import io.rsmr.replica.kv.KvResult;
import io.rsmr.replica.node.ByzantineMode;
import io.rsmr.replica.node.LocalCluster;
import io.rsmr.replica.transport.Membership;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The host side of vm-images/test.sh's cluster of replica VMs, built only on replica-app's own
 * code: {@code create} writes the keys, epoch identities and cluster config with
 * {@link LocalCluster} (test.sh then moves the payload addresses onto the guests'), and
 * {@code kv} commits operations through the real client and checks what it reads back.
 *
 * <pre>
 * VmClusterTool create DIR N K KPRIME
 * VmClusterTool kv CLUSTER_YAML COUNT
 * </pre>
 */
public final class VmClusterTool {
  private static final int CLIENT_SESSIONS = 1;
  private static final int COUNT_MAX = 10_000;

  private VmClusterTool() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 5 && args[0].equals("create")) {
      LocalCluster.create(Path.of(args[1]), new LocalCluster.Spec("vmtest", Integer.parseInt(args[2]),
          Integer.parseInt(args[3]), Integer.parseInt(args[4]), List.of(), Map.<Integer, ByzantineMode>of()));
    } else if (args.length == 3 && args[0].equals("kv")) {
      System.exit(kv(Path.of(args[1]), Integer.parseInt(args[2])));
    } else {
      System.err.println("usage: VmClusterTool create DIR N K KPRIME | kv CLUSTER_YAML COUNT");
      System.exit(2);
    }
  }

  /** Puts COUNT keys, then gets each back; 0 when every put committed and every get matched. */
  private static int kv(Path config, int count) throws Exception {
    if (count < 1 || count > COUNT_MAX) {
      throw new IllegalArgumentException("COUNT must be in 1.." + COUNT_MAX + ", got " + count);
    }
    Membership membership = Membership.of(new ClusterConfigLoader().load(config));
    try (RsmrClient client = RsmrClient.start(ClientSettings.defaults(membership, CLIENT_SESSIONS))) {
      KvClient kv = new KvClient(client, KvLimits.defaults());
      long started = System.nanoTime();
      for (int i = 0; i < count; i++) {
        KvResult result = kv.put(bytes("vm-key-" + i), bytes("value-" + i));
        if (!(result instanceof KvResult.Ok)) {
          System.err.println("put " + i + " answered " + result);
          return 1;
        }
      }
      long putMillis = (System.nanoTime() - started) / 1_000_000;
      for (int i = 0; i < count; i++) {
        KvResult result = kv.get(bytes("vm-key-" + i));
        if (!(result instanceof KvResult.Value value) || !Arrays.equals(value.value(), bytes("value-" + i))) {
          System.err.println("get " + i + " answered " + result);
          return 1;
        }
      }
      System.out.println("committed " + count + " puts in " + putMillis + " ms ("
          + (putMillis / count) + " ms each); every get returned its value");
      return 0;
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
