package io.rsmr.vmtest;

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A stand-in service for vm-images/test.sh, beside (never instead of) the test of the real
 * replica: it proves what the image gives any service — the Java runtime, entropy, the payload
 * network, the virtio-serial port to the agent, and the guest init's restart loop — on its own.
 * Usage: EchoService PORT. Answers each line with "echo LINE"; the line "exit" ends the process
 * with status 3 (the init must restart it).
 */
public final class EchoService {
  private static final int EXIT_STATUS = 3;
  private static final int PORT_OPEN_ATTEMPTS_MAX = 100;
  private static final long PORT_OPEN_RETRY_MILLIS = 100;
  private static final int NONCE_BYTES = 8;

  private EchoService() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: EchoService PORT");
    }
    byte[] nonce = new byte[NONCE_BYTES];
    new SecureRandom().nextBytes(nonce);
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(Integer.parseInt(args[0])));
      tellAgent("{\"event\":\"service-ready\",\"nonce\":\"" + HexFormat.of().formatHex(nonce) + "\"}");
      while (true) {
        try (Socket socket = server.accept()) {
          serve(socket);
        }
      }
    }
  }

  private static void serve(Socket socket) throws IOException {
    BufferedReader in = new BufferedReader(
        new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    PrintWriter out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8);
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.equals("exit")) {
        out.println("exiting");
        System.exit(EXIT_STATUS);
      }
      out.println("echo " + line);
    }
  }

  /** The port has one opener at a time (the guest init may still hold it): retry, bounded. */
  private static void tellAgent(String json) throws IOException, InterruptedException {
    String port = System.getenv("RSMR_SMW_PORT");
    for (int attempt = 1; ; attempt++) {
      try (OutputStream out = new FileOutputStream(port)) {
        out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        return;
      } catch (IOException e) {
        if (attempt >= PORT_OPEN_ATTEMPTS_MAX) {
          throw new IOException("cannot write to " + port + " after " + attempt + " attempts", e);
        }
        Thread.sleep(PORT_OPEN_RETRY_MILLIS);
      }
    }
  }
}
