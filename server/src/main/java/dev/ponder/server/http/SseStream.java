package dev.ponder.server.http;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Server-sent events on an open response: each write is flushed; a failed write means the client left. */
public final class SseStream {
  private final OutputStream out;

  SseStream(OutputStream out) {
    this.out = out;
  }

  /** {@code event: NAME} then {@code data: JSON}. */
  public synchronized void event(String name, String data) {
    write("event: " + name + "\ndata: " + data + "\n\n");
  }

  /** A data-only event (the OpenAI stream format). */
  public synchronized void data(String data) {
    write("data: " + data + "\n\n");
  }

  /** A comment line, ignored by clients: keeps the stream alive and finds out whether the client is still there. */
  public synchronized void comment(String text) {
    write(": " + text + "\n\n");
  }

  private void write(String s) {
    try {
      out.write(s.getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
