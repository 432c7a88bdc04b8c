package io.rsmr.replica.transport;

import io.rsmr.common.crypto.EpochIdentity;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsmr.replica.crypto.ClientIds;
import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.replica.crypto.FrameOpener;
import io.rsmr.replica.crypto.Peer;
import io.rsmr.replica.crypto.TestKeys;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real sockets on loopback; every transport is polled from the test thread. */
class NioTransportTest {
    private static final long WAIT_MILLIS_MAX = 10_000;

    private final TestKeys keys = new TestKeys(3, 11);
    private final List<InetSocketAddress> addresses = FreePorts.loopback(3);
    private final Map<Integer, InetSocketAddress> replicaAddresses = new HashMap<>();
    private final List<NioTransport> transports = new ArrayList<>();
    private final List<Received> received = new ArrayList<>();

    private record Received(NioTransport at, Peer from, String text) {}

    /** The request key each transport got for each session, by (transport, peer). */
    private final Map<List<Object>, byte[]> requestKeys = new HashMap<>();
    /** Whether the receivers take detached frames (recorded as {@code "detached <head>|<tail>"}). */
    private boolean acceptDetached = true;

    NioTransportTest() {
        for (int id = 0; id < addresses.size(); id++) {
            replicaAddresses.put(id, addresses.get(id));
        }
    }

    @AfterEach
    void closeAll() {
        transports.forEach(NioTransport::close);
    }

    private final Map<Integer, EpochIdentity> identities = new HashMap<>();

    private NioTransport replica(int id, TransportConfig config) throws IOException {
        EpochIdentity identity = identities.computeIfAbsent(id, i -> keys.identity(i, 1));
        NioTransport transport = NioTransport.forReplica(config, identity, keys.keyRing(),
                addresses.get(id), replicaAddresses);
        transports.add(transport);
        return transport;
    }

    private NioTransport client(Ed25519Keys.SigningKey key) throws IOException {
        NioTransport transport = NioTransport.forClient(TransportConfig.defaults(), key, keys.keyRing(), replicaAddresses);
        transports.add(transport);
        return transport;
    }

    /** Polls every open transport until the condition holds; fails after WAIT_MILLIS_MAX. */
    private void pollUntil(String what, BooleanSupplier condition, NioTransport... skipped) throws IOException {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS_MAX;
        while (!condition.getAsBoolean()) {
            assertTrue(System.currentTimeMillis() < deadline, "timed out waiting for " + what);
            for (NioTransport transport : transports) {
                if (!List.of(skipped).contains(transport)) {
                    transport.poll(1, new Transport.Inbound() {
                        @Override
                        public void onMessage(Peer from, byte[] message) {
                            received.add(new Received(transport, from, new String(message, StandardCharsets.UTF_8)));
                        }

                        @Override
                        public void onSession(Peer peer, int endpoint, byte[] requestKey) {
                            requestKeys.put(List.of(transport, peer), requestKey);
                        }

                        @Override
                        public boolean onDetached(Peer from, byte[] head, byte[] tail) {
                            if (acceptDetached) {
                                received.add(new Received(transport, from, "detached " + new String(head, StandardCharsets.UTF_8)
                                        + "|" + new String(tail, StandardCharsets.UTF_8)));
                            }
                            return acceptDetached;
                        }
                    });
                }
            }
        }
    }

    private boolean got(NioTransport at, Peer from, String text) {
        return received.contains(new Received(at, from, text));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void replicasAndClientsExchangeAuthenticatedMessages() throws IOException {
        NioTransport zero = replica(0, TransportConfig.defaults());
        NioTransport one = replica(1, TransportConfig.defaults());
        replica(2, TransportConfig.defaults());
        Ed25519Keys.SigningKey clientKey = keys.clientKey();
        long clientId = ClientIds.of(clientKey.publicKey());
        NioTransport client = client(clientKey);
        // Sent before any connection is up: held, then delivered once the handshake is done.
        assertTrue(zero.sendToReplica(1, utf8("hello one")));
        assertTrue(client.sendToReplica(0, utf8("request")));
        pollUntil("replica 1 hears replica 0", () -> got(one, new Peer.Replica(0, 1), "hello one"));
        pollUntil("replica 0 hears the client", () -> got(zero, new Peer.Client(clientId), "request"));
        assertTrue(zero.sendToClient(clientId, utf8("reply")));
        pollUntil("client hears replica 0", () -> got(client, new Peer.Replica(0, 1), "reply"));
        byte[] clientSide = requestKeys.get(List.of(client, new Peer.Replica(0, 1)));
        assertNotNull(clientSide, "the client learned its request key with replica 0");
        assertArrayEquals(clientSide, requestKeys.get(List.of(zero, new Peer.Client(clientId))), "both ends hold the same key");
        assertTrue(zero.connectedToReplica(1));
        assertFalse(zero.sendToReplica(0, utf8("to myself")), "a replica has no link to itself");
        assertEquals(0, zero.drops().get(DropReason.HANDSHAKE_FAILED));
    }

    @Test
    void oversizedFrameClosesOnlyThatConnection() throws IOException {
        NioTransport zero = replica(0, TransportConfig.defaults());
        try (Socket attacker = new Socket()) {
            attacker.connect(addresses.get(0));
            attacker.getOutputStream().write(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array());
            pollUntil("oversized frame counted", () -> zero.drops().get(DropReason.OVERSIZED) == 1);
        }
        NioTransport client = client(keys.clientKey());
        client.sendToReplica(0, utf8("still serving"));
        pollUntil("replica 0 still serves", () -> received.stream().anyMatch(r -> r.text().equals("still serving")));
    }

    @Test
    void garbageHandshakeIsCountedAndSilentPeerTimesOut() throws IOException {
        TransportConfig quick = new TransportConfig(1 << 20, 1 << 20, 1 << 20, 16, 200, 50, 200, 1024, 4);
        NioTransport zero = replica(0, quick);
        try (Socket garbage = new Socket(); Socket silent = new Socket()) {
            garbage.connect(addresses.get(0));
            garbage.getOutputStream().write(new byte[] {0, 0, 0, 3, 1, 2, 3});
            silent.connect(addresses.get(0));
            pollUntil("garbage counted", () -> zero.drops().get(DropReason.HANDSHAKE_FAILED) == 1);
            pollUntil("silent peer timed out", () -> zero.drops().get(DropReason.HANDSHAKE_TIMEOUT) == 1);
        }
    }

    /** A client of replica 0 whose frames pass through the given address (a proxy). */
    private NioTransport clientVia(InetSocketAddress proxyAddress, Ed25519Keys.SigningKey clientKey) throws IOException {
        NioTransport client = NioTransport.forClient(TransportConfig.defaults(), clientKey, keys.keyRing(),
                Map.of(0, proxyAddress));
        transports.add(client);
        return client;
    }

    @Test
    void replayedAndForgedFramesAreDroppedAndCounted() throws IOException {
        NioTransport zero = replica(0, TransportConfig.defaults());
        Ed25519Keys.SigningKey clientKey = keys.clientKey();
        // The client talks to replica 0 through a proxy that tampers with data frames.
        InetSocketAddress proxyAddress = FreePorts.loopback(1).get(0);
        try (TamperingProxy proxy = new TamperingProxy(proxyAddress, addresses.get(0))) {
            NioTransport client = clientVia(proxyAddress, clientKey);
            long clientId = ClientIds.of(clientKey.publicKey());
            client.sendToReplica(0, utf8("first"));
            pollUntil("first arrives", () -> got(zero, new Peer.Client(clientId), "first"));
            proxy.replayLastFrame();
            pollUntil("replay counted", () -> zero.drops().get(DropReason.REPLAYED) == 1);
            proxy.flipBitsInNextFrame();
            client.sendToReplica(0, utf8("second"));
            pollUntil("forgery counted", () -> zero.drops().get(DropReason.UNAUTHENTICATED) == 1);
            client.sendToReplica(0, utf8("third"));
            pollUntil("the stream goes on", () -> got(zero, new Peer.Client(clientId), "third"));
            assertFalse(got(zero, new Peer.Client(clientId), "second"));
            assertEquals(1, received.stream().filter(r -> r.text().equals("first")).count());
        }
    }

    /**
     * A detached frame authenticates its head, not its tail: a tail changed on the wire arrives changed
     * (the receiver checks it against a digest in the head: {@code ReplicaNode}), a changed head or
     * counter never arrives, and a receiver that takes no detached frames counts them as malformed.
     */
    @Test
    void detachedFramesAuthenticateTheirHeadButNotTheirTail() throws IOException {
        NioTransport zero = replica(0, TransportConfig.defaults());
        InetSocketAddress proxyAddress = FreePorts.loopback(1).get(0);
        try (TamperingProxy proxy = new TamperingProxy(proxyAddress, addresses.get(0))) {
            NioTransport one = NioTransport.forReplica(TransportConfig.defaults(), keys.identity(1, 1), keys.keyRing(),
                    addresses.get(1), Map.of(0, proxyAddress, 1, addresses.get(1)));
            transports.add(one);
            Peer.Replica from = new Peer.Replica(1, 1);
            assertTrue(one.sendDetachedToReplica(0, utf8("head:"), utf8("tail one")));
            pollUntil("held before the link was up, it arrives whole and sealed", () -> got(zero, from, "head:tail one"));
            assertTrue(one.sendDetachedToReplica(0, utf8("head:"), utf8("tail two")));
            pollUntil("a detached frame arrives", () -> got(zero, from, "detached head:|tail two"));

            proxy.flipByteInNextFrame(-1);
            assertTrue(one.sendDetachedToReplica(0, utf8("head:"), utf8("tail three")));
            pollUntil("a changed tail arrives changed", () -> got(zero, from, "detached head:|tail thred"));

            int headAt = 4 + FrameOpener.DETACHED_HEAD_AT;
            for (int at : List.of(headAt, 4, headAt + 5)) {
                long before = zero.drops().get(DropReason.UNAUTHENTICATED);
                proxy.flipByteInNextFrame(at);
                assertTrue(one.sendDetachedToReplica(0, utf8("head:"), utf8("tail " + at)));
                pollUntil("a frame changed at byte " + at + " is refused",
                        () -> zero.drops().get(DropReason.UNAUTHENTICATED) == before + 1);
            }
            assertTrue(received.stream().noneMatch(r -> r.text().contains("tail " + headAt) || r.text().contains("tail 4")));

            acceptDetached = false;
            long malformed = zero.drops().get(DropReason.MALFORMED);
            assertTrue(one.sendDetachedToReplica(0, utf8("head:"), utf8("tail refused")));
            pollUntil("a receiver that takes no detached frame counts it", () -> zero.drops().get(DropReason.MALFORMED) == malformed + 1);
            acceptDetached = true;
            assertTrue(one.sendToReplica(0, utf8("sealed again")));
            pollUntil("the stream goes on", () -> got(zero, from, "sealed again"));
        }
    }

    @Test
    void messagesQueuedInOneTurnLeaveAsOneSealedFrameAndArriveInOrder() throws IOException {
        NioTransport zero = replica(0, TransportConfig.defaults());
        Ed25519Keys.SigningKey clientKey = keys.clientKey();
        InetSocketAddress proxyAddress = FreePorts.loopback(1).get(0);
        try (TamperingProxy proxy = new TamperingProxy(proxyAddress, addresses.get(0))) {
            NioTransport client = clientVia(proxyAddress, clientKey);
            Peer.Client from = new Peer.Client(ClientIds.of(clientKey.publicKey()));
            client.sendToReplica(0, utf8("first"));
            pollUntil("first arrives", () -> got(zero, from, "first"));
            int framesBefore = proxy.sealedFrames();
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                sent.add("message " + i);
                assertTrue(client.sendToReplica(0, utf8("message " + i)));
            }
            pollUntil("all twenty arrive", () -> got(zero, from, "message 19"));
            assertEquals(sent, received.stream().map(Received::text).filter(t -> t.startsWith("message ")).toList());
            assertEquals(framesBefore + 1, proxy.sealedFrames(), "one frame, one MAC for the twenty messages");
        }
    }

    @Test
    void dialerReconnectsAfterThePeerRestarts() throws IOException {
        NioTransport zero = replica(0, TransportConfig.defaults());
        NioTransport one = replica(1, TransportConfig.defaults());
        zero.sendToReplica(1, utf8("before"));
        pollUntil("before", () -> got(one, new Peer.Replica(0, 1), "before"));
        one.close();
        transports.remove(one);
        pollUntil("zero notices", () -> !zero.connectedToReplica(1));
        NioTransport oneAgain = replica(1, TransportConfig.defaults());
        zero.sendToReplica(1, utf8("after"));
        pollUntil("after", () -> got(oneAgain, new Peer.Replica(0, 1), "after"));
    }

    /**
     * Replica 0 backs off for 30 s after replica 1 refused its connection; when replica 1 comes up
     * and connects to 0, 0 redials at once instead of waiting that out (a rejuvenated replica
     * would otherwise wait for the certificate it asks for).
     */
    @Test
    void aPeerThatConnectsToUsIsRedialedAtOnce() throws IOException {
        TransportConfig d = TransportConfig.defaults();
        TransportConfig slowRedial = new TransportConfig(d.messageBytesMax(), d.sendQueueBytesMax(),
                d.clientSendQueueBytesMax(), d.inboundConnectionsMax(), d.handshakeTimeoutMillis(), 30_000, 30_000,
                d.readBufferBytes(), d.badFramesPerConnectionMax());
        NioTransport zero = replica(0, slowRedial);
        zero.sendToReplica(1, utf8("owed"));
        long refusedBy = System.currentTimeMillis() + 300;
        pollUntil("zero's dial to the closed port is refused", () -> System.currentTimeMillis() > refusedBy);
        NioTransport one = replica(1, TransportConfig.defaults());
        one.sendToReplica(0, utf8("I am back"));
        pollUntil("one reaches zero", () -> got(zero, new Peer.Replica(1, 1), "I am back"));
        pollUntil("zero's owed message reaches one well before its 30 s backoff",
                () -> got(one, new Peer.Replica(0, 1), "owed"));
    }

    @Test
    void aNewEpochCutsTheLinksOfTheOldKey() throws IOException {
        NioTransport zero = replica(0, TransportConfig.defaults());
        NioTransport oldKey = replica(1, TransportConfig.defaults());
        oldKey.sendToReplica(0, utf8("old epoch"));
        pollUntil("old epoch heard", () -> got(zero, new Peer.Replica(1, 1), "old epoch"));
        // Replica 1 rejuvenated: epoch 2, a fresh key certified by its agent (listening elsewhere here).
        NioTransport newKey = NioTransport.forReplica(TransportConfig.defaults(), keys.identity(1, 2), keys.keyRing(),
                FreePorts.loopback(1).get(0), replicaAddresses);
        transports.add(newKey);
        newKey.sendToReplica(0, utf8("new epoch"));
        pollUntil("new epoch heard", () -> got(zero, new Peer.Replica(1, 2), "new epoch"));
        oldKey.sendToReplica(0, utf8("stale"));
        pollUntil("the old key's redial is refused", () -> zero.drops().get(DropReason.HANDSHAKE_FAILED) >= 1);
        assertFalse(got(zero, new Peer.Replica(1, 1), "stale"), "a message under the old key got through");
    }

    @Test
    void slowReaderFillsItsQueueWithoutBlockingOthers() throws IOException {
        TransportConfig small = new TransportConfig(64 << 10, 256 << 10, 128 << 10, 16, 5_000, 50, 200, 4096, 4);
        NioTransport zero = replica(0, small);
        Ed25519Keys.SigningKey slowKey = keys.clientKey();
        long slowId = ClientIds.of(slowKey.publicKey());
        NioTransport slow = client(slowKey);
        slow.sendToReplica(0, utf8("hi"));
        pollUntil("slow client connected", () -> got(zero, new Peer.Client(slowId), "hi"));
        byte[] big = new byte[60 << 10];
        // The slow client is never polled again: its socket buffers fill, then its queue at replica 0.
        pollUntil("queue full", () -> {
            zero.sendToClient(slowId, big);
            return zero.drops().get(DropReason.SEND_QUEUE_FULL) > 0;
        }, slow);
        Ed25519Keys.SigningKey fastKey = keys.clientKey();
        long fastId = ClientIds.of(fastKey.publicKey());
        NioTransport fast = client(fastKey);
        fast.sendToReplica(0, utf8("ping"));
        pollUntil("fast client served", () -> got(zero, new Peer.Client(fastId), "ping"), slow);
        zero.sendToClient(fastId, utf8("pong"));
        pollUntil("fast client answered", () -> got(fast, new Peer.Replica(0, 1), "pong"), slow);
    }

    /** A frame-aware TCP proxy for one connection that can replay or corrupt client frames. */
    private static final class TamperingProxy implements AutoCloseable {
        private final java.net.ServerSocket server;
        private volatile OutputStream upstream;
        private volatile byte[] last;
        /** Where to flip a byte of the next sealed frame (negative: from its end), or NONE. */
        private static final int NONE = Integer.MIN_VALUE;
        private volatile int corruptAt = NONE;
        private volatile int sealedFrames;
        private final List<Socket> sockets = new ArrayList<>();

        TamperingProxy(InetSocketAddress listen, InetSocketAddress target) throws IOException {
            server = new java.net.ServerSocket();
            server.bind(listen);
            Thread thread = new Thread(() -> run(target), "tampering-proxy");
            thread.setDaemon(true);
            thread.start();
        }

        synchronized void replayLastFrame() throws IOException {
            upstream.write(last);
            upstream.flush();
        }

        void flipBitsInNextFrame() {
            flipByteInNextFrame(-1);
        }

        void flipByteInNextFrame(int at) {
            corruptAt = at;
        }

        /** Frames forwarded after the client's hello and auth: its sealed ones. */
        int sealedFrames() {
            return sealedFrames;
        }

        private void run(InetSocketAddress target) {
            try (Socket client = server.accept(); Socket upstream = new Socket()) {
                upstream.connect(target);
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(upstream);
                }
                Thread back = new Thread(() -> copy(upstream, client), "proxy-back");
                back.setDaemon(true);
                back.start();
                forwardFrames(new java.io.DataInputStream(client.getInputStream()), upstream.getOutputStream());
            } catch (IOException e) {
                // The test closed the proxy.
            }
        }

        private void forwardFrames(java.io.DataInputStream in, OutputStream out) throws IOException {
            upstream = out;
            for (int index = 0; ; index++) {
                int length = in.readInt();
                byte[] frame = ByteBuffer.allocate(4 + length).putInt(length).array();
                in.readFully(frame, 4, length);
                if (corruptAt != NONE && index >= 2) {
                    // Only frames after the client's hello and auth: those are its sealed messages.
                    frame[corruptAt < 0 ? frame.length + corruptAt : corruptAt] ^= 1;
                    corruptAt = NONE;
                }
                if (index >= 2) {
                    sealedFrames++;
                }
                synchronized (this) {
                    out.write(frame);
                    out.flush();
                }
                last = frame;
            }
        }

        private static void copy(Socket from, Socket to) {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (IOException e) {
                // The test closed the proxy.
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (sockets) {
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
        }
    }
}
