package dev.ponder.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Faults between the client and the engine: each ends in an answer or a clear error, promptly, nothing left open. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CompletionClientFaultsTest {
  private static final String OK = "{\"choices\":[{\"text\":\"75\",\"index\":0,\"finish_reason\":\"length\","
      + "\"logprobs\":{\"content\":[{\"id\":13,\"token\":\"7\",\"logprob\":-0.1},{\"id\":12,\"token\":\"5\",\"logprob\":-0.2}]}}],"
      + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":4}}}";
  private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(80), Duration.ofSeconds(2));

  private MockWebServer server;
  private CompletionClient client;

  @BeforeEach
  void start() throws Exception {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      assertThat(client.outstandingCalls()).as("calls left outstanding").isZero();
      client.close();
    }
    server.close();
  }

  private CompletionClient client(RetryPolicy retry, Duration requestTimeout) {
    RemoteEndpoint ep = RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "countdown")
        .withRetry(retry).withTimeouts(Duration.ofSeconds(1), requestTimeout);
    client = new CompletionClient(ep);
    return client;
  }

  private static CompletionRequest request() {
    return new CompletionRequest(new int[] {8, 9, 10}, null, 2, List.of("\n"), 1.0, 1.0, 42, 1);
  }

  private static MockResponse ok() {
    return new MockResponse.Builder().code(200).body(OK).build();
  }

  @Test
  void sendsIdsAndSamplingParamsAndReadsTheAnswer() throws Exception {
    server.enqueue(ok());
    Completion c = client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false);
    assertThat(c.text()).isEqualTo("75");
    assertThat(c.tokenIds()).containsExactly(13, 12);
    assertThat(c.usage()).isEqualTo(new Usage(5, 4, 2, true));
    String sent = server.takeRequest().getBody().utf8();
    assertThat(sent).contains("\"prompt\":[8,9,10]", "\"max_tokens\":2", "\"stop\":[\"\\n\"]", "\"seed\":42",
        "\"temperature\":1.0", "\"top_p\":1.0", "\"top_k\":0", "\"min_p\":0.0", "\"logprobs\":1", "\"model\":\"countdown\"");
    assertThat(client.tally().attempts()).isEqualTo(1);
    assertThat(client.tally().cachedPromptTokens()).isEqualTo(4);
  }

  @Test
  void connectionsAreReusedAcrossRequests() throws Exception {
    server.enqueue(ok());
    server.enqueue(ok());
    CompletionClient c = client(FAST, Duration.ofSeconds(5));
    c.complete(request(), () -> false);
    c.complete(request(), () -> false);
    mockwebserver3.RecordedRequest first = server.takeRequest();
    mockwebserver3.RecordedRequest second = server.takeRequest();
    assertThat(second.getConnectionIndex()).as("same connection").isEqualTo(first.getConnectionIndex());
    assertThat(second.getExchangeIndex()).isEqualTo(first.getExchangeIndex() + 1);
  }

  @Test
  void retries429HonouringRetryAfter() {
    server.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", "1").body("slow down").build());
    server.enqueue(ok());
    long t0 = System.nanoTime();
    Completion c = client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false);
    long waited = System.nanoTime() - t0;
    assertThat(c.text()).isEqualTo("75");
    assertThat(waited).as("waited for Retry-After: 1").isGreaterThanOrEqualTo(Duration.ofMillis(950).toNanos());
    assertThat(client.tally().retries()).isEqualTo(1);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void aRetryAfterLongerThanAllowedEndsAtOnceNamingIt() {
    server.enqueue(new MockResponse.Builder().code(503).setHeader("Retry-After", "120").build());
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false))
        .isInstanceOfSatisfying(RemoteException.class, e -> {
          assertThat(e.kind()).isEqualTo(RemoteException.Kind.HTTP_STATUS);
          assertThat(e.status()).isEqualTo(503);
        })
        .hasMessageContaining("retry after 120 s, more than the 2 s allowed");
    assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(2).toNanos());
  }

  @Test
  void retries5xxWithBackoffThenGivesUpNamingStatusAndAttempts() {
    for (int i = 0; i < 3; i++) {
      server.enqueue(new MockResponse.Builder().code(502).body("bad gateway").build());
    }
    assertThatThrownBy(() -> client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false))
        .isInstanceOfSatisfying(RemoteException.class, e -> {
          assertThat(e.kind()).isEqualTo(RemoteException.Kind.HTTP_STATUS);
          assertThat(e.status()).isEqualTo(502);
          assertThat(e.attempts()).isEqualTo(3);
        })
        .hasMessageContaining("HTTP 502").hasMessageContaining("expected 200").hasMessageContaining("bad gateway")
        .hasMessageContaining("after 3 attempts");
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void a5xxThenSuccessIsAnAnswer() {
    server.enqueue(new MockResponse.Builder().code(500).build());
    server.enqueue(new MockResponse.Builder().code(503).build());
    server.enqueue(ok());
    assertThat(client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false).text()).isEqualTo("75");
    assertThat(client.tally().attempts()).isEqualTo(3);
  }

  @Test
  void a4xxIsNotRetried() {
    server.enqueue(new MockResponse.Builder().code(400).body("{\"error\":\"bad prompt\"}").build());
    assertThatThrownBy(() -> client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false))
        .isInstanceOfSatisfying(RemoteException.class, e -> assertThat(e.attempts()).isEqualTo(1))
        .hasMessageContaining("HTTP 400").hasMessageContaining("bad prompt");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void connectionRefusedIsRetriedThenReported() throws Exception {
    int port = server.getPort();
    server.close(); // nothing listens there now
    RemoteEndpoint ep = RemoteEndpoint.of("http://127.0.0.1:" + port, "countdown").withRetry(FAST);
    try (CompletionClient c = new CompletionClient(ep)) {
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> c.complete(request(), () -> false))
          .isInstanceOfSatisfying(RemoteException.class, e -> {
            assertThat(e.kind()).isEqualTo(RemoteException.Kind.CONNECT);
            assertThat(e.attempts()).isEqualTo(3);
          })
          .hasMessageContaining("cannot connect to http://127.0.0.1:" + port);
      assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(5).toNanos());
      assertThat(c.outstandingCalls()).isZero();
    }
  }

  @Test
  void aSlowAnswerTimesOut() {
    server.enqueue(new MockResponse.Builder().code(200).body(OK).headersDelay(5, TimeUnit.SECONDS).build());
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> client(RetryPolicy.none(), Duration.ofMillis(300)).complete(request(), () -> false))
        .isInstanceOfSatisfying(RemoteException.class, e -> assertThat(e.kind()).isEqualTo(RemoteException.Kind.TIMEOUT))
        .hasMessageContaining("within 300 ms");
    assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(3).toNanos());
  }

  @Test
  void malformedJsonIsReportedWithWhatWasFoundAndNotRetried() {
    server.enqueue(new MockResponse.Builder().code(200).body("<html>oops</html>").build());
    assertThatThrownBy(() -> client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false))
        .isInstanceOfSatisfying(RemoteException.class, e -> assertThat(e.kind()).isEqualTo(RemoteException.Kind.MALFORMED))
        .hasMessageContaining("expected a JSON object").hasMessageContaining("<html>oops</html>");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void truncatedJsonIsMalformed() {
    server.enqueue(new MockResponse.Builder().code(200).body(OK.substring(0, OK.length() / 2)).build());
    assertThatThrownBy(() -> client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false))
        .isInstanceOfSatisfying(RemoteException.class, e -> assertThat(e.kind()).isEqualTo(RemoteException.Kind.MALFORMED))
        .hasMessageContaining("expected a JSON object");
  }

  @Test
  void aWellFormedAnswerMissingAFieldNamesIt() {
    server.enqueue(new MockResponse.Builder().code(200).body("{\"choices\":[{\"text\":\"7\",\"finish_reason\":\"stop\"}]}").build());
    assertThatThrownBy(() -> client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false))
        .hasMessageContaining("expected an object 'usage' with prompt_tokens and completion_tokens, found nothing");
  }

  @Test
  void aBodyCutMidwayIsRetried() {
    server.enqueue(new MockResponse.Builder().code(200).body(OK).throttleBody(20, 0, TimeUnit.MILLISECONDS)
        .onResponseBody(SocketEffect.ShutdownConnection.INSTANCE).build());
    server.enqueue(ok());
    Completion c = client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false);
    assertThat(c.text()).isEqualTo("75");
    assertThat(client.tally().retries()).isEqualTo(1);
  }

  @Test
  void aBodyCutMidwayEveryTimeIsAClearError() {
    for (int i = 0; i < 3; i++) {
      server.enqueue(new MockResponse.Builder().code(200).body(OK).throttleBody(20, 0, TimeUnit.MILLISECONDS)
          .onResponseBody(SocketEffect.ShutdownConnection.INSTANCE).build());
    }
    assertThatThrownBy(() -> client(FAST, Duration.ofSeconds(5)).complete(request(), () -> false))
        .isInstanceOfSatisfying(RemoteException.class, e -> assertThat(e.attempts()).isEqualTo(3))
        .hasMessageContaining("before the answer was complete");
  }

  @Test
  void stoppingCancelsTheRequestsInFlightPromptly() {
    for (int i = 0; i < 4; i++) {
      server.enqueue(new MockResponse.Builder().code(200).body(OK).headersDelay(10, TimeUnit.SECONDS).build());
    }
    CompletionClient c = client(FAST, Duration.ofSeconds(30));
    long t0 = System.nanoTime();
    CompletionClient.Round r = c.completeAll(List.of(request(), request(), request(), request()),
        () -> System.nanoTime() - t0 > Duration.ofMillis(200).toNanos());
    long took = System.nanoTime() - t0;
    assertThat(r.stopped()).isTrue();
    assertThat(r.completions()).containsOnlyNulls();
    assertThat(took).isLessThan(Duration.ofSeconds(2).toNanos());
    assertThat(c.tally().cancelledRequests()).isEqualTo(4);
  }

  @Test
  void anInterruptCancelsTheRoundAndStaysSet() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).body(OK).headersDelay(10, TimeUnit.SECONDS).build());
    CompletionClient c = client(FAST, Duration.ofSeconds(30));
    AtomicBoolean stoppedAndInterrupted = new AtomicBoolean();
    Thread t = new Thread(() -> {
      CompletionClient.Round r = c.completeAll(List.of(request()), () -> false);
      stoppedAndInterrupted.set(r.stopped() && Thread.currentThread().isInterrupted());
    });
    t.start();
    Thread.sleep(200);
    t.interrupt();
    t.join(2_000);
    assertThat(t.isAlive()).isFalse();
    assertThat(stoppedAndInterrupted).isTrue();
  }

  @Test
  void oneFailedRequestCancelsTheRestOfItsRound() {
    server.setDispatcher(new mockwebserver3.Dispatcher() {
      @Override
      public MockResponse dispatch(mockwebserver3.RecordedRequest request) {
        return request.getBody().utf8().contains("\"seed\":1,")
            ? new MockResponse.Builder().code(400).body("no").build()
            : new MockResponse.Builder().code(200).body(OK).headersDelay(10, TimeUnit.SECONDS).build();
      }
    });
    CompletionClient c = client(FAST, Duration.ofSeconds(30));
    CompletionRequest slow = request();
    CompletionRequest bad = new CompletionRequest(new int[] {8}, null, 2, List.of("\n"), 1.0, 1.0, 1, 1);
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> c.completeAll(List.of(slow, bad, slow), () -> false)).hasMessageContaining("HTTP 400");
    assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(3).toNanos());
    assertThat(c.tally().cancelledRequests()).isEqualTo(2);
  }

  @Test
  void theApiKeyGoesAsABearerTokenAndNeverIntoToString() throws Exception {
    server.enqueue(ok());
    RemoteEndpoint ep = RemoteEndpoint.of("http://127.0.0.1:" + server.getPort(), "m").withApiKey("sekrit");
    try (CompletionClient c = new CompletionClient(ep)) {
      c.complete(request(), () -> false);
    }
    assertThat(server.takeRequest().getHeaders().get("Authorization")).isEqualTo("Bearer sekrit");
    assertThat(ep.toString()).doesNotContain("sekrit");
  }
}
