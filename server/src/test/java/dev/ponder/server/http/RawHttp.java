package dev.ponder.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Raw HTTP/1.1 over a loopback socket, for requests that no well-behaved client would send. */
final class RawHttp {
  /** A response: its status line's code, its head and its body as text. */
  record Reply(int status, String head, String body) {
    boolean json() {
      return head.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json");
    }
  }

  private RawHttp() {
  }

  static byte[] post(String path, byte[] body) {
    byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    return concat(head, body);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Sends the bytes (optionally half-closing after them) and reads until the server closes, at most 30 s. */
  static Reply send(int port, byte[] request, boolean halfClose) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      try {
        s.getOutputStream().write(request);
        s.getOutputStream().flush();
        if (halfClose) {
          s.shutdownOutput();
        }
      } catch (IOException e) {
        // The server may answer and close before reading everything (e.g. 413): read what it said.
      }
      return parse(readAll(s.getInputStream()));
    }
  }

  static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
      }
    } catch (SocketTimeoutException | java.net.SocketException e) {
      // what came before the timeout or reset is the answer
    }
    return out.toByteArray();
  }

  static Reply parse(byte[] raw) {
    String all = new String(raw, StandardCharsets.UTF_8);
    int end = all.indexOf("\r\n\r\n");
    if (!all.startsWith("HTTP/1.1 ") || end < 0) {
      return new Reply(-1, all, "");
    }
    return new Reply(Integer.parseInt(all.substring(9, 12)), all.substring(0, end), all.substring(end + 4));
  }
}
