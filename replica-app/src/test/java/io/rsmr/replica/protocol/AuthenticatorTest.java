package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Authenticators;
import io.rsmr.replica.protocol.message.Batch;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.PrePrepare;
import io.rsmr.replica.protocol.message.Prepare;
import io.rsmr.replica.protocol.message.Request;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requests sent to the leader only, with PBFT authenticators: who accepts what. */
class AuthenticatorTest {
    private static final ProtocolConfig CONFIG = ProtocolConfig.defaults(4, 0, 1);
    /** Client 7's key id (its key owns ids 0..255). */
    private static final long KEY_ID = 0;
    private static final int LEADER = 0;

    private static byte[][] keys() {
        byte[][] keys = new byte[CONFIG.n()][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = new byte[Authenticators.KEY_BYTES];
            keys[i][0] = (byte) (i + 1);
        }
        return keys;
    }

    private static ClientCore client(byte[][] keys) {
        Authenticators.Key[] macs = new Authenticators.Key[keys.length];
        for (int i = 0; i < keys.length; i++) {
            macs[i] = keys[i] == null ? null : new Authenticators.Key(keys[i]);
        }
        return new ClientCore(CONFIG, 7, 1, 3, macs);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Request garbled(Request r, int... replicas) {
        byte[] authenticator = r.authenticator().clone();
        for (int i : replicas) {
            authenticator[i * Authenticators.ENTRY_BYTES] ^= 1;
        }
        return new Request(r.clientId(), r.requestSeq(), r.operation(), authenticator);
    }

    private static void assertExecutedEverywhere(TestCluster c, int count) {
        for (int i = 0; i < CONFIG.n(); i++) {
            assertEquals(count, c.services[i].applied.size(), "replica " + i);
        }
    }

    @Test
    void aRequestSentToTheLeaderOnlyRunsEverywhereAndTheClientLearnsTheView() {
        TestCluster c = new TestCluster(CONFIG);
        byte[][] keys = keys();
        c.openSessions(KEY_ID, keys);
        ClientCore client = client(keys);
        Request r = client.submit(utf8("put x 1"));
        assertEquals(LEADER, client.target());
        c.clientSendsTo(client.target(), r);
        c.deliverAll();
        assertExecutedEverywhere(c, 1);
        assertNull(client.onReply(1, c.repliesByReplica.get(1).get(0)));
        assertArrayEquals(utf8("ok:put x 1"), client.onReply(2, c.repliesByReplica.get(2).get(0)));
    }

    @Test
    void aLeaderCannotMakeABackupPrepareARequestThatNoClientSent() {
        TestCluster c = new TestCluster(CONFIG);
        c.openSessions(KEY_ID, keys());
        byte[] madeUp = new byte[Authenticators.bytesFor(CONFIG.n())];
        madeUp[Authenticators.ENTRY_BYTES] = 42;
        Request forged = new Request(7, 1, utf8("put x 666"), madeUp);
        PrePrepare pp = new PrePrepare(0, 1, Batch.of(List.of(forged)));
        for (int backup = 1; backup < CONFIG.n(); backup++) {
            c.handle(backup, c.replicas[backup].step(new Input.FromReplica(LEADER, pp)));
        }
        assertTrue(c.queue.stream().noneMatch(e -> e.message() instanceof Prepare), "no backup may prepare it");
        c.tick(CONFIG.requestTimeoutTicks() / 2);
        assertExecutedEverywhere(c, 0);
    }

    @Test
    void aBackupWhoseEntryIsBadFollowsOnceTheLeaderAndKPrimeBackupsVouchForTheProposal() {
        TestCluster c = new TestCluster(CONFIG);
        byte[][] keys = keys();
        c.openSessions(KEY_ID, keys);
        ClientCore client = client(keys);
        boolean[] backup3Prepared = {false};
        c.dropMessage = e -> {
            backup3Prepared[0] |= e.from() == 3 && e.message() instanceof Prepare;
            return false;
        };
        c.clientSendsTo(LEADER, garbled(client.submit(utf8("put x 1")), 3));
        c.deliverAll();
        assertExecutedEverywhere(c, 1);
        assertTrue(backup3Prepared[0], "replica 3 prepared on the leader's and k' backups' word");
    }

    @Test
    void aRequestThatNoBackupCanCheckWaitsUntilTheClientResendsItToEveryReplica() {
        TestCluster c = new TestCluster(CONFIG);
        byte[][] keys = keys();
        keys[2] = null;
        c.openSessions(KEY_ID, keys);
        ClientCore client = client(keys);
        Request r = client.submit(utf8("put x 1"));
        assertArrayEquals(new byte[Authenticators.ENTRY_BYTES],
                java.util.Arrays.copyOfRange(r.authenticator(), 2 * Authenticators.ENTRY_BYTES, 3 * Authenticators.ENTRY_BYTES),
                "no session with replica 2: its entry stays zero");
        c.clientSendsTo(LEADER, garbled(r, 1, 3));
        c.deliverAll();
        assertExecutedEverywhere(c, 0);
        assertNull(client.onTick());
        assertNull(client.onTick());
        Request again = (Request) client.onTick();
        assertTrue(again.sameAs(r));
        c.clientSends(again);
        c.deliverAll();
        assertExecutedEverywhere(c, 1);
        assertFalse(c.replicas[1].inViewChange());
    }

    @Test
    void aClientWithKeysForFewerThanQMinusOneBackupsSendsToEveryReplica() {
        byte[][] keys = keys();
        keys[1] = null;
        keys[2] = null;
        ClientCore few = client(keys);
        assertEquals(0, few.submit(utf8("put x 1")).authenticator().length);
        assertEquals(ClientCore.ALL, few.target(), "one backup could check it: not enough for a quorum");
        keys[1] = keys()[1];
        ClientCore enough = client(keys);
        enough.submit(utf8("put x 1"));
        assertEquals(LEADER, enough.target());
    }

    @Test
    void aLargeOperationGoesToEveryReplicaAndTheLeaderProposesOnlyItsReference() {
        TestCluster c = new TestCluster(CONFIG);
        byte[][] keys = keys();
        c.openSessions(KEY_ID, keys);
        ClientCore client = client(keys);
        Request large = client.submit(new byte[CONFIG.leaderOnlyRequestBytesMax() + 1]);
        assertEquals(ClientCore.ALL, client.target());
        assertEquals(0, large.authenticator().length, "no authenticator: every replica gets it from the client");
        c.clientSendsTo(LEADER, large);
        PrePrepare proposal = (PrePrepare) c.queue.stream().filter(e -> e.message() instanceof PrePrepare)
                .findFirst().orElseThrow().message();
        assertNull(proposal.batch().operation(0), "the leader does not relay what every replica gets anyway");
        for (int backup = 1; backup < CONFIG.n(); backup++) {
            c.clientSendsTo(backup, large);
        }
        c.deliverAll();
        assertExecutedEverywhere(c, 1);
    }

    @Test
    void aBackupThatLacksAnOperationDoesNotVoteOnVouchersButFetchesTheDecidedBatch() {
        TestCluster c = new TestCluster(CONFIG);
        ClientCore client = client(keys());
        Request large = client.submit(new byte[CONFIG.leaderOnlyRequestBytesMax() + 1]);
        boolean[] backup3Prepared = {false};
        c.dropMessage = e -> {
            backup3Prepared[0] |= e.from() == 3 && e.message() instanceof Prepare;
            return false;
        };
        for (int replica = 0; replica < 3; replica++) {
            c.clientSendsTo(replica, large);
        }
        c.deliverAll();
        assertFalse(backup3Prepared[0], "without the operation, replica 3 waits instead of voting on vouchers");
        assertExecutedEverywhere(c, 1);
        c.clientSendsTo(3, large);
        assertExecutedEverywhere(c, 1);
    }

    @Test
    void entriesAreBoundToClientSeqAndOperation() {
        Authenticators.Key key = new Authenticators.Key(keys()[1]);
        Authenticators.Key[] perReplica = {null, key};
        byte[] digest = Digests.sha256(utf8("op"));
        byte[] authenticator = Authenticators.make(perReplica, 7, 1, digest);
        assertTrue(Authenticators.verify(key, authenticator, 1, 7, 1, digest));
        assertFalse(Authenticators.verify(key, authenticator, 0, 7, 1, digest), "a missing entry is zero");
        assertFalse(Authenticators.verify(key, authenticator, 1, 8, 1, digest));
        assertFalse(Authenticators.verify(key, authenticator, 1, 7, 2, digest));
        assertFalse(Authenticators.verify(key, authenticator, 1, 7, 1, Digests.sha256(utf8("other"))));
        assertFalse(Authenticators.verify(new Authenticators.Key(keys()[2]), authenticator, 1, 7, 1, digest));
        assertFalse(Authenticators.verify(null, authenticator, 1, 7, 1, digest), "no session: nothing verifies");
    }
}
