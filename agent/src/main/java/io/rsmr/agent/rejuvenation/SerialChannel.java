package io.rsmr.agent.rejuvenation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The host end of a replica VM's virtio-serial channel {@code io.rsmr.smw.0}: a unix socket that
 * QEMU listens on. The guest writes JSON lines: first {@code guest-up} from its init, later the
 * replica's own. The agent never talks to a guest any other way. Blocking reads on a
 * {@link SocketChannel} end when the reading thread is interrupted (a cancelled step).
 */
public final class SerialChannel implements AutoCloseable {
    /** A line longer than this is not from our guest: the channel is refused. */
    public static final int LINE_BYTES_MAX = 4096;
    /** How often to retry connecting while QEMU has not made the socket yet. */
    static final long CONNECT_RETRY_MILLIS = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(LINE_BYTES_MAX);

    private SerialChannel(SocketChannel channel) {
        this.channel = channel;
        buffer.flip();
    }

    /** Connects, retrying until the socket answers; only an interrupt (the step's deadline) ends the wait. */
    public static SerialChannel connect(Path socket) throws InterruptedException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
        while (true) {
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(address);
                return new SerialChannel(ch);
            } catch (IOException e) {
                closeQuietly(ch);
                if (Thread.interrupted()) {
                    throw new InterruptedException("connecting to " + socket);
                }
                Thread.sleep(CONNECT_RETRY_MILLIS);
            }
        }
    }

    /** The next line as a JSON object; throws when the guest closed the channel or wrote garbage. */
    public JsonNode readEvent() throws IOException {
        String line = readLine();
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (IOException e) {
            throw new IOException("the guest wrote a line that is not JSON: " + abbreviate(line), e);
        }
        if (node == null || !node.isObject() || !node.path("event").isTextual()) {
            throw new IOException("the guest wrote a line without an \"event\": " + abbreviate(line));
        }
        return node;
    }

    private String readLine() throws IOException {
        byte[] line = new byte[LINE_BYTES_MAX];
        int length = 0;
        while (true) {
            if (!buffer.hasRemaining()) {
                buffer.clear();
                int n = channel.read(buffer);
                buffer.flip();
                if (n < 0) {
                    throw new EOFException("the guest's channel closed (the domain stopped?)");
                }
                continue;
            }
            byte b = buffer.get();
            if (b == '\n') {
                return new String(line, 0, length, StandardCharsets.UTF_8);
            }
            if (length == LINE_BYTES_MAX) {
                throw new IOException("the guest wrote a line longer than " + LINE_BYTES_MAX + " bytes");
            }
            line[length++] = b;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // Nothing to release beyond the descriptor, which close frees even when it fails.
            }
        }
    }
}
