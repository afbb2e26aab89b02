package dev.ponder.remote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * An asynchronous client for one engine's {@code /v1/completions}: one {@link HttpClient} (HTTP/1.1, keep-alive,
 * so connections are reused across requests and rounds) on its own daemon threads. {@link #completeAll} sends a
 * round of requests concurrently, at most {@link RemoteEndpoint#maxInFlight} at once, and waits for all.
 *
 * <p>Thread-safe. {@link #close} cancels whatever is still in flight (each cancelled exchange closes its
 * connection), stops the threads and, on JDK 21+, shuts the HttpClient down with its pooled connections; on 17
 * the idle pooled connections go with the client once it is unreachable.
 */
public final class CompletionClient implements AutoCloseable {
  /** How often a waiting round checks whether it should stop (cancellation, deadline). */
  static final long POLL_MILLIS = 5;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RemoteEndpoint endpoint;
  private final ExecutorService executor;
  private final HttpClient http;
  private final RemoteTally tally = new RemoteTally();
  private final Set<RemoteCall> outstanding = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  private volatile Consumer<List<byte[]>> roundObserver = bodies -> { };

  public CompletionClient(RemoteEndpoint endpoint) {
    this.endpoint = endpoint;
    AtomicInteger n = new AtomicInteger();
    ThreadFactory daemons = r -> {
      Thread t = new Thread(r, "ponder-remote-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.executor = Executors.newCachedThreadPool(daemons);
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(endpoint.connectTimeout())
        .executor(executor)
        .build();
  }

  public RemoteEndpoint endpoint() {
    return endpoint;
  }

  /** Spend so far, from the engine's usage reports. */
  public RemoteTally tally() {
    return tally;
  }

  /**
   * Sets what sees each round's request bodies (the exact bytes sent), before they are sent: for tracing, and for
   * replaying a search's requests without the search (bench's overhead measurement). Called on the searching
   * thread; the default ignores them.
   */
  public void observeRounds(Consumer<List<byte[]>> observer) {
    this.roundObserver = Objects.requireNonNull(observer, "observer");
  }

  /** What one round returned: a completion per request, {@code null} for those not answered because it stopped. */
  public record Round(Completion[] completions, boolean stopped) {
  }

  /**
   * Sends the requests concurrently and waits for all of them. Every {@value #POLL_MILLIS} ms while waiting it
   * asks {@code shouldStop}; when that says yes, or the thread is interrupted, the requests still in flight are
   * cancelled, those not yet sent are not sent, and the round returns what was answered with
   * {@link Round#stopped()} set (an interrupt is left set on the thread).
   *
   * @throws RemoteException the first request that failed for good; the others are cancelled first
   */
  public Round completeAll(List<CompletionRequest> requests, BooleanSupplier shouldStop) {
    requireOpen();
    int n = requests.size();
    List<byte[]> bodies = new ArrayList<>(n);
    for (CompletionRequest r : requests) {
      bodies.add(body(r));
    }
    roundObserver.accept(List.copyOf(bodies));
    Completion[] out = new Completion[n];
    RemoteCall[] calls = new RemoteCall[n];
    LinkedBlockingQueue<Integer> done = new LinkedBlockingQueue<>();
    int next = 0;
    int running = 0;
    int finished = 0;
    try {
      while (finished < n) {
        while (running < endpoint.maxInFlight() && next < n) {
          calls[next] = newCall(bodies.get(next));
          int index = next;
          calls[index].result.whenComplete((c, e) -> done.add(index));
          calls[index].start();
          next++;
          running++;
        }
        Integer i = done.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (i == null) {
          if (shouldStop.getAsBoolean() || closed) {
            cancelAll(calls);
            return new Round(out, true);
          }
          continue;
        }
        running--;
        finished++;
        out[i] = join(calls[i]);
      }
      return new Round(out, false);
    } catch (InterruptedException e) {
      cancelAll(calls);
      Thread.currentThread().interrupt();
      return new Round(out, true);
    } catch (RuntimeException e) {
      cancelAll(calls);
      throw e;
    } finally {
      for (RemoteCall c : calls) {
        if (c != null) {
          outstanding.remove(c);
        }
      }
    }
  }

  /** One request, waited for like a round of one; {@code null} when it stopped. */
  public Completion complete(CompletionRequest request, BooleanSupplier shouldStop) {
    return completeAll(List.of(request), shouldStop).completions()[0];
  }

  /**
   * The engine's own token ids for {@code text}, without special tokens: llama.cpp's {@code POST /tokenize}. One
   * attempt, within the request timeout.
   *
   * @throws IllegalStateException when the dialect has no tokenize endpoint
   * @throws RemoteException       when the request fails or the answer is not {@code {"tokens": [ints]}}
   */
  public int[] tokenize(String text) {
    requireOpen();
    if (endpoint.dialect() != EngineDialect.LLAMA_CPP) {
      throw new IllegalStateException("tokenize needs llama.cpp's /tokenize; the " + endpoint.dialect()
          + " dialect has none");
    }
    ObjectNode body = JSON.createObjectNode().put("content", text).put("add_special", false);
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.resolve("/tokenize")).timeout(endpoint.requestTimeout())
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (endpoint.apiKey() != null) {
      b.header("Authorization", "Bearer " + endpoint.apiKey());
    }
    tally.attempt();
    HttpResponse<String> resp;
    try {
      resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new RemoteException(RemoteException.Kind.CONNECT, 0, 1, "tokenize at " + endpoint.baseUrl() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteException(RemoteException.Kind.CANCELLED, 0, 1, "tokenize interrupted", e);
    }
    String what = endpoint.baseUrl() + "/tokenize";
    if (resp.statusCode() != 200) {
      throw new RemoteException(RemoteException.Kind.HTTP_STATUS, resp.statusCode(), 1, "HTTP " + resp.statusCode()
          + " from " + what + ", expected 200: " + CompletionParser.describe(resp.body()), null);
    }
    try {
      JsonNode tokens = JSON.readTree(resp.body()).get("tokens");
      if (tokens == null || !tokens.isArray()) {
        throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, what + " answered without an array 'tokens': "
            + CompletionParser.describe(resp.body()), null);
      }
      int[] ids = new int[tokens.size()];
      for (int i = 0; i < ids.length; i++) {
        if (!tokens.get(i).isIntegralNumber()) {
          throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, what + " answered tokens[" + i + "] = "
              + tokens.get(i) + ", expected an integer id", null);
        }
        ids[i] = tokens.get(i).asInt();
      }
      return ids;
    } catch (JsonProcessingException e) {
      throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, what + " answered non-JSON: "
          + CompletionParser.describe(resp.body()), e);
    }
  }

  private byte[] body(CompletionRequest r) {
    try {
      return JSON.writeValueAsBytes(r.toJson(endpoint.model(), endpoint.dialect()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the request as JSON", e);
    }
  }

  private RemoteCall newCall(byte[] body) {
    RemoteCall c = new RemoteCall(http, endpoint, body, executor, tally);
    outstanding.add(c);
    return c;
  }

  private static Completion join(RemoteCall c) {
    try {
      return c.result.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RemoteException re) {
        throw re;
      }
      throw new IllegalStateException("unexpected failure of a remote call", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading a completed call", e);
    }
  }

  private static void cancelAll(RemoteCall[] calls) {
    for (RemoteCall c : calls) {
      if (c != null && !c.result.isDone()) {
        c.cancel();
      }
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this client is closed");
    }
  }

  /**
   * JDK 21+ has {@code HttpClient.shutdownNow()}, which closes pooled connections at once (its {@code close()}
   * would wait for exchanges); on 17 there is none and the pool goes with the client.
   */
  private static void shutdownNowIfSupported(HttpClient client) {
    java.lang.reflect.Method m;
    try {
      m = HttpClient.class.getMethod("shutdownNow");
    } catch (NoSuchMethodException jdk17) {
      return;
    }
    try {
      m.invoke(client);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("HttpClient.shutdownNow failed", e);
    }
  }

  /** Requests started and not yet settled (tests use it to prove nothing is left behind). */
  int outstandingCalls() {
    return outstanding.size();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<RemoteCall> left = new ArrayList<>(outstanding);
    left.forEach(RemoteCall::cancel);
    outstanding.clear();
    shutdownNowIfSupported(http);
    executor.shutdownNow();
  }
}
