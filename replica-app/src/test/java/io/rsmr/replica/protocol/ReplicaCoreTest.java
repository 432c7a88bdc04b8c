package io.rsmr.replica.protocol;

import io.rsmr.replica.protocol.message.Authenticators;
import io.rsmr.replica.protocol.message.Batch;
import io.rsmr.replica.protocol.message.Digests;
import io.rsmr.replica.protocol.message.PrePrepare;
import io.rsmr.replica.protocol.message.Commit;
import io.rsmr.replica.protocol.message.Prepare;
import io.rsmr.replica.protocol.message.ReadReply;
import io.rsmr.replica.protocol.message.ReadRequest;
import io.rsmr.replica.protocol.message.Reply;
import io.rsmr.replica.protocol.message.ReplyDigest;
import io.rsmr.replica.protocol.message.Request;
import io.rsmr.replica.protocol.message.ChunkData;
import io.rsmr.replica.protocol.message.Status;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scripted scenarios, one behaviour each, on a 4-replica (k=0, k'=1) cluster unless noted. */
class ReplicaCoreTest {
    private static final ProtocolConfig CONFIG = ProtocolConfig.defaults(4, 0, 1)
            .withWindow(2, 4, 4).withBatch(8, 1 << 16).withTimeouts(20, 20, 5);

    private static Request request(long client, long seq, String op) {
        return new Request(client, seq, op.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void byDefaultTwoKPrimePlusKPlusOneReplicasAnswerARequestAtOnce() {
        assertEquals(3, ProtocolConfig.defaults(4, 0, 1).repliersPerRequest());
        assertEquals(4, ProtocolConfig.defaults(6, 1, 1).repliersPerRequest());
        assertEquals(2, ProtocolConfig.defaults(3, 1, 0).repliersPerRequest(), "one may be silent, one answers");
        assertEquals(1, ProtocolConfig.defaults(1, 0, 0).repliersPerRequest());
    }

    @Test
    void whileAnInstanceIsInFlightTheLeaderWaitsForABatchOfTheMinimumAndProposesTheRestWhenItRuns() {
        ProtocolConfig config = CONFIG.withBusyBatchRequestsPerPeerMin(1);
        assertEquals(3, config.busyBatchRequestsMin(), "1 per peer at n = 4");
        TestCluster c = new TestCluster(config);
        c.clientSends(request(1, 1, "a"));
        assertEquals(List.of(1L), proposedSeqs(c), "nothing in flight: proposed at once");
        c.clientSends(request(2, 1, "b"));
        c.clientSends(request(3, 1, "c"));
        assertEquals(List.of(1L), proposedSeqs(c), "two requests wait while seq 1 is in flight");
        c.clientSends(request(4, 1, "d"));
        assertEquals(List.of(1L, 2L), proposedSeqs(c), "the third fills the minimum");
        c.deliverAll();
        c.clientSends(request(5, 1, "e"));
        c.clientSends(request(6, 1, "f"));
        assertEquals(List.of(3L), proposedSeqs(c), "nothing in flight again: proposed at once");
        c.clientSends(request(7, 1, "g"));
        assertEquals(List.of(3L), proposedSeqs(c));
        c.deliverAll();
        for (int i = 0; i < 4; i++) {
            assertEquals(4, c.replicas[i].lastExecutedSeq(), "seq 4 carries the waiting requests, once seq 3 ran");
            assertEquals(7, c.services[i].applied.size(), "replica " + i);
        }
    }

    /** The seqs of the pre-prepares still in the network, in order. */
    private static List<Long> proposedSeqs(TestCluster c) {
        return c.queue.stream().filter(e -> e.message() instanceof PrePrepare).map(e -> ((PrePrepare) e.message()).seq())
                .distinct().toList();
    }

    @Test
    void configRefusesTooFewReplicasForTheFaults() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProtocolConfig.defaults(5, 1, 1));
        assertTrue(e.getMessage().contains("n must be >= 3k'+2k+1 = 6"), e.getMessage());
        assertEquals(4, ProtocolConfig.defaults(6, 1, 1).quorum());
        assertEquals(2, ProtocolConfig.defaults(6, 1, 1).replyQuorum());
        assertEquals(3, ProtocolConfig.defaults(4, 0, 1).quorum());
    }

    @Test
    void normalCaseOrdersARequestOnEveryReplicaAndTheClientAcceptsKPrimePlusOneReplies() {
        TestCluster c = new TestCluster(CONFIG);
        ClientCore client = newClient(CONFIG, 7, 1, 10);
        Request r = client.submit("put x 1".getBytes(StandardCharsets.UTF_8));
        c.clientSends(r);
        c.deliverAll();
        for (int i = 0; i < 4; i++) {
            assertEquals(1, c.replicas[i].lastExecutedSeq(), "replica " + i);
            assertArrayEquals(c.replicas[0].chainHash(), c.replicas[i].chainHash());
            assertEquals(1, c.services[i].applied.size());
        }
        assertNull(client.onReply(0, c.repliesByReplica.get(0).get(0)), "one reply is not enough for k'=1");
        assertNull(client.onReply(0, c.repliesByReplica.get(0).get(0)), "the same replica twice is still one");
        byte[] result = client.onReply(1, c.repliesByReplica.get(1).get(0));
        assertArrayEquals("ok:put x 1".getBytes(StandardCharsets.UTF_8), result);
        assertFalse(client.busy());
    }

    @Test
    void clientRejectsMismatchingRepliesAndRetransmitsAfterItsTimeout() {
        ClientCore client = newClient(CONFIG, 7, 5, 3);
        Request r = client.submit(new byte[] {1});
        assertEquals(5, r.requestSeq());
        assertNull(client.onReply(0, new Reply(7, 5, 0, new byte[] {9})));
        assertNull(client.onReply(1, new Reply(7, 5, 0, new byte[] {8})));
        assertNull(client.onReply(2, new Reply(7, 4, 0, new byte[] {8})), "an old seq does not count");
        assertNull(client.onTick());
        assertNull(client.onTick());
        assertEquals(r, client.onTick());
        assertArrayEquals(new byte[] {8}, client.onReply(3, new Reply(7, 5, 0, new byte[] {8})));
    }

    /** A client without sessions yet: its requests carry all-zero authenticators. */
    private static ClientCore newClient(ProtocolConfig config, long clientId, long firstSeq, int retransmitTicks) {
        return new ClientCore(config, clientId, firstSeq, retransmitTicks, new Authenticators.Key[config.n()]);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aFastReadWaitsUntilItsReplicaExecutedEverySeqItSentACommitFor() {
        TestCluster c = new TestCluster(CONFIG);
        c.dropMessage = e -> e.to() == 3 && e.message() instanceof Commit;
        c.clientSends(request(7, 1, "put x 1"));
        c.deliverAll();
        assertEquals(0, c.replicas[3].lastExecutedSeq(), "replica 3 committed seq 1 but saw no other commit");
        c.clientReads(3, new ReadRequest(8, 1, utf8("count")));
        assertTrue(c.readsByReplica.get(3).isEmpty(), "an answer now could miss a write another client saw complete");
        c.clientReads(0, new ReadRequest(8, 1, utf8("count")));
        assertArrayEquals(utf8("count:1"), c.readsByReplica.get(0).get(0).result(), "replica 0 executed seq 1");

        c.dropMessage = e -> false;
        c.tick(3 * CONFIG.statusIntervalTicks());
        assertEquals(1, c.replicas[3].lastExecutedSeq(), "its peers re-sent their commits after its status");
        assertEquals(List.of("count:1"), c.readsByReplica.get(3).stream().map(r -> new String(r.result(),
                StandardCharsets.UTF_8)).toList(), "answered once it executed seq 1");
    }

    @Test
    void aReplicaRefusesReadsThatAreNotReadOnlyAndForgetsReadsItCannotAnswerInTime() {
        TestCluster c = new TestCluster(CONFIG);
        c.clientReads(1, new ReadRequest(8, 1, utf8("put y 2")));
        assertEquals(1, c.replicas[1].dropCount(DropReason.NOT_READ_ONLY));
        assertTrue(c.readsByReplica.get(1).isEmpty());

        c.dropMessage = e -> e.to() == 3 && e.message() instanceof Commit;
        c.clientSends(request(7, 1, "put x 1"));
        c.deliverAll();
        c.clientReads(3, new ReadRequest(8, 2, utf8("count")));
        c.tick(CONFIG.requestTimeoutTicks() + 2);
        assertTrue(c.readsByReplica.get(3).isEmpty(), "replica 3 never got the commits to execute seq 1");
        assertEquals(1, c.replicas[3].dropCount(DropReason.READ_EXPIRED), "the client has long gone the ordered way");
    }

    @Test
    void aFastReadNeedsKPlus2KPrimePlus1MatchingAnswersElseItGoesOrdered() {
        ProtocolConfig config = ProtocolConfig.defaults(6, 1, 1);
        assertEquals(4, config.readQuorum());
        ClientCore client = newClient(config, 7, 3, 5);
        ReadRequest read = client.submitRead(utf8("count"));
        assertNull(client.onReadReply(0, new ReadReply(7, read.readSeq(), utf8("count:2"))));
        assertNull(client.onReadReply(1, new ReadReply(7, read.readSeq(), utf8("count:2"))));
        assertNull(client.onReadReply(1, new ReadReply(7, read.readSeq(), utf8("count:2"))), "one answer per replica");
        assertNull(client.onReadReply(2, new ReadReply(7, read.readSeq() + 1, utf8("count:2"))), "another read's answer");
        assertNull(client.onReadReply(2, new ReadReply(7, read.readSeq(), utf8("count:2"))), "k'+1+1 are not enough");
        assertArrayEquals(utf8("count:2"), client.onReadReply(4, new ReadReply(7, read.readSeq(), utf8("count:2"))));
        assertFalse(client.busy());

        ReadRequest second = client.submitRead(utf8("count"));
        assertTrue(second.readSeq() > read.readSeq(), "reads are numbered apart: late answers never count twice");
        for (int replica = 0; replica < 3; replica++) {
            assertNull(client.onReadReply(replica, new ReadReply(7, second.readSeq(), utf8("count:" + replica))));
        }
        assertNull(client.onTick(), "3 different answers of 6: the other 3 could still make 4 agree");
        assertNull(client.onReadReply(3, new ReadReply(7, second.readSeq(), utf8("count:3"))));
        Request ordered = (Request) client.onTick();
        assertEquals(3, ordered.requestSeq(), "4 different answers of 6: 4 can no longer agree, so it goes ordered");
        assertArrayEquals(utf8("count"), ordered.operation());
        assertNull(client.onReadReply(4, new ReadReply(7, second.readSeq(), utf8("count:0"))), "the fast path is over");
        assertNull(client.onReply(0, new Reply(7, 3, 0, utf8("count:5"))));
        assertArrayEquals(utf8("count:5"), client.onReply(1, new Reply(7, 3, 0, utf8("count:5"))));
    }

    @Test
    void aFastReadWithoutEnoughAnswersGoesOrderedAfterTheRetransmitTicks() {
        ClientCore client = newClient(CONFIG, 7, 1, 2);
        ReadRequest read = client.submitRead(utf8("count"));
        assertNull(client.onReadReply(0, new ReadReply(7, read.readSeq(), utf8("count:0"))));
        assertNull(client.onTick());
        Request ordered = (Request) client.onTick();
        assertEquals(1, ordered.requestSeq());
        assertTrue(client.busy());
    }

    @Test
    void withDigestRepliesOneReplicaSendsTheResultAndTheClientNeedsItPlusKPrimeMatchingDigests() {
        ProtocolConfig config = CONFIG.withDigestReplies(true).withRepliersPerRequest(4);
        TestCluster c = new TestCluster(config);
        ClientCore client = newClient(config, 7, 1, 10);
        Request r = client.submit("put".getBytes(StandardCharsets.UTF_8));
        c.clientSends(r);
        c.deliverAll();
        int full = config.fullReplierOf(7, 1);
        for (int i = 0; i < 4; i++) {
            assertEquals(i == full ? 1 : 0, c.repliesByReplica.get(i).size(), "full replies of replica " + i);
            assertEquals(i == full ? 0 : 1, c.digestsByReplica.get(i).size(), "digest replies of replica " + i);
        }
        int a = (full + 1) % 4;
        int b = (full + 2) % 4;
        assertNull(client.onReplyDigest(a, c.digestsByReplica.get(a).get(0)));
        assertNull(client.onReplyDigest(b, c.digestsByReplica.get(b).get(0)), "k'+1 digests, no full result yet");
        assertNull(client.onTick(), "the full result may still be in flight");
        assertEquals(r, client.onTick(), "then the client asks every replica again");
        c.clientSends(r);
        assertEquals(1, c.repliesByReplica.get(a).size(), "a re-sent request gets the full cached result");
        assertArrayEquals("ok:put".getBytes(StandardCharsets.UTF_8), client.onReply(a, c.repliesByReplica.get(a).get(0)));
    }

    /** Found by the simulator: a Byzantine replica's full result must match the digest it counts for. */
    @Test
    void aReplicaThatVouchesForTheRightDigestButSendsWrongBytesIsNotBelieved() {
        ProtocolConfig config = CONFIG.withDigestReplies(true);
        ClientCore client = newClient(config, 7, 1, 10);
        client.submit(new byte[] {1});
        byte[] right = {42};
        ReplyDigest rightDigest = new ReplyDigest(7, 1, 0, Digests.sha256(right));
        assertNull(client.onReply(3, new Reply(7, 1, 0, new byte[] {66})));
        assertNull(client.onReplyDigest(3, rightDigest), "replica 3 now vouches for the right digest");
        assertNull(client.onReplyDigest(1, rightDigest), "k'+1 digests, but the only full result has other bytes");
        assertArrayEquals(right, client.onReply(2, new Reply(7, 1, 0, right)));
    }

    @Test
    void onlyTheFirstRepliersAnswerARequestAndEveryReplicaAnswersOneTheClientSentTwice() {
        ProtocolConfig config = CONFIG.withRepliersPerRequest(2);
        TestCluster c = new TestCluster(config);
        ClientCore client = newClient(config, 7, 1, 10);
        Request first = client.submit(utf8("a"));
        c.clientSends(first);
        c.deliverAll();
        // (client 7 + request 1) mod 4 = 0: replicas 0 and 1 answer
        assertEquals(List.of(1, 1, 0, 0), replyCounts(c));
        assertNull(client.onReply(0, c.repliesByReplica.get(0).get(0)));
        assertArrayEquals(utf8("ok:a"), client.onReply(1, c.repliesByReplica.get(1).get(0)));
        for (int i = 0; i < 4; i++) {
            assertEquals(1, c.replicas[i].lastExecutedSeq(), "replica " + i + " executed it without answering");
        }
        Request second = client.submit(utf8("b"));
        c.clientSends(second);
        c.clientSends(second);
        c.deliverAll();
        assertEquals(List.of(2, 2, 1, 1), replyCounts(c), "a request sent twice before it ran is answered by all");
    }

    @Test
    void aClientWhoseRepliersAreSilentReSendsAndTheOtherReplicasAnswer() {
        ProtocolConfig config = CONFIG.withRepliersPerRequest(2);
        TestCluster c = new TestCluster(config);
        c.dropLink = (from, to) -> from == 1 || to == 1;
        ClientCore client = newClient(config, 7, 1, 3);
        Request r = client.submit(utf8("a"));
        c.clientSends(r);
        c.deliverAll();
        assertEquals(List.of(1, 0, 0, 0), replyCounts(c), "replica 1, the other replier, is cut off");
        assertNull(client.onReply(0, c.repliesByReplica.get(0).get(0)));
        Request again = null;
        for (int t = 0; t < 3 && again == null; t++) {
            again = (Request) client.onTick();
        }
        assertEquals(r, again, "the client re-sends after its retransmit ticks");
        c.clientSends(again);
        c.deliverAll();
        assertEquals(List.of(2, 0, 1, 1), replyCounts(c));
        assertArrayEquals(utf8("ok:a"), client.onReply(2, c.repliesByReplica.get(2).get(0)));
        assertEquals(1, c.services[2].applied.size(), "answering the re-sent request did not run it again");
    }

    private static List<Integer> replyCounts(TestCluster c) {
        return c.repliesByReplica.stream().map(List::size).toList();
    }

    @Test
    void aRetransmittedRequestGetsTheCachedReplyAndIsNotExecutedAgain() {
        TestCluster c = new TestCluster(CONFIG.withRepliersPerRequest(4));
        Request r = request(7, 1, "inc");
        c.clientSends(r);
        c.deliverAll();
        c.clientSends(r);
        c.deliverAll();
        c.tick(50);
        for (int i = 0; i < 4; i++) {
            assertEquals(1, c.services[i].applied.size(), "replica " + i + " executed twice");
            assertEquals(2, c.repliesByReplica.get(i).size(), "replica " + i + " did not re-send its reply");
        }
    }

    @Test
    void aRequestUnderAnotherClientsIdIsDroppedAndCounted() {
        TestCluster c = new TestCluster(CONFIG);
        c.handle(1, c.replicas[1].step(new Input.FromClient(8, request(7, 1, "forged"))));
        assertEquals(1, c.replicas[1].dropCount(DropReason.CLIENT_ID_MISMATCH));
    }

    @Test
    void aBackupPreparesOnlyRequestsItReceivedFromTheClientItself() {
        TestCluster c = new TestCluster(CONFIG);
        Request r = request(7, 1, "put");
        c.dropLink = (from, to) -> from == -1 && to == 3;
        c.clientSends(r);
        c.deliverAll();
        assertEquals(1, c.replicas[0].lastExecutedSeq(), "q = 3 without replica 3");
        Output out = c.replicas[3].step(new Input.FromReplica(0, new PrePrepare(0, 2, Batch.of(List.of(request(9, 1, "x"))))));
        assertTrue(out.toReplicas().stream().noneMatch(o -> o.message() instanceof Prepare),
                "no prepare for a request replica 3 never got from client 9");
        out = c.replicas[3].step(new Input.FromClient(9, request(9, 1, "x")));
        assertTrue(out.toReplicas().stream().anyMatch(o -> o.message() instanceof Prepare p && p.seq() == 2),
                "the waiting proposal is prepared once the client's own copy arrives");
    }

    @Test
    void twoProposalsForOneSeqFromTheLeaderStartAViewChange() {
        ReplicaCore backup = new ReplicaCore(CONFIG, 1, new MapService(), new TestSignatures(1));
        backup.step(new Input.FromReplica(0, new PrePrepare(0, 1, Batch.EMPTY)));
        backup.step(new Input.FromReplica(0, new PrePrepare(0, 1, Batch.of(List.of()))));
        assertFalse(backup.inViewChange(), "the same proposal twice is a duplicate");
        Request r = request(7, 1, "a");
        backup.step(new Input.FromClient(7, r));
        backup.step(new Input.FromReplica(0, new PrePrepare(0, 1, Batch.of(List.of(r)))));
        assertTrue(backup.inViewChange());
        assertEquals(1, backup.view());
        assertEquals(1, backup.dropCount(DropReason.CONFLICTING_PROPOSAL));
    }

    @Test
    void aSilentLeaderIsReplacedAndTheRequestStillCompletes() {
        TestCluster c = new TestCluster(CONFIG);
        c.dropLink = (from, to) -> from == 0 || to == 0;
        c.clientSends(request(7, 1, "a"));
        c.deliverAll();
        assertEquals(0, c.replicas[1].lastExecutedSeq());
        c.tick(60);
        for (int i = 1; i < 4; i++) {
            assertEquals(1, c.replicas[i].view(), "replica " + i);
            assertFalse(c.replicas[i].inViewChange());
            assertEquals(1, c.replicas[i].lastExecutedSeq(), "replica " + i);
        }
    }

    @Test
    void aClientThatSkipsTheLeaderIsServedThroughForwardsWithoutAViewChange() {
        TestCluster c = new TestCluster(CONFIG);
        c.dropLink = (from, to) -> from == -1 && to == 0;
        c.clientSends(request(7, 1, "a"));
        c.deliverAll();
        c.tick(15);
        for (int i = 0; i < 4; i++) {
            assertEquals(0, c.replicas[i].view(), "replica " + i);
            assertEquals(1, c.replicas[i].lastExecutedSeq(), "replica " + i);
        }
    }

    @Test
    void oneForwardIsNotEnoughForTheLeaderToProposeARequest() {
        ReplicaCore leader = new ReplicaCore(CONFIG, 0, new MapService(), new TestSignatures(0));
        Output out = leader.step(new Input.FromReplica(2, request(7, 1, "made up by replica 2")));
        assertTrue(out.toReplicas().isEmpty());
        out = leader.step(new Input.FromReplica(3, request(7, 1, "made up by replica 2")));
        assertTrue(out.toReplicas().stream().anyMatch(o -> o.message() instanceof PrePrepare), "k'+1 = 2 forwards suffice");
    }

    @Test
    void checkpointsBecomeStableWithQSignaturesAndTruncateTheLog() {
        TestCluster c = new TestCluster(CONFIG);
        for (long seq = 1; seq <= 5; seq++) {
            c.clientSends(request(7, seq, "op" + seq));
            c.deliverAll();
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(5, c.replicas[i].lastExecutedSeq());
            assertEquals(4, c.replicas[i].stableCertificate().seq(), "K = 2: stable at 4");
            assertTrue(c.replicas[i].stableCertificate().proofs().size() >= CONFIG.quorum());
            assertNotNull(c.replicas[i].stableManifest());
        }
    }

    @Test
    void aReplicaThatMissedAWholeWindowFetchesTheCertifiedStateAndCatchesUp() {
        TestCluster c = new TestCluster(CONFIG);
        c.dropLink = (from, to) -> to == 3 || from == 3;
        for (long seq = 1; seq <= 9; seq++) {
            c.clientSends(request(7, seq, "op" + seq));
            c.deliverAll();
        }
        assertEquals(0, c.replicas[3].lastExecutedSeq());
        c.dropLink = (from, to) -> false;
        c.tick(40);
        assertEquals(9, c.replicas[3].lastExecutedSeq());
        assertEquals(c.replicas[0].stableCertificate().seq(), c.replicas[3].stableCertificate().seq());
        c.clientSends(request(7, 10, "op10"));
        c.deliverAll();
        assertArrayEquals(c.replicas[0].chainHash(), c.replicas[3].chainHash());
        assertArrayEquals(c.services[0].stateDigest(), c.services[3].stateDigest());
        assertEquals(10, c.services[3].applied.size());
    }

    /**
     * The lagging replica is needed for the quorum once the leader fails; it takes part in the view
     * change before its state transfer completes, so the new view's slots lie above its window
     * when it installs the new view, and it must prepare them once the state arrived.
     */
    @Test
    void aReplicaBehindTheNewViewsCheckpointPreparesTheNewViewsSlotsAfterItsStateTransfer() {
        TestCluster c = new TestCluster(CONFIG);
        c.dropLink = (from, to) -> to == 3 || from == 3;
        for (long seq = 1; seq <= 9; seq++) {
            c.clientSends(request(7, seq, "op" + seq));
            c.deliverAll();
        }
        c.dropLink = (from, to) -> from == 0 || to == 0;
        c.dropMessage = e -> e.message() instanceof ChunkData;
        c.clientSends(request(7, 10, "op10"));
        c.tick(100);
        assertTrue(c.replicas[3].view() >= 1, "replica 3 took part in view changes");
        assertEquals(0, c.replicas[3].lastExecutedSeq(), "no state yet");
        c.dropMessage = e -> false;
        c.tick(300);
        for (int i = 1; i < 4; i++) {
            assertFalse(c.replicas[i].inViewChange(), "replica " + i);
            assertEquals(c.replicas[1].view(), c.replicas[i].view(), "replica " + i);
            assertArrayEquals(c.replicas[1].chainHash(), c.replicas[i].chainHash());
        }
        assertEquals(10, c.services[1].applied.size());
        assertEquals(10, c.services[3].applied.size(), "replica 3 has every request: the state and the rest");
        c.clientSends(request(7, 11, "op11"));
        c.deliverAll();
        assertEquals(11, c.services[3].applied.size());
    }

    @Test
    void aLeaderAboutToBeRejuvenatedHandsOverWithoutAnyTimeout() {
        TestCluster c = new TestCluster(CONFIG);
        c.clientSends(request(7, 1, "before"));
        c.deliverAll();
        c.handle(1, c.replicas[1].step(Input.STEP_DOWN));
        c.deliverAll();
        assertEquals(0, c.replicas[0].view(), "only the leader hands over");
        c.handle(0, c.replicas[0].step(Input.STEP_DOWN));
        c.deliverAll();
        for (int i = 0; i < 4; i++) {
            assertEquals(1, c.replicas[i].view(), "replica " + i);
            assertFalse(c.replicas[i].inViewChange(), "replica " + i + " is in the new view without a single tick");
        }
        c.clientSends(request(7, 2, "after"));
        c.deliverAll();
        for (int i = 0; i < 4; i++) {
            assertEquals(2, c.services[i].applied.size(), "replica " + i + " executed under the new leader");
        }
    }

    @Test
    void aRecoveringReplicaDoesNotVoteUntilItPassedItsRecoveryPoint() {
        MapService service = new MapService();
        ReplicaCore fresh = new ReplicaCore(CONFIG, 2, service, new TestSignatures(2), ChunkStore.EMPTY, Start.RECOVER);
        Request r = request(7, 1, "a");
        fresh.step(new Input.FromClient(7, r));
        Output out = fresh.step(new Input.FromReplica(0, new PrePrepare(0, 1, Batch.of(List.of(r)))));
        assertTrue(out.toReplicas().isEmpty(), "a replica that lost its log must not prepare");
        assertTrue(fresh.recovering());
        for (int peer : new int[] {0, 1, 3}) {
            fresh.step(new Input.FromReplica(peer, new Status(0, false, 0, 0, false)));
        }
        assertTrue(fresh.recovering(), "recovery point is the highest executed seq plus the window");
    }
}
