package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server through a plain HTTP client: answers equal the library's for the same seed; bad input gets a 4xx. */
class ServerHttpTest {
  static final String PROMPT = "numbers: 3 7 25 50 target: 85\n";
  static final String PROMPT_JSON = "\"numbers: 3 7 25 50 target: 85\\n\"";
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = new TestServer(Limits.defaults().withWorkers(2).withQueue(8).withMaxBodyBytes(4096).withMaxN(64), null);
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
  }

  static Path countdown(String name) {
    return Zoo.root().resolve("onnx-models/countdown/" + name);
  }

  @Test
  void healthAndModels() throws Exception {
    HttpResponse<String> h = s.get("/health");
    assertThat(h.statusCode()).isEqualTo(200);
    assertThat(TestServer.json(h).get("status").asText()).isEqualTo("ok");
    JsonNode models = TestServer.json(s.get("/v1/models"));
    assertThat(models.get("object").asText()).isEqualTo("list");
    List<String> ids = new ArrayList<>();
    models.get("data").forEach(m -> ids.add(m.get("id").asText() + ":" + m.get("kind").asText()));
    assertThat(ids).contains("countdown-policy:policy", "countdown-orm-cached:orm", "countdown-prm-cached:prm",
        "digits-denoiser:denoiser", "digits-classifier:classifier");
  }

  @Test
  void searchEqualsTheLibraryForTheSameSeed() throws Exception {
    HttpResponse<String> r = s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"n\": 4, \"seed\": 7}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = TestServer.json(r);
    try (LanguageModel policy = LanguageModel.load(countdown("policy"))) {
      SearchResult lib = Search.sample(policy).samples(4).seed(7).run(PROMPT);
      assertThat(texts(body.get("candidates"))).isEqualTo(lib.candidates().stream().map(Candidate::text).toList());
      assertThat(body.get("stats").get("policy_tokens").asLong()).isEqualTo(lib.stats().policyTokens());
      assertThat(body.get("candidates").get(0).get("logprob").asDouble()).isEqualTo(lib.best().logProb());
    }
  }

  @Test
  void concurrentRequestsOnTheSharedModelsGetTheirSequentialAnswers() throws Exception {
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 9; i++) { // 2 workers + 8 queued: all are admitted at once
      bodies.add(i % 3 == 0
          ? "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"algorithm\": \"smc\", \"n\": 4,"
              + " \"verifier\": \"countdown-prm-cached\", \"seed\": " + i + "}"
          : i % 3 == 1
          ? "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"algorithm\": \"bon\", \"n\": 4,"
              + " \"verifier\": \"countdown-orm-cached\", \"seed\": " + i + "}"
          : "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"n\": 3, \"seed\": " + i + "}");
    }
    List<List<String>> sequential = new ArrayList<>();
    for (String b : bodies) {
      sequential.add(texts(TestServer.json(s.post("/v1/search", b)).get("candidates")));
    }
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (String b : bodies) {
      futures.add(s.http.sendAsync(s.request("/v1/search").POST(HttpRequest.BodyPublishers.ofString(b)).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < bodies.size(); i++) {
      HttpResponse<String> r = futures.get(i).get();
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(texts(TestServer.json(r).get("candidates"))).as("request " + i).isEqualTo(sequential.get(i));
    }
  }

  @Test
  void bestOfNThroughTheOpenAiEndpointEqualsTheLibrary() throws Exception {
    HttpResponse<String> r = s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"seed\": 3, \"ponder\": {\"algorithm\": \"bon\", \"n\": 8, \"verifier\": \"countdown-orm-cached\"}}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = TestServer.json(r);
    try (LanguageModel policy = LanguageModel.load(countdown("policy"));
         OnnxOutcomeReward orm = OnnxOutcomeReward.load(countdown("orm-cached"))) {
      SearchResult lib = Search.bestOfN(policy, orm.asOutcomeScorer()).n(8).seed(3)
          .decoding(Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens())).run(PROMPT);
      assertThat(body.get("choices")).hasSize(1);
      assertThat(body.get("choices").get(0).get("text").asText()).isEqualTo(lib.best().text());
      assertThat(body.get("usage").get("prompt_tokens").asLong()).isEqualTo(lib.stats().promptTokens());
      assertThat(body.get("usage").get("completion_tokens").asLong()).isEqualTo(lib.stats().generatedTokens());
      assertThat(body.get("usage").get("policy_tokens").asLong()).isEqualTo(lib.stats().policyTokens());
    }
    assertThat(body.get("object").asText()).isEqualTo("text_completion");
    assertThat(body.get("ponder").get("algorithm").asText()).isEqualTo("bon");
  }

  @Test
  void chatWithoutATemplateIsTheMessagesJoinedByNewlines() throws Exception {
    JsonNode chat = TestServer.json(s.post("/v1/chat/completions", "{\"model\": \"countdown-policy\", \"messages\":"
        + " [{\"role\": \"user\", \"content\": \"numbers: 3 7 25 50 target: 85\"}], \"n\": 2, \"seed\": 11}"));
    JsonNode completion = TestServer.json(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": "
        + PROMPT_JSON + ", \"n\": 2, \"seed\": 11}"));
    assertThat(chat.get("object").asText()).isEqualTo("chat.completion");
    assertThat(chat.get("choices")).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(chat.get("choices").get(i).get("message").get("content").asText())
          .isEqualTo(completion.get("choices").get(i).get("text").asText());
      assertThat(chat.get("choices").get(i).get("message").get("role").asText()).isEqualTo("assistant");
    }
  }

  @Test
  void tokenLogprobsAddUpToTheSearchsTotalAndAreCountedInUsage() throws Exception {
    JsonNode r = TestServer.json(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": "
        + PROMPT_JSON + ", \"n\": 2, \"seed\": 7, \"max_tokens\": 12, \"logprobs\": 3}"));
    for (JsonNode c : r.get("choices")) {
      JsonNode lp = c.get("logprobs");
      assertThat(String.join("", asStrings(lp.get("tokens"))))
          .isEqualTo(c.get("text").asText());
      double sum = 0;
      for (int i = 0; i < lp.get("token_logprobs").size(); i++) {
        double x = lp.get("token_logprobs").get(i).asDouble();
        sum += x;
        JsonNode alts = lp.get("top_logprobs").get(i);
        assertThat(alts.size()).isEqualTo(3);
        double best = Double.NEGATIVE_INFINITY;
        for (JsonNode v : alts) {
          best = Math.max(best, v.asDouble());
        }
        assertThat(x).isLessThanOrEqualTo(best + 1e-9);
      }
      // Cut at 12 tokens (no end token): the tokens' log-probabilities add up to the candidate's total.
      assertThat(c.get("finish_reason").asText()).isEqualTo("length");
      assertThat(sum).isCloseTo(c.get("ponder").get("logprob").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
    }
    assertThat(r.get("usage").get("logprob_tokens").asLong()).isPositive();
    assertThat(r.get("usage").get("policy_tokens").asLong()).isEqualTo(
        r.get("ponder").get("stats").get("policy_tokens").asLong() + r.get("usage").get("logprob_tokens").asLong());
    assertError(s.post("/v1/chat/completions", "{\"model\": \"countdown-policy\", \"messages\": [{\"role\":"
        + " \"user\", \"content\": \"x\"}], \"top_logprobs\": 2}"), 400, "top_logprobs", "needs \"logprobs\": true");
    assertError(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"logprobs\": 6}"),
        400, "logprobs", "found 6");
  }

  static List<String> asStrings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(x -> out.add(x.asText()));
    return out;
  }

  @Test
  void stopStringsCutTheChoiceAndMaxTokensCapsIt() throws Exception {
    JsonNode stopped = TestServer.json(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": "
        + PROMPT_JSON + ", \"seed\": 7, \"stop\": [\"\\n\"]}"));
    String text = stopped.get("choices").get(0).get("text").asText();
    assertThat(text).doesNotContain("\n").isNotEmpty();
    assertThat(stopped.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
    // The stop ends generation, not just the returned text: the same draw without it runs on past the newline.
    JsonNode whole = TestServer.json(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": "
        + PROMPT_JSON + ", \"seed\": 7}"));
    String wholeText = whole.get("choices").get(0).get("text").asText();
    assertThat(wholeText).startsWith(text + "\n");
    assertThat(stopped.get("usage").get("completion_tokens").asInt())
        .isLessThan(whole.get("usage").get("completion_tokens").asInt());
    JsonNode capped = TestServer.json(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": "
        + PROMPT_JSON + ", \"seed\": 7, \"max_tokens\": 5}"));
    assertThat(capped.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
    assertThat(capped.get("choices").get(0).get("ponder").get("tokens").asInt()).isEqualTo(5);
  }

  @Test
  void aBudgetStopsTheSearchWithItsTypedReasonAndTheTraceComesBack() throws Exception {
    JsonNode cut = TestServer.json(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON
        + ", \"n\": 4, \"seed\": 7, \"budget\": {\"model_calls\": 3}}"));
    assertThat(cut.get("outcome").asText()).isEqualTo("budget_exhausted");
    assertThat(cut.get("stop_reason").get("type").asText()).isEqualTo("limit_reached");
    assertThat(cut.get("stop_reason").get("limit").asText()).isEqualTo("model_calls");
    assertThat(cut.get("stop_reason").get("allowed").asLong()).isEqualTo(3);
    assertThat(cut.get("stats").get("model_calls").asLong()).isLessThanOrEqualTo(4);
    JsonNode beam = TestServer.json(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": "
        + PROMPT_JSON + ", \"algorithm\": \"step-beam\", \"n\": 4, \"m\": 2, \"verifier\": \"countdown-prm-cached\","
        + " \"seed\": 7}"));
    assertThat(beam.get("stop_reason").get("type").asText()).isEqualTo("completed");
    assertThat(beam.get("trace").get("type").asText()).isEqualTo("tree");
    JsonNode root = beam.get("trace").get("nodes").get(0);
    assertThat(root.get("parent").asInt()).isEqualTo(-1);
    assertThat(beam.get("trace").get("nodes").size()).isGreaterThan(4);
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"budget\":"
        + " {\"model_calls\": 0}}"), 400, "budget.model_calls", "must be in [1, ");
  }

  @Test
  void autoSaysWhatItChoseAndWhyInItsTrace() throws Exception {
    JsonNode auto = TestServer.json(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": "
        + PROMPT_JSON + ", \"algorithm\": \"auto\", \"verifier\": \"countdown-orm-cached\", \"seed\": 7}"));
    JsonNode trace = auto.get("trace");
    assertThat(trace.get("type").asText()).isEqualTo("auto");
    assertThat(trace.get("chosen").asText()).matches("stop|bon-\\d+");
    assertThat(trace.get("reason").asText()).isNotBlank();
    assertThat(trace.get("probe_samples").asInt()).isEqualTo(8);
    assertThat(trace.get("best_score").asDouble()).isBetween(0.0, 1.0);
    assertThat(trace.get("inner").get("type").asText()).isEqualTo("none");
    assertThat(auto.get("candidates").size()).isEqualTo(trace.get("chosen").asText().equals("stop") ? 8 : 16);
  }

  @Test
  void streamSendsEveryEventThenTheSameResult() throws Exception {
    String req = "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"algorithm\": \"smc\", \"n\": 4,"
        + " \"verifier\": \"countdown-prm-cached\", \"seed\": 5";
    JsonNode plain = TestServer.json(s.post("/v1/search", req + "}"));
    HttpResponse<String> r = s.post("/v1/search", req + ", \"stream\": true}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
    List<String> names = new ArrayList<>();
    String result = null;
    for (String block : r.body().split("\n\n")) {
      String[] lines = block.split("\n");
      assertThat(lines[0]).startsWith("event: ");
      assertThat(lines[1]).startsWith("data: ");
      String name = lines[0].substring(7);
      names.add(name);
      JsonNode data = Json.MAPPER.readTree(lines[1].substring(6));
      if (!name.equals("result")) {
        assertThat(data.get("type").asText()).isEqualTo(name);
      } else {
        result = lines[1].substring(6);
      }
    }
    assertThat(names).contains("step", "score", "resample", "done");
    assertThat(names.get(names.size() - 1)).isEqualTo("result");
    assertThat(names.get(names.size() - 2)).isEqualTo("done");
    JsonNode streamed = Json.MAPPER.readTree(result);
    assertThat(texts(streamed.get("candidates"))).isEqualTo(texts(plain.get("candidates")));
    assertThat(streamed.get("log_z").asDouble()).isEqualTo(plain.get("log_z").asDouble());
  }

  @Test
  void openAiStreamEndsWithDoneAndUsage() throws Exception {
    HttpResponse<String> r = s.post("/v1/chat/completions", "{\"model\": \"countdown-policy\", \"messages\": [{\"role\":"
        + " \"user\", \"content\": \"numbers: 3 7 25 50 target: 85\"}], \"seed\": 7, \"stream\": true,"
        + " \"stream_options\": {\"include_usage\": true}}");
    List<String> data = new ArrayList<>();
    for (String block : r.body().split("\n\n")) {
      if (block.startsWith("data: ")) {
        data.add(block.substring(6));
      }
    }
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    JsonNode usage = Json.MAPPER.readTree(data.get(data.size() - 2));
    assertThat(usage.get("choices")).isEmpty();
    assertThat(usage.get("usage").get("completion_tokens").asInt()).isPositive();
    StringBuilder content = new StringBuilder();
    for (String d : data.subList(0, data.size() - 2)) {
      JsonNode chunk = Json.MAPPER.readTree(d);
      assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
      content.append(chunk.get("choices").get(0).get("delta").path("content").asText(""));
    }
    JsonNode plain = TestServer.json(s.post("/v1/chat/completions", "{\"model\": \"countdown-policy\", \"messages\":"
        + " [{\"role\": \"user\", \"content\": \"numbers: 3 7 25 50 target: 85\"}], \"seed\": 7}"));
    assertThat(content.toString()).isEqualTo(plain.get("choices").get(0).get("message").get("content").asText());
  }

  @Test
  void badInputGetsA4xxNamingWhatWasExpectedAndFound() throws Exception {
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"sampels\": 3}"), 400,
        "sampels", "unrecognized request argument 'sampels'");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"n\": \"many\"}"), 400,
        "n", "'n' must be an integer in [1, 64], found string \"many\"");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"n\": 65}"), 400,
        "n", "found 65");
    assertError(s.post("/v1/search", "{\"model\": \"gpt-4\", \"prompt\": \"x\"}"), 404, "model",
        "the model 'gpt-4' does not exist");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-orm\", \"prompt\": \"x\"}"), 400, "model",
        "'countdown-orm' is of kind orm");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"algorithm\": \"bon\"}"),
        400, "verifier", "countdown-orm-cached");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"algorithm\": \"smc\","
        + " \"verifier\": \"countdown-orm\"}"), 400, "verifier", "must name a model of kind prm");
    assertError(s.post("/v1/search", "{not json"), 400, null, "not valid JSON");
    assertError(s.post("/v1/search", "[1, 2]"), 400, null, "must be a JSON object, found array");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"" + "x".repeat(5000) + "\"}"),
        413, null, "the limit is 4096 bytes");
    assertError(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"temperature\": 3}"),
        400, "temperature", "must be in [0.0, 2.0], found 3.0");
    assertError(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"max_tokens\": 0}"),
        400, "max_tokens", "found 0");
    assertError(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"max_tokens\": 257}"),
        400, "max_tokens", "must be in [1, 256], found 257");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"budget\":"
        + " {\"deadline_ms\": 3600000}}"), 400, "budget.deadline_ms", "must be in [1, 60000], found 3600000");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"budget\":"
        + " {\"policy_tokens\": 10000000}}"), 400, "budget.policy_tokens", "must be in [1, 200000]");
    assertError(s.post("/v1/search", "{\"model\": \"digits-denoiser\", \"algorithm\": \"fk\", \"prompt\": \"x\","
        + " \"target_class\": 3, \"verifier\": \"digits-classifier\"}"), 400, "prompt", "leave 'prompt' out");
    assertError(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"logprobs\": 2.5}"),
        400, "logprobs", "must be an integer in [0, 5], found number 2.5");
    assertError(s.post("/v1/completions", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"ponder\":"
        + " {\"algoritm\": \"smc\"}}"), 400, "ponder.algoritm", "unrecognized");
    assertError(s.post("/v1/chat/completions", "{\"model\": \"countdown-policy\", \"messages\": []}"), 400,
        "messages", "non-empty array");
    assertError(s.post("/v1/chat/completions", "{\"model\": \"countdown-policy\", \"messages\": [{\"role\":"
        + " \"robot\", \"content\": \"hi\"}]}"), 400, "messages[0].role", "found string \"robot\"");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"algorithm\": \"mcts\","
        + " \"verifier\": \"checker\"}"), 404, "verifier", "served prm models: [countdown-prm, countdown-prm-cached]");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"algorithm\": \"greedy\","
        + " \"n\": 3}"), 400, "n", "'greedy' decodes one text");
    assertError(s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\", \"algorithm\": \"beam\","
        + " \"n\": 30}"), 400, "n", "fewer beams than the model's vocabulary (30 tokens)");
    // 'x' is not in the Countdown vocabulary: the engine refuses it; the message names the model, not its folder.
    HttpResponse<String> unknownChar = s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \"x\"}");
    assertError(unknownChar, 400, "prompt", "cannot encode 1 character(s) of the text: 'x'");
    assertThat(unknownChar.body()).contains("[model countdown-policy]").doesNotContain("/tmp", "ponder-models-");
    assertError(s.get("/v1/search"), 405, null, "/v1/search expects POST, found GET");
    assertError(s.get("/v2/nothing"), 404, null, "no route GET /v2/nothing");
    // A prompt longer than the model's 128 positions: the engine's own check, as a 400.
    HttpResponse<String> tooLong = s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": \""
        + "1 ".repeat(200) + "\"}");
    assertThat(tooLong.statusCode()).as(tooLong.body()).isEqualTo(400);
  }

  private static void assertError(HttpResponse<String> r, int status, String param, String message)
      throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode err = TestServer.json(r).get("error");
    assertThat(err.get("message").asText()).contains(message);
    assertThat(err.get("type").asText()).isNotEmpty();
    if (param == null) {
      assertThat(err.get("param").isNull()).isTrue();
    } else {
      assertThat(err.get("param").asText()).isEqualTo(param);
    }
    assertThat(r.body()).doesNotContain("Exception", "\tat ");
  }

  @Test
  void aClientThatLeavesAStreamCancelsItsSearch() throws Exception {
    HttpRequest req = s.request("/v1/search").POST(HttpRequest.BodyPublishers.ofString("{\"model\":"
        + " \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"algorithm\": \"mcts\", \"n\": 64, \"m\": 8,"
        + " \"verifier\": \"countdown-prm-cached\", \"seed\": 1, \"stream\": true}")).build();
    double before = counter("ponder_searches_total{algorithm=\"mcts\",outcome=\"cancelled\"}");
    HttpResponse<InputStream> r = s.http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      assertThat(in.readLine()).startsWith("event: ");
    }
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (counter("ponder_searches_total{algorithm=\"mcts\",outcome=\"cancelled\"}") == before
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(counter("ponder_searches_total{algorithm=\"mcts\",outcome=\"cancelled\"}")).isEqualTo(before + 1);
  }

  @Test
  void aClientThatClosesItsConnectionCancelsAPlainSearch() throws Exception {
    String body = "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"algorithm\": \"mcts\","
        + " \"n\": 64, \"m\": 8, \"verifier\": \"countdown-prm-cached\", \"seed\": 4}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String series = "ponder_searches_total{algorithm=\"mcts\",outcome=\"cancelled\"}";
    double before = counter(series);
    double failedBefore = counter("ponder_searches_total{algorithm=\"mcts\",outcome=\"failed\"}");
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.server.port())) {
      var out = socket.getOutputStream();
      out.write(("POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
          + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
      Thread.sleep(300); // the search is under way (it takes seconds)
    }
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (counter(series) == before && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(counter(series)).isEqualTo(before + 1);
    assertThat(counter("ponder_searches_total{algorithm=\"mcts\",outcome=\"failed\"}")).isEqualTo(failedBefore);
  }

  @Test
  void metricsCountRequestsSearchesTokensAndQueue() throws Exception {
    s.post("/v1/search", "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"seed\": 1}");
    String m = s.get("/metrics").body();
    assertThat(m).contains("ponder_http_requests_seconds_bucket{method=\"POST\",route=\"/v1/search\",status=\"200\"",
        "ponder_searches_total{algorithm=\"sample\",outcome=\"completed\"}", "ponder_tokens_total{kind=\"policy\"}",
        "ponder_queue_depth ", "ponder_search_duration_seconds_bucket");
    assertThat(counter("ponder_tokens_total{kind=\"policy\"}")).isPositive();
  }

  static double counter(String series) throws Exception {
    for (String line : s.get("/metrics").body().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1));
      }
    }
    return 0;
  }

  static List<String> texts(JsonNode candidates) {
    List<String> out = new ArrayList<>();
    candidates.forEach(c -> out.add(c.get("text").asText()));
    return out;
  }
}
