package io.rsmr.replica.transport;

import io.rsmr.common.crypto.Ed25519Keys;
import io.rsmr.common.crypto.EpochIdentity;
import io.rsmr.replica.crypto.ClientIds;
import io.rsmr.replica.crypto.FrameOpener;
import io.rsmr.replica.crypto.FrameSealer;
import io.rsmr.replica.crypto.Handshake;
import io.rsmr.replica.crypto.Hmac;
import io.rsmr.replica.crypto.Peer;
import io.rsmr.replica.crypto.ReplicaKeyRing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The production {@link Transport}: one NIO selector, driven by the caller's thread.
 *
 * <p>A replica listens for replicas and clients and dials every other replica; it sends to a
 * replica only on the connection it dialed (so each side redials its own links, and there is no
 * tie to break), and answers a client on the connection the client opened. A client dials every
 * replica and uses those connections both ways. Each connection starts with the
 * {@link Handshake}; frames are {@code length(4) body}; after the handshake every body is sealed
 * ({@link FrameSealer}). A frame longer than the limit closes its connection (the stream cannot
 * be trusted to resynchronise); a frame that fails its check is dropped and counted, and a
 * connection with too many such frames is closed. A sealed frame carries a bundle of the messages
 * queued for its connection during one turn ({@link Connection}); a detached frame carries one message
 * whose tail is not MACed ({@link #sendDetachedToReplica}: state-transfer chunks). What is queued is
 * written after each connection's input is handled, so that an answer does not wait for the other
 * connections' input. A dialed link that fails is redialed with exponential backoff.
 */
public final class NioTransport implements Transport {
    private static final Logger LOG = Logger.getLogger(NioTransport.class.getName());

    /** Bytes read from one connection per wake-up of the selector, at most. */
    private static final long READ_BYTES_PER_WAKEUP_MAX = 4 << 20;

    private final TransportConfig config;
    private final EpochIdentity replicaIdentity;
    private final List<Ed25519Keys.SigningKey> clientKeys;
    private final ReplicaKeyRing keyRing;
    private final SecureRandom random;
    private final LongSupplier nanoClock;
    private final Selector selector;
    private final ServerSocketChannel server;
    private final Map<Long, Dialer> dialers = new TreeMap<>();
    private final Set<Connection> accepted = new HashSet<>();
    private final Map<Long, Connection> clients = new HashMap<>();
    private final Set<Connection> handshaking = new HashSet<>();
    private final Set<Connection> dirty = new HashSet<>();
    private final DropCounters drops = new DropCounters();

    /** The outbound link of one local endpoint to one replica: connection, backoff, held messages. */
    static final class Dialer {
        final int endpoint;
        final int replicaId;
        final InetSocketAddress address;
        Connection connection;
        long nextAttemptNanos;
        long delayMillis;
        final ArrayDeque<byte[]> held = new ArrayDeque<>();
        long heldBytes;

        Dialer(int endpoint, int replicaId, InetSocketAddress address, long delayMillis) {
            this.endpoint = endpoint;
            this.replicaId = replicaId;
            this.address = address;
            this.delayMillis = delayMillis;
        }
    }

    private NioTransport(TransportConfig config, EpochIdentity replicaIdentity,
            List<Ed25519Keys.SigningKey> clientKeys, ReplicaKeyRing keyRing, InetSocketAddress listen,
            Map<Integer, InetSocketAddress> replicas, SecureRandom random, LongSupplier nanoClock)
            throws IOException {
        this.config = config;
        this.replicaIdentity = replicaIdentity;
        this.clientKeys = List.copyOf(clientKeys);
        this.keyRing = keyRing;
        this.random = random;
        this.nanoClock = nanoClock;
        this.selector = Selector.open();
        this.server = listen == null ? null : listen(listen);
        int endpoints = replicaIdentity != null ? 1 : this.clientKeys.size();
        for (int endpoint = 0; endpoint < endpoints; endpoint++) {
            for (Map.Entry<Integer, InetSocketAddress> replica : replicas.entrySet()) {
                if (replicaIdentity == null || replica.getKey() != replicaIdentity.replicaId()) {
                    dialers.put(link(endpoint, replica.getKey()), new Dialer(endpoint, replica.getKey(),
                            replica.getValue(), config.reconnectDelayMinMillis()));
                }
            }
        }
    }

    /** A replica listening on {@code listen} and dialing every other replica of {@code replicas}. */
    public static NioTransport forReplica(TransportConfig config, EpochIdentity identity,
            ReplicaKeyRing keyRing, InetSocketAddress listen, Map<Integer, InetSocketAddress> replicas)
            throws IOException {
        return new NioTransport(config, identity, List.of(), keyRing, listen, replicas, new SecureRandom(),
                System::nanoTime);
    }

    /** A client dialing every replica. */
    public static NioTransport forClient(TransportConfig config, Ed25519Keys.SigningKey clientKey,
            ReplicaKeyRing keyRing, Map<Integer, InetSocketAddress> replicas) throws IOException {
        return forClients(config, List.of(clientKey), keyRing, replicas);
    }

    /**
     * Several clients (one per key, so one client id each) sharing one selector: endpoint i of
     * {@link #sendAs} speaks as {@code clientKeys.get(i)} over its own connections.
     */
    public static NioTransport forClients(TransportConfig config, List<Ed25519Keys.SigningKey> clientKeys,
            ReplicaKeyRing keyRing, Map<Integer, InetSocketAddress> replicas) throws IOException {
        if (clientKeys.isEmpty()) {
            throw new IllegalArgumentException("a client transport needs at least one key");
        }
        return new NioTransport(config, null, clientKeys, keyRing, null, replicas, new SecureRandom(),
                System::nanoTime);
    }

    /** The bound listening address (useful with port 0), or null for a client. */
    public InetSocketAddress listenAddress() {
        try {
            return server == null ? null : (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean sendToReplica(int replicaId, byte[] message) {
        return sendAs(0, replicaId, message);
    }

    /** Sends as local endpoint {@code endpoint} (a client of {@link #forClients}; 0 for a replica). */
    public boolean sendAs(int endpoint, int replicaId, byte[] message) {
        Dialer dialer = dialers.get(link(endpoint, replicaId));
        if (dialer == null) {
            drops.count(DropReason.NOT_CONNECTED);
            return false;
        }
        if (message.length > config.messageBytesMax()) {
            drops.count(DropReason.OVERSIZED);
            return false;
        }
        Connection connection = dialer.connection;
        if (connection != null && connection.established()) {
            return queue(connection, message, config.sendQueueBytesMax());
        }
        return hold(dialer, message);
    }

    /** Before the link is up, the message is held whole and later sent in an ordinary sealed frame. */
    @Override
    public boolean sendDetachedToReplica(int replicaId, byte[] head, byte[] tail) {
        Dialer dialer = dialers.get(link(0, replicaId));
        if (dialer == null) {
            drops.count(DropReason.NOT_CONNECTED);
            return false;
        }
        if (head.length + tail.length > config.messageBytesMax()) {
            drops.count(DropReason.OVERSIZED);
            return false;
        }
        Connection connection = dialer.connection;
        if (connection == null || !connection.established()) {
            byte[] whole = Arrays.copyOf(head, head.length + tail.length);
            System.arraycopy(tail, 0, whole, head.length, tail.length);
            return hold(dialer, whole);
        }
        if (connection.queuedBytes() + FrameSealer.DETACHED_OVERHEAD_BYTES + head.length + tail.length
                > config.sendQueueBytesMax()) {
            drops.count(DropReason.SEND_QUEUE_FULL);
            return false;
        }
        connection.queueDetached(head, tail);
        dirty.add(connection);
        return true;
    }

    /** Sends on the connection of the key that owns {@code clientId} ({@link ClientIds#keyOf}). */
    @Override
    public boolean sendToClient(long clientId, byte[] message) {
        Connection connection = clients.get(ClientIds.keyOf(clientId));
        if (connection == null) {
            drops.count(DropReason.NOT_CONNECTED);
            return false;
        }
        if (message.length > config.messageBytesMax()) {
            drops.count(DropReason.OVERSIZED);
            return false;
        }
        return queue(connection, message, config.clientSendQueueBytesMax());
    }

    @Override
    public boolean connectedToReplica(int replicaId) {
        Dialer dialer = dialers.get(link(0, replicaId));
        return dialer != null && dialer.connection != null && dialer.connection.established();
    }

    @Override
    public void poll(long timeoutMillis, Inbound inbound) throws IOException {
        long now = nanoClock.getAsLong();
        dialDue(now);
        expireHandshakes(now);
        flushDirty();
        long waitMillis = Math.min(timeoutMillis, untilNextTimerMillis(now));
        if (waitMillis <= 0) {
            selector.selectNow(key -> onReady(key, inbound));
        } else {
            selector.select(key -> onReady(key, inbound), waitMillis);
        }
    }

    @Override
    public void flush() {
        flushDirty();
    }

    @Override
    public void wakeup() {
        selector.wakeup();
    }

    @Override
    public DropCounters drops() {
        return drops;
    }

    @Override
    public void close() {
        for (SelectionKey key : new ArrayList<>(selector.keys())) {
            closeQuietly(key.channel());
        }
        closeQuietly(selector);
    }

    private boolean queue(Connection connection, byte[] message, long queueBytesMax) {
        if (connection.queuedBytes() + FrameSealer.OVERHEAD_BYTES + message.length > queueBytesMax) {
            drops.count(DropReason.SEND_QUEUE_FULL);
            return false;
        }
        connection.queueSealed(message);
        dirty.add(connection);
        return true;
    }

    private boolean hold(Dialer dialer, byte[] message) {
        if (dialer.heldBytes + message.length > config.sendQueueBytesMax()) {
            drops.count(DropReason.SEND_QUEUE_FULL);
            return false;
        }
        dialer.held.add(message);
        dialer.heldBytes += message.length;
        return true;
    }

    private void onReady(SelectionKey key, Inbound inbound) {
        if (key.attachment() == null) {
            accept();
            return;
        }
        Connection connection = (Connection) key.attachment();
        try {
            if (key.isConnectable()) {
                finishConnect(connection);
            }
            if (!connection.closed && key.isReadable()) {
                read(connection, inbound);
                flushDirty();
            }
            if (!connection.closed && key.isValid() && key.isWritable()) {
                flush(connection);
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, connection + " failed", e);
            close(connection);
        }
    }

    private void accept() {
        SocketChannel channel;
        try {
            channel = server.accept();
            if (channel == null) {
                return;
            }
            if (accepted.size() >= config.inboundConnectionsMax()) {
                drops.count(DropReason.CONNECTIONS_FULL);
                channel.close();
                return;
            }
            configure(channel);
            Connection connection = new Connection(channel, null, config.readBufferBytes(), bundleBytesMax());
            connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
            connection.handshake =
                    Handshake.responder(replicaIdentity, keyRing, Handshake.newEphemeral(random));
            startHandshakeClock(connection);
            accepted.add(connection);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "accepting a connection failed", e);
        }
    }

    private void dialDue(long now) {
        for (Dialer dialer : dialers.values()) {
            if (dialer.connection == null && now - dialer.nextAttemptNanos >= 0) {
                dial(dialer);
            }
        }
    }

    private void dial(Dialer dialer) {
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open();
            configure(channel);
            Connection connection = new Connection(channel, dialer, config.readBufferBytes(), bundleBytesMax());
            dialer.connection = connection;
            boolean connected = channel.connect(dialer.address);
            connection.key = channel.register(selector, connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, connection);
            startHandshakeClock(connection);
            if (connected) {
                startHandshake(connection);
            }
        } catch (IOException e) {
            closeQuietly(channel);
            dialer.connection = null;
            backOff(dialer);
        }
    }

    private void finishConnect(Connection connection) throws IOException {
        if (connection.channel.finishConnect()) {
            connection.key.interestOps(SelectionKey.OP_READ);
            startHandshake(connection);
        }
    }

    private void startHandshake(Connection connection) {
        byte[] ephemeral = Handshake.newEphemeral(random);
        int replicaId = connection.dialer.replicaId;
        connection.handshake = replicaIdentity != null
                ? Handshake.replicaInitiator(replicaIdentity, keyRing, replicaId, ephemeral)
                : Handshake.clientInitiator(clientKeys.get(connection.dialer.endpoint), keyRing, replicaId, ephemeral);
        connection.queuePlain(connection.handshake.start());
        dirty.add(connection);
    }

    private void startHandshakeClock(Connection connection) {
        connection.handshakeDeadlineNanos =
                nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(config.handshakeTimeoutMillis());
        handshaking.add(connection);
    }

    /**
     * Reads and hands on the frames the socket holds, up to {@link #READ_BYTES_PER_WAKEUP_MAX} (other
     * connections and the caller's ticks get their turn too). One read per wake-up delivered at most
     * one buffer of frames per event-loop turn, and a turn lasts a log sync: a state transfer's
     * 100 kB chunks then came one per peer per sync.
     */
    private void read(Connection connection, Inbound inbound) throws IOException {
        long budget = READ_BYTES_PER_WAKEUP_MAX;
        while (budget > 0 && !connection.closed) {
            int got = connection.channel.read(connection.readBuffer);
            if (got < 0) {
                close(connection);
                return;
            }
            if (got == 0) {
                return;
            }
            budget -= got;
            takeFrames(connection, inbound);
        }
    }

    /** Hands on every whole frame in the read buffer and keeps the rest, growing the buffer for a big frame. */
    private void takeFrames(Connection connection, Inbound inbound) {
        ByteBuffer buffer = connection.readBuffer;
        buffer.flip();
        int needed = 0;
        while (!connection.closed && buffer.remaining() >= 4) {
            int start = buffer.position();
            int length = buffer.getInt(start);
            if (length < 0 || length > frameBytesMax(connection)) {
                drops.count(DropReason.OVERSIZED);
                close(connection);
                return;
            }
            if (buffer.remaining() < 4 + length) {
                needed = 4 + length;
                break;
            }
            buffer.position(start + 4 + length);
            connection.lastFrameBytes = 4 + length;
            onFrame(connection, buffer.array(), start + 4, length, inbound);
        }
        if (!connection.closed) {
            buffer.compact();
            connection.readBuffer = resized(buffer, needed, connection.lastFrameBytes);
        }
    }

    private int frameBytesMax(Connection connection) {
        return connection.established()
                ? bundleBytesMax() + FrameOpener.BODY_OVERHEAD_BYTES
                : Handshake.MESSAGE_BYTES_MAX;
    }

    /** A sealed frame's payload at most: a bundle that holds one message of the largest size. */
    private int bundleBytesMax() {
        return config.messageBytesMax() + Bundles.PREFIX_BYTES;
    }

    /**
     * Grows the buffer for a frame bigger than it, and shrinks it back once it is empty and the last
     * frame fitted the usual size: while a peer sends big frames (a state transfer's chunks) the
     * buffer stays big, instead of being allocated anew, and the start of each frame copied into it, per frame.
     */
    private ByteBuffer resized(ByteBuffer buffer, int needed, int lastFrameBytes) {
        if (needed > buffer.capacity()) {
            return ByteBuffer.allocate(needed).put(buffer.flip());
        }
        if (buffer.position() == 0 && buffer.capacity() > config.readBufferBytes()
                && lastFrameBytes <= config.readBufferBytes()) {
            return ByteBuffer.allocate(config.readBufferBytes());
        }
        return buffer;
    }

    private void onFrame(Connection connection, byte[] bytes, int offset, int length, Inbound inbound) {
        if (!connection.established()) {
            onHandshakeMessage(connection, Arrays.copyOfRange(bytes, offset, offset + length), inbound);
            return;
        }
        FrameOpener.Verdict verdict = connection.opener().open(bytes, offset, length);
        if (verdict == FrameOpener.Verdict.ACCEPTED_DETACHED) {
            onDetachedFrame(connection, bytes, offset, length, inbound);
            return;
        }
        if (verdict == FrameOpener.Verdict.ACCEPTED) {
            // the messages before a bad length prefix were handed on: they are authenticated, and
            // only a faulty peer sends such a frame
            Peer peer = connection.peer();
            if (!Bundles.split(bytes, offset + 8, offset + length - Hmac.TAG_BYTES,
                    message -> inbound.onMessage(peer, message))) {
                badFrame(connection, DropReason.MALFORMED);
            }
            return;
        }
        badFrame(connection, switch (verdict) {
            case TOO_SHORT -> DropReason.MALFORMED;
            case BAD_MAC -> DropReason.UNAUTHENTICATED;
            default -> DropReason.REPLAYED;
        });
    }

    /** Hands on an accepted detached frame's head and tail, each copied once out of the read buffer. */
    private void onDetachedFrame(Connection connection, byte[] bytes, int offset, int length, Inbound inbound) {
        int headAt = offset + FrameOpener.DETACHED_HEAD_AT;
        int tailAt = headAt + FrameOpener.headLength(bytes, offset) + Hmac.TAG_BYTES;
        byte[] head = Arrays.copyOfRange(bytes, headAt, tailAt - Hmac.TAG_BYTES);
        byte[] tail = Arrays.copyOfRange(bytes, tailAt, offset + length);
        if (!inbound.onDetached(connection.peer(), head, tail)) {
            badFrame(connection, DropReason.MALFORMED);
        }
    }

    private void badFrame(Connection connection, DropReason reason) {
        drops.count(reason);
        if (++connection.badFrames > config.badFramesPerConnectionMax()) {
            close(connection);
        }
    }

    private void onHandshakeMessage(Connection connection, byte[] message, Inbound inbound) {
        if (connection.handshake == null) {
            drops.count(DropReason.MALFORMED);
            close(connection);
            return;
        }
        Handshake.Step step = connection.handshake.receive(message);
        if (step.failure() != null) {
            LOG.info(() -> "handshake with " + connection.channel.socket().getRemoteSocketAddress()
                    + " failed: " + step.failure());
            drops.count(DropReason.HANDSHAKE_FAILED);
            close(connection);
            return;
        }
        step.toSend().forEach(connection::queuePlain);
        dirty.add(connection);
        if (step.established()) {
            onEstablished(connection, inbound);
        }
    }

    private void onEstablished(Connection connection, Inbound inbound) {
        Handshake handshake = connection.handshake;
        connection.establish(handshake.peer(), handshake.keys());
        inbound.onSession(connection.peer(), connection.dialer == null ? 0 : connection.dialer.endpoint, handshake.requestKey());
        handshaking.remove(connection);
        Dialer dialer = connection.dialer;
        if (dialer != null) {
            dialer.delayMillis = config.reconnectDelayMinMillis();
            while (!dialer.held.isEmpty()) {
                queue(connection, dialer.held.poll(), config.sendQueueBytesMax());
            }
            dialer.heldBytes = 0;
        } else if (connection.peer() instanceof Peer.Client client) {
            Connection older = clients.put(client.id(), connection);
            if (older != null) {
                close(older);
            }
        } else {
            closeOlderEpochs((Peer.Replica) connection.peer());
            redialNow(((Peer.Replica) connection.peer()).id());
        }
    }

    /**
     * A replica that just connected to us is up again (restarted, rejuvenated): our link to it
     * stops backing off and dials on the next poll, so that what we owe it (a checkpoint
     * certificate it waits for) does not wait out a reconnect delay of up to reconnectDelayMaxMillis.
     */
    private void redialNow(int replicaId) {
        Dialer dialer = dialers.get(link(0, replicaId));
        if (dialer != null && dialer.connection == null) {
            dialer.delayMillis = config.reconnectDelayMinMillis();
            dialer.nextAttemptNanos = nanoClock.getAsLong();
        }
    }

    /**
     * A replica authenticated under a new epoch: links still open under its older keys are closed,
     * so a key stolen before its rejuvenation stops working at once (new handshakes under it are
     * refused by the key ring).
     */
    private void closeOlderEpochs(Peer.Replica current) {
        for (Connection other : new ArrayList<>(accepted)) {
            if (other.peer() instanceof Peer.Replica replica && replica.id() == current.id()
                    && replica.epoch() < current.epoch()) {
                close(other);
            }
        }
    }

    private void expireHandshakes(long now) {
        if (handshaking.isEmpty()) {
            return;
        }
        for (Connection connection : new ArrayList<>(handshaking)) {
            if (now - connection.handshakeDeadlineNanos >= 0) {
                drops.count(DropReason.HANDSHAKE_TIMEOUT);
                close(connection);
            }
        }
    }

    private void flushDirty() {
        for (Connection connection : dirty) {
            if (!connection.closed && connection.channel.isConnected()) {
                try {
                    flush(connection);
                } catch (IOException e) {
                    LOG.log(Level.FINE, connection + " failed", e);
                    close(connection);
                }
            }
        }
        dirty.removeIf(connection -> connection.closed || !connection.hasQueued()
                || (connection.key.interestOps() & SelectionKey.OP_WRITE) != 0);
    }

    private void flush(Connection connection) throws IOException {
        boolean done = connection.flush();
        int ops = connection.key.interestOps();
        int wanted = done ? ops & ~SelectionKey.OP_WRITE : ops | SelectionKey.OP_WRITE;
        if (wanted != ops) {
            connection.key.interestOps(wanted);
        }
    }

    private long untilNextTimerMillis(long now) {
        long next = Long.MAX_VALUE;
        for (Dialer dialer : dialers.values()) {
            if (dialer.connection == null) {
                next = Math.min(next, dialer.nextAttemptNanos - now);
            }
        }
        for (Connection connection : handshaking) {
            next = Math.min(next, connection.handshakeDeadlineNanos - now);
        }
        return next == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, TimeUnit.NANOSECONDS.toMillis(next) + 1);
    }

    private void close(Connection connection) {
        if (connection.closed) {
            return;
        }
        connection.closed = true;
        if (connection.key != null) {
            connection.key.cancel();
        }
        closeQuietly(connection.channel);
        handshaking.remove(connection);
        accepted.remove(connection);
        if (connection.peer() instanceof Peer.Client client) {
            clients.remove(client.id(), connection);
        }
        Dialer dialer = connection.dialer;
        if (dialer != null && dialer.connection == connection) {
            dialer.connection = null;
            backOff(dialer);
        }
    }

    private void backOff(Dialer dialer) {
        dialer.nextAttemptNanos = nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(dialer.delayMillis);
        dialer.delayMillis = Math.min(dialer.delayMillis * 2, config.reconnectDelayMaxMillis());
    }

    private static long link(int endpoint, int replicaId) {
        return ((long) endpoint << 32) | (replicaId & 0xffffffffL);
    }

    private static void configure(SocketChannel channel) throws IOException {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    }

    private ServerSocketChannel listen(InetSocketAddress address) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(address);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_ACCEPT, null);
            return channel;
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.log(Level.FINE, "closing failed", e);
        }
    }
}
