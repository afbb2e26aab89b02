package dev.ponder.remote;

import dev.ponder.remote.RemoteException.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One completion request and its retries. {@link #result} completes once: with the completion, or exceptionally
 * with a {@link RemoteException}. {@link #cancel} aborts the attempt in flight (the HTTP client closes its
 * connection) and sends no further one.
 */
final class RemoteCall {
  private final HttpClient http;
  private final RemoteEndpoint endpoint;
  private final byte[] body;
  private final Executor executor;
  private final RemoteTally tally;
  final CompletableFuture<Completion> result = new CompletableFuture<>();
  private volatile boolean cancelled;
  private volatile CompletableFuture<HttpResponse<String>> current;
  private int attempts;

  RemoteCall(HttpClient http, RemoteEndpoint endpoint, byte[] body, Executor executor, RemoteTally tally) {
    this.http = http;
    this.endpoint = endpoint;
    this.body = body;
    this.executor = executor;
    this.tally = tally;
  }

  void start() {
    attempt();
  }

  void cancel() {
    cancelled = true;
    CompletableFuture<HttpResponse<String>> f = current;
    if (f != null) {
      f.cancel(true);
    }
    if (result.completeExceptionally(new RemoteException(Kind.CANCELLED, 0, attempts,
        "request to " + endpoint.baseUrl() + " cancelled", null))) {
      tally.cancelled();
    }
  }

  private void attempt() {
    if (cancelled || result.isDone()) {
      return;
    }
    attempts++;
    tally.attempt();
    HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.resolve("/v1/completions"))
        .timeout(endpoint.requestTimeout())
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (endpoint.apiKey() != null) {
      b.header("Authorization", "Bearer " + endpoint.apiKey());
    }
    CompletableFuture<HttpResponse<String>> f = http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    current = f;
    if (cancelled) { // cancel() ran between the check above and current being set
      f.cancel(true);
    }
    f.whenComplete(this::onAnswer);
  }

  private void onAnswer(HttpResponse<String> resp, Throwable err) {
    if (cancelled || result.isDone()) {
      return;
    }
    if (err != null) {
      Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (e instanceof CancellationException) {
        return; // only cancel() cancels, and it has completed the result
      }
      if (e instanceof HttpConnectTimeoutException) {
        retryOrFail(Kind.CONNECT, 0, "no connection to " + endpoint.baseUrl() + " within "
            + endpoint.connectTimeout().toMillis() + " ms", e, null);
      } else if (e instanceof HttpTimeoutException) {
        retryOrFail(Kind.TIMEOUT, 0, "no complete answer from " + endpoint.baseUrl() + " within "
            + endpoint.requestTimeout().toMillis() + " ms", e, null);
      } else if (e instanceof ConnectException) {
        retryOrFail(Kind.CONNECT, 0, "cannot connect to " + endpoint.baseUrl() + " (" + e + ")", e, null);
      } else if (e instanceof IOException) {
        retryOrFail(Kind.CONNECT, 0, "connection to " + endpoint.baseUrl() + " failed before the answer was complete ("
            + e + ")", e, null);
      } else {
        fail(new RemoteException(Kind.CONNECT, 0, attempts, "request to " + endpoint.baseUrl() + " failed: " + e, e));
      }
      return;
    }
    int status = resp.statusCode();
    if (status == 200) {
      try {
        Completion c = CompletionParser.parse(resp.body());
        tally.answered(c.usage());
        result.complete(c);
      } catch (CompletionParser.MalformedAnswerException e) {
        fail(new RemoteException(Kind.MALFORMED, status, attempts, endpoint.baseUrl() + "/v1/completions answered 200 but "
            + e.getMessage(), e));
      }
      return;
    }
    String what = "HTTP " + status + " from " + endpoint.baseUrl() + "/v1/completions, expected 200: "
        + CompletionParser.describe(resp.body());
    if (status == 429 || status >= 500) {
      retryOrFail(Kind.HTTP_STATUS, status, what, null, retryAfter(resp));
    } else {
      fail(new RemoteException(Kind.HTTP_STATUS, status, attempts, what, null));
    }
  }

  private void retryOrFail(Kind kind, int status, String what, Throwable cause, Duration retryAfter) {
    RetryPolicy p = endpoint.retry();
    if (attempts >= p.maxAttempts()) {
      fail(new RemoteException(kind, status, attempts, what + " (after " + attempts + " attempt"
          + (attempts == 1 ? "" : "s") + ")", cause));
      return;
    }
    if (retryAfter != null && retryAfter.compareTo(p.maxRetryAfter()) > 0) {
      fail(new RemoteException(kind, status, attempts, what + "; the server asked to retry after "
          + retryAfter.toSeconds() + " s, more than the " + p.maxRetryAfter().toSeconds() + " s allowed", cause));
      return;
    }
    Duration wait = p.delay(attempts, retryAfter, ThreadLocalRandom.current().nextDouble());
    tally.retry();
    CompletableFuture.runAsync(this::attempt, CompletableFuture.delayedExecutor(wait.toNanos(), TimeUnit.NANOSECONDS, executor))
        .exceptionally(t -> { // the client was closed while this call waited to retry
          fail(new RemoteException(kind, status, attempts, what + "; no retry: " + t, t));
          return null;
        });
  }

  private void fail(RemoteException e) {
    result.completeExceptionally(e);
  }

  /** Retry-After as seconds or an HTTP date; {@code null} when absent or unreadable. */
  static Duration retryAfter(HttpResponse<?> resp) {
    return resp.headers().firstValue("Retry-After").map(RemoteCall::parseRetryAfter).orElse(null);
  }

  static Duration parseRetryAfter(String v) {
    String s = v.trim();
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(s)));
    } catch (NumberFormatException notSeconds) {
      try {
        Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME));
        return d.isNegative() ? Duration.ZERO : d;
      } catch (RuntimeException notADate) {
        return null;
      }
    }
  }
}
