package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.GeneratorModel;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.noise.NoiseOptimizer;
import dev.ponder.verifiers.onnx.ImageClassifier;
import dev.ponder.verifiers.onnx.OnnxRewardGradient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The digit searches through /v1/search: ReNO and zero-order noise search on the one-step generator equal the
 * library's for the same seed, and a streamed Feynman-Kac search sends every particle's image after every step
 * without changing its result.
 */
class DigitsSearchHttpTest {
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = new TestServer(Limits.defaults().withWorkers(1).withQueue(4), null);
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
  }

  static Path digits(String name) {
    return Zoo.root().resolve("onnx-models/digits/" + name);
  }

  @Test
  void renoEqualsTheLibraryForTheSameSeed() throws Exception {
    JsonNode body = ok(s.post("/v1/search", "{\"model\": \"digits-generator\", \"algorithm\": \"reno\", \"n\": 2,"
        + " \"steps\": 4, \"target_class\": 3, \"verifier\": \"digits-reward-grad\", \"seed\": 11}"));
    try (GeneratorModel generator = GeneratorModel.load(digits("generator"));
        OnnxRewardGradient reward = OnnxRewardGradient.load(digits("reward-grad"))) {
      SearchResult lib = Search.reno(generator, reward.forClass(3)).restarts(2).iterations(4)
          .optimizer(NoiseOptimizer.sgdNesterov(5.0, 0.9)).seed(11).run();
      assertThat(body.get("candidates").get(0).get("score").asDouble()).isEqualTo(lib.best().score());
      assertThat(body.get("stats").get("model_calls").asLong()).isEqualTo(lib.stats().modelCalls());
      assertThat(body.get("trace").get("type").asText()).isEqualTo("iterates");
      assertThat(body.get("trace").get("iterates")).hasSize(4);
    }
  }

  @Test
  void zeroOrderEqualsTheLibraryForTheSameSeed() throws Exception {
    JsonNode body = ok(s.post("/v1/search", "{\"model\": \"digits-generator\", \"algorithm\": \"zero-order\","
        + " \"n\": 2, \"m\": 3, \"steps\": 3, \"target_class\": 5, \"verifier\": \"digits-classifier\", \"seed\": 4}"));
    try (GeneratorModel generator = GeneratorModel.load(digits("generator"));
        ImageClassifier classifier = ImageClassifier.load(digits("classifier"))) {
      SearchResult lib = Search.zeroOrder(generator, classifier.through(generator, 5)).restarts(2).rounds(3)
          .neighbours(3).cosine(0.95).seed(4).run();
      assertThat(body.get("candidates").get(0).get("score").asDouble()).isEqualTo(lib.best().score());
      assertThat(body.get("stats").get("verifier_calls").asLong()).isEqualTo(lib.stats().verifierCalls());
    }
  }

  @Test
  void aStreamedFeynmanKacSearchSendsEachParticlesImageAfterEveryStep() throws Exception {
    String req = "{\"model\": \"digits-denoiser\", \"algorithm\": \"fk\", \"n\": 3, \"steps\": 5, \"target_class\": 2,"
        + " \"verifier\": \"digits-classifier\", \"seed\": 8";
    JsonNode plain = ok(s.post("/v1/search", req + "}"));
    HttpResponse<String> r = s.post("/v1/search", req + ", \"stream\": true}");
    assertThat(r.statusCode()).isEqualTo(200);
    List<JsonNode> previews = new ArrayList<>();
    JsonNode result = null;
    for (String block : r.body().split("\n\n")) {
      String[] lines = block.split("\n");
      JsonNode data = Json.MAPPER.readTree(lines[1].substring(6));
      if (lines[0].equals("event: preview")) {
        previews.add(data);
      } else if (lines[0].equals("event: result")) {
        result = data;
      }
    }
    assertThat(previews).hasSize(3 * 5);
    assertThat(previews.stream().map(p -> p.get("step").asInt()).distinct().sorted().toList())
        .containsExactly(1, 2, 3, 4, 5);
    byte[] last = Base64.getDecoder().decode(previews.get(previews.size() - 1).get("pixels").asText());
    assertThat(last).hasSize(plain.get("candidates").get(0).get("sample").size());
    assertThat(result).isNotNull();
    assertThat(result.get("candidates").get(0).get("score").asDouble())
        .isEqualTo(plain.get("candidates").get(0).get("score").asDouble());
    assertThat(result.get("log_z").asDouble()).isEqualTo(plain.get("log_z").asDouble());
  }

  @Test
  void noiseSearchesNameWhatTheyNeed() throws Exception {
    HttpResponse<String> noTarget = s.post("/v1/search", "{\"model\": \"digits-generator\", \"algorithm\": \"reno\","
        + " \"verifier\": \"digits-reward-grad\"}");
    assertThat(noTarget.statusCode()).isEqualTo(400);
    assertThat(noTarget.body()).contains("target_class");
    HttpResponse<String> wrongVerifier = s.post("/v1/search", "{\"model\": \"digits-generator\", \"algorithm\":"
        + " \"reno\", \"target_class\": 1, \"verifier\": \"digits-classifier\"}");
    assertThat(wrongVerifier.statusCode()).isEqualTo(400);
    assertThat(wrongVerifier.body()).contains("must name a model of kind reward-gradient");
    HttpResponse<String> wrongModel = s.post("/v1/search", "{\"model\": \"digits-denoiser\", \"algorithm\":"
        + " \"reno\", \"target_class\": 1, \"verifier\": \"digits-reward-grad\"}");
    assertThat(wrongModel.statusCode()).isEqualTo(400);
    assertThat(wrongModel.body()).contains("must name a model of kind generator");
  }

  private static JsonNode ok(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return TestServer.json(r);
  }
}
