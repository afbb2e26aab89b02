package dev.ponder.server.http;

import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchListener;
import java.io.UncheckedIOException;

/**
 * Stops a search whose client went away. Until the engine offers {@code runAsync}/interrupt, the only way in from
 * outside is the listener: once {@link #cancel()} is called, the next event throws {@link ClientGone}, which
 * unwinds the search (its process and native memory are closed by the builder's try-with-resources). A listener
 * that fails to write (an SSE stream whose client closed) cancels the same way. Swap this one class when the
 * engine's cancellation lands.
 */
public final class Cancellation {
  /** Thrown through the search to stop it; never reaches a client. */
  public static final class ClientGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClientGone(String why) {
      super(why, null, false, false);
    }
  }

  private volatile String reason;

  public void cancel(String why) {
    if (reason == null) {
      reason = why;
    }
  }

  public boolean isCancelled() {
    return reason != null;
  }

  /** The listener to give the search: checks for cancellation before each event, then passes it on. */
  public SearchListener guard(SearchListener inner) {
    return (SearchEvent event) -> {
      String why = reason;
      if (why != null) {
        throw new ClientGone(why);
      }
      try {
        inner.onEvent(event);
      } catch (UncheckedIOException e) {
        cancel("the client closed the stream: " + e.getCause().getMessage());
        throw new ClientGone(reason);
      }
    };
  }
}
