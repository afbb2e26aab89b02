package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The API key, the bounded queue (429 with Retry-After) and the loopback rule. */
class GuardsTest {

  @Test
  void apiKeyIsComparedWhole() {
    ApiKey key = ApiKey.of("s3cret-key");
    assertThat(key.accepts("Bearer s3cret-key")).isTrue();
    assertThat(key.accepts("bearer s3cret-key")).isTrue();
    assertThat(key.accepts("Bearer s3cret-ke")).isFalse();
    assertThat(key.accepts("Bearer s3cret-key2")).isFalse();
    assertThat(key.accepts("s3cret-key")).isFalse();
    assertThat(key.accepts(null)).isFalse();
    assertThat(ApiKey.none().accepts(null)).isTrue();
  }

  @Test
  void beyondLoopbackNeedsAKey() {
    assertThatThrownBy(() -> PonderServer.start("0.0.0.0", 0, ApiKey.none(), Limits.defaults(), null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs an API key");
  }

  @Test
  void withAKeyEveryRouteButHealthAsksForIt() throws Exception {
    try (TestServer s = new TestServer(Limits.defaults(), "k-123")) {
      HttpResponse<String> anonymous = s.http.send(HttpRequest.newBuilder(s.uri("/v1/models")).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("www-authenticate")).hasValue("Bearer");
      assertThat(TestServer.json(anonymous).get("error").get("code").asText()).isEqualTo("invalid_api_key");
      HttpResponse<String> wrong = s.http.send(HttpRequest.newBuilder(s.uri("/metrics"))
          .header("Authorization", "Bearer k-124").GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(s.get("/v1/models").statusCode()).isEqualTo(200);
      assertThat(s.http.send(HttpRequest.newBuilder(s.uri("/health")).GET().build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aFullQueueAnswers429WithRetryAfter() throws Exception {
    try (TestServer s = new TestServer(Limits.defaults().withWorkers(1).withQueue(0), null)) {
      // One long streaming search holds the only worker; once its first event arrives it is surely running.
      HttpRequest longOne = s.request("/v1/search").POST(HttpRequest.BodyPublishers.ofString("{\"model\":"
          + " \"countdown-policy\", \"prompt\": \"numbers: 3 7 25 50 target: 85\\n\", \"algorithm\": \"mcts\","
          + " \"n\": 64, \"m\": 8, \"verifier\": \"countdown-prm-cached\", \"stream\": true}")).build();
      HttpResponse<InputStream> running = s.http.send(longOne, HttpResponse.BodyHandlers.ofInputStream());
      try (BufferedReader in = new BufferedReader(new InputStreamReader(running.body(), StandardCharsets.UTF_8))) {
        assertThat(in.readLine()).startsWith("event: ");
        HttpResponse<String> refused = s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\":"
            + " \"numbers: 1 2 3 4 target: 10\\n\"}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
        assertThat(TestServer.json(refused).get("error").get("message").asText())
            .contains("the server is busy: 1 searches running and 0 waiting");
        // Quick routes do not queue behind searches.
        assertThat(s.get("/health").statusCode()).isEqualTo(200);
      }
    }
  }
}
