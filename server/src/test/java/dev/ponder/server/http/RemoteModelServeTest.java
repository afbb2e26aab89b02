package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.remote.CompletionClient;
import dev.ponder.remote.EngineDialect;
import dev.ponder.remote.RemoteDecoding;
import dev.ponder.remote.RemoteEndpoint;
import dev.ponder.remote.RemoteHypothesis;
import dev.ponder.remote.RemoteProcess;
import dev.ponder.remote.RetryPolicy;
import dev.ponder.samplers.Search;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.verifiers.Verifier.VerifierInput;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A server that serves another server's policy under a model id ({@code --remote-model}): the engine is one
 * {@code PonderServer} on the embedded models, the front is a second one with the remote policy, a PRM and an id
 * whose engine is down.
 */
class RemoteModelServeTest {
  static final String PROMPT = "numbers: 3 7 25 50 target: 85\n";
  static final String PROMPT_JSON = "\"numbers: 3 7 25 50 target: 85\\n\"";
  static TestServer engine;
  static PonderServer front;
  static int frontPort;
  static java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    engine = new TestServer(Limits.defaults().withWorkers(2).withQueue(64).withMaxN(64), null);
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort(); // closed again: nothing listens there
    }
    RemoteModel remote = new RemoteModel("remote-policy", engineEndpoint());
    RemoteModel down = new RemoteModel("down-policy", RemoteEndpoint.of("http://127.0.0.1:" + deadPort, "x")
        .withDialect(EngineDialect.TEXT).withRetry(RetryPolicy.none()));
    RemoteModel grouped = new RemoteModel("grouped-policy", engineEndpoint(), 16);
    ModelRegistry models = ModelRegistry.load(Map.of("countdown-prm-cached",
        engine.embedded.directories().get("countdown-prm-cached")), List.of(remote, down, grouped),
        ModelOptions.cpu().withThreads(1, 1));
    front = PonderServer.start("127.0.0.1", 0, ApiKey.none(), Limits.defaults().withWorkers(2).withMaxN(64), models);
    frontPort = front.port();
  }

  @AfterAll
  static void stop() throws Exception {
    front.close();
    engine.close();
  }

  static RemoteEndpoint engineEndpoint() {
    return RemoteEndpoint.of("http://127.0.0.1:" + engine.server.port(), "countdown-policy")
        .withDialect(EngineDialect.TEXT);
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + frontPort + path))
        .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aSeededBestOfNOverTheRemoteIdAnswersAsTheDirectRemoteSearch() throws Exception {
    HttpResponse<String> r = post("/v1/search", "{\"model\": \"remote-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"algorithm\": \"bon\", \"n\": 8, \"verifier\": \"checker\", \"seed\": 3, \"max_new_tokens\": 72}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode served = TestServer.json(r).get("candidates");

    CountdownChecker checker = CountdownChecker.create();
    OutcomeScorer<RemoteHypothesis> exact = (hs, ctx) -> checker.score(
        hs.stream().map(h -> VerifierInput.of(PROMPT, h.text())).toList(), ctx);
    SearchResult direct;
    try (CompletionClient client = new CompletionClient(engineEndpoint());
         RemoteProcess process = RemoteProcess.open(client, PROMPT, RemoteDecoding.whole(72))) {
      direct = Search.bestOfN(exact).n(8).seed(3).run(process);
    }
    List<String> servedTexts = new ArrayList<>();
    served.forEach(c -> servedTexts.add(c.get("text").asText()));
    assertThat(servedTexts).hasSize(8)
        .containsExactlyElementsOf(direct.candidates().stream().map(c -> c.text()).toList());
    assertThat(served.get(0).get("score").asDouble()).isEqualTo(direct.candidates().get(0).score());
  }

  @Test
  void aGroupedRemoteIdSendsBestOfNAsOneRequest() throws Exception {
    HttpResponse<String> r = post("/v1/search", "{\"model\": \"grouped-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"algorithm\": \"bon\", \"n\": 8, \"verifier\": \"checker\", \"seed\": 3, \"max_new_tokens\": 72}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = TestServer.json(r);
    assertThat(body.get("candidates")).hasSize(8);
    assertThat(body.get("stats").get("model_calls").asLong()).as("one request with n=8").isEqualTo(1);
    java.util.Set<String> texts = new java.util.HashSet<>();
    body.get("candidates").forEach(c -> texts.add(c.get("text").asText()));
    assertThat(texts.size()).as("the engine's 8 choices are distinct samples").isGreaterThan(1);
    HttpResponse<String> again = post("/v1/search", "{\"model\": \"grouped-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"algorithm\": \"bon\", \"n\": 8, \"verifier\": \"checker\", \"seed\": 3, \"max_new_tokens\": 72}");
    assertThat(TestServer.json(again).get("candidates")).as("same seed, same answer").isEqualTo(body.get("candidates"));
  }

  @Test
  void aGroupedStepBeamSendsFewerRequestsThanHypothesisSteps() throws Exception {
    String req = ", \"prompt\": " + PROMPT_JSON + ", \"algorithm\": \"step-beam\", \"n\": 4, \"m\": 2,"
        + " \"verifier\": \"countdown-prm-cached\", \"seed\": 2, \"max_new_tokens\": 72}";
    JsonNode grouped = TestServer.json(post("/v1/search", "{\"model\": \"grouped-policy\"" + req));
    JsonNode single = TestServer.json(post("/v1/search", "{\"model\": \"remote-policy\"" + req));
    assertThat(grouped.get("outcome").asText()).isEqualTo("completed");
    assertThat(grouped.get("stats").get("model_calls").asLong())
        .isLessThan(single.get("stats").get("model_calls").asLong());
  }

  @Test
  void stepBeamOverTheRemoteIdIsScoredByTheLocalPrm() throws Exception {
    HttpResponse<String> r = post("/v1/search", "{\"model\": \"remote-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"algorithm\": \"step-beam\", \"n\": 4, \"m\": 2, \"verifier\": \"countdown-prm-cached\", \"seed\": 1,"
        + " \"max_new_tokens\": 72}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = TestServer.json(r);
    assertThat(body.get("outcome").asText()).isEqualTo("completed");
    assertThat(body.get("stats").get("verifier_calls").asLong()).isPositive();
    assertThat(body.get("candidates").get(0).get("text").asText()).contains("\n");
  }

  @Test
  void theOpenAiCompletionsEndpointSamplesTheRemoteId() throws Exception {
    HttpResponse<String> r = post("/v1/completions", "{\"model\": \"remote-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"n\": 2, \"seed\": 5, \"max_tokens\": 40}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = TestServer.json(r);
    assertThat(body.get("choices")).hasSize(2);
    assertThat(body.get("usage").get("completion_tokens").asLong()).isPositive();
  }

  @Test
  void modelsListsTheRemoteIdByItsKind() throws Exception {
    HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + frontPort + "/v1/models/remote-policy")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(TestServer.json(r).get("kind").asText()).isEqualTo("remote-policy");
  }

  @Test
  void combinationsTheRemoteCannotServeAre400sThatSayWhy() throws Exception {
    HttpResponse<String> beam = post("/v1/search", "{\"model\": \"remote-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"algorithm\": \"beam\", \"n\": 2}");
    assertThat(beam.statusCode()).isEqualTo(400);
    assertThat(beam.body()).contains("token-level beam search", "step-beam");
    HttpResponse<String> logprobs = post("/v1/completions", "{\"model\": \"remote-policy\", \"prompt\": "
        + PROMPT_JSON + ", \"logprobs\": 1}");
    assertThat(logprobs.statusCode()).isEqualTo(400);
    assertThat(logprobs.body()).contains("'logprobs' is not supported for the remote policy 'remote-policy'");
    HttpResponse<String> chat = post("/v1/chat/completions", "{\"model\": \"remote-policy\", \"messages\":"
        + " [{\"role\": \"user\", \"content\": \"hi\"}]}");
    assertThat(chat.statusCode()).isEqualTo(400);
    assertThat(chat.body()).contains("remote policy", "/v1/completions");
    HttpResponse<String> topK = post("/v1/search", "{\"model\": \"remote-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"top_k\": 5}");
    assertThat(topK.statusCode()).isEqualTo(400);
    assertThat(topK.body()).contains("'top_k' is not supported");
  }

  @Test
  void anEngineThatIsDownIsA502NamingTheModelNotItsAddress() throws Exception {
    HttpResponse<String> r = post("/v1/search", "{\"model\": \"down-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"n\": 2, \"seed\": 1}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
    JsonNode error = TestServer.json(r).get("error");
    assertThat(error.get("code").asText()).isEqualTo("remote_engine_error");
    assertThat(error.get("message").asText()).contains("the engine behind the remote policy 'down-policy' failed")
        .contains("[engine of down-policy]").doesNotContain("127.0.0.1").doesNotContain("at java.");
  }

  @Test
  void anIdTakenTwiceIsRefusedNamingIt() {
    RemoteModel a = new RemoteModel("countdown-prm-cached", engineEndpoint());
    assertThatThrownBy(() -> ModelRegistry.load(Map.of("countdown-prm-cached",
        engine.embedded.directories().get("countdown-prm-cached")), List.of(a), ModelOptions.cpu()))
        .hasMessageContaining("the id 'countdown-prm-cached' is already taken");
  }

  @Test
  void theOptionIsReadStrictlyAndTheKeyComesFromTheEnvironment() {
    assertThatThrownBy(() -> RemoteModel.parse("x=localhost:8080#m", EngineDialect.TEXT, null, v -> null))
        .hasMessageContaining("expected ID=URL#NAME").hasMessageContaining("found 'x=localhost:8080#m'");
    assertThatThrownBy(() -> RemoteModel.parse("x=http://h:1#m", EngineDialect.TEXT, "KEY_VAR", v -> null))
        .hasMessageContaining("--remote-api-key-env names KEY_VAR, which is not set");
    try (RemoteModel m = RemoteModel.parse("x=http://h:1/base#org/m", EngineDialect.TEXT, "KEY_VAR",
        v -> v.equals("KEY_VAR") ? "sekret" : null)) {
      assertThat(m.id()).isEqualTo("x");
      assertThat(m.endpoint().model()).isEqualTo("org/m");
      assertThat(m.endpoint().apiKey()).isEqualTo("sekret");
      assertThat(m.endpoint().toString()).doesNotContain("sekret");
    }
  }
}
