package dev.ponder.server.http;

import dev.ponder.engine.testing.BosPostProcessor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --models DIR: each model folder is served under its folder name; a chat template in it is applied. */
class ModelsDirTest {

  @Test
  void aFolderOfExportsIsServedByNameWithItsChatTemplate(@TempDir Path root) throws Exception {
    Path mine = Files.createDirectories(root.resolve("my-policy"));
    Path policy = Zoo.root().resolve("onnx-models/countdown/policy");
    for (String f : List.of("config.json", "model.onnx", "tokenizer.json", "generation_config.json")) {
      Files.copy(policy.resolve(f), mine.resolve(f));
    }
    Files.writeString(mine.resolve("tokenizer_config.json"), "{\"chat_template\": \"{% for m in messages %}"
        + "{% if m['role'] == 'user' %}numbers: {{ m['content'] | trim }}\\n{% endif %}{% endfor %}\"}");
    Files.createDirectories(root.resolve("not-a-model"));

    Map<String, Path> dirs = ModelRegistry.scan(root);
    assertThat(dirs).containsOnlyKeys("my-policy");
    try (PonderServer server = PonderServer.start("127.0.0.1", 0, ApiKey.none(), Limits.defaults(),
        ModelRegistry.load(dirs, ModelOptions.cpu().withThreads(1, 1)))) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port();
      JsonNode models = Json.MAPPER.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      assertThat(models.get("data").get(0).get("id").asText()).isEqualTo("my-policy");
      JsonNode chat = post(http, base + "/v1/chat/completions", "{\"model\": \"my-policy\", \"messages\": ["
          + "{\"role\": \"system\", \"content\": \"ignored by this template\"},"
          + "{\"role\": \"user\", \"content\": \" 3 7 25 50 target: 85 \"}], \"seed\": 9}");
      JsonNode plain = post(http, base + "/v1/completions", "{\"model\": \"my-policy\", \"prompt\":"
          + " \"numbers: 3 7 25 50 target: 85\\n\", \"seed\": 9}");
      assertThat(chat.get("choices").get(0).get("message").get("content").asText())
          .isEqualTo(plain.get("choices").get(0).get("text").asText());
      assertThat(chat.get("usage").get("prompt_tokens").asLong()).isEqualTo(plain.get("usage").get("prompt_tokens")
          .asLong());
    }
  }

  @Test
  void aTemplatesBosIsNotAddedTwiceWhenTheTokenizerAddsOne(@TempDir Path root) throws Exception {
    Path mine = Files.createDirectories(root.resolve("llama-like"));
    Path gpt2 = Zoo.root().resolve("onnx-models/tiny-gpt2");
    for (String f : List.of("model.onnx", "generation_config.json")) {
      Files.copy(gpt2.resolve(f), mine.resolve(f));
    }
    var config = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(gpt2.resolve("config.json")
        .toFile());
    config.putArray("architectures").add("GPT2LMHeadModel"); // what --models reads to tell a policy
    Json.MAPPER.writeValue(mine.resolve("config.json").toFile(), config);
    // Llama's case: the tokenizer's post-processor puts a BOS (<|endoftext|>, id 0) before every prompt, and the
    // chat template writes bos_token too.
    var tok = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(gpt2.resolve("tokenizer.json")
        .toFile());
    BosPostProcessor.addTo(tok);
    Json.MAPPER.writeValue(mine.resolve("tokenizer.json").toFile(), tok);
    Files.writeString(mine.resolve("tokenizer_config.json"), "{\"bos_token\": \"<|endoftext|>\", \"chat_template\":"
        + " \"{{ bos_token }}{% for m in messages %}us: {{ m['content'] }}\\n{% endfor %}a:\"}");
    try (PonderServer server = PonderServer.start("127.0.0.1", 0, ApiKey.none(), Limits.defaults(),
        ModelRegistry.load(ModelRegistry.scan(root), ModelOptions.cpu().withThreads(1, 1)))) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port();
      JsonNode chat = post(http, base + "/v1/chat/completions", "{\"model\": \"llama-like\", \"messages\": ["
          + "{\"role\": \"user\", \"content\": \"12\"}], \"seed\": 4, \"max_tokens\": 8}");
      JsonNode plain = post(http, base + "/v1/completions", "{\"model\": \"llama-like\", \"prompt\":"
          + " \"us: 12\\na:\", \"seed\": 4, \"max_tokens\": 8}");
      // "us: 12\na:" is 9 tokens; the tokenizer's BOS makes 10 in both; the template's own BOS is not an 11th.
      assertThat(plain.get("usage").get("prompt_tokens").asLong()).isEqualTo(10);
      assertThat(chat.get("usage").get("prompt_tokens").asLong()).isEqualTo(10);
      assertThat(chat.get("choices").get(0).get("message").get("content").asText())
          .isEqualTo(plain.get("choices").get(0).get("text").asText());
    }
  }

  /**
   * An onnxruntime-genai export (genai_config.json, no config.json) is a policy too: served by its folder name, and
   * a greedy completion (temperature 0) is llama-tiny's golden greedy continuation.
   */
  @Test
  void anOnnxruntimeGenaiExportIsServedAsAPolicy(@TempDir Path root) throws Exception {
    Path mine = Files.createDirectories(root.resolve("llama-genai"));
    Path genai = Zoo.root().resolve("onnx-models/llama-tiny/genai-fp32");
    for (String f : List.of("genai_config.json", "model.onnx", "tokenizer.json")) {
      Files.copy(genai.resolve(f), mine.resolve(f));
    }
    JsonNode golden = Json.MAPPER.readTree(Zoo.root().resolve("onnx-models/llama-tiny/golden.json").toFile())
        .get("results").get(0);
    assertThat(ModelRegistry.scan(root)).containsOnlyKeys("llama-genai");
    assertThat(ModelKind.of(mine)).isEqualTo(ModelKind.POLICY);
    try (PonderServer server = PonderServer.start("127.0.0.1", 0, ApiKey.none(), Limits.defaults(),
        ModelRegistry.load(ModelRegistry.scan(root), ModelOptions.cpu().withThreads(1, 1)))) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port();
      JsonNode plain = post(http, base + "/v1/completions", "{\"model\": \"llama-genai\", \"prompt\": "
          + Json.MAPPER.writeValueAsString(golden.get("prompt").asText()) + ", \"temperature\": 0, \"max_tokens\": 24}");
      StringBuilder want = new StringBuilder();
      try (var tok = dev.ponder.engine.lm.LmTokenizer.load(genai.resolve("tokenizer.json"))) {
        int[] ids = java.util.stream.StreamSupport.stream(golden.get("greedy_ids").spliterator(), false)
            .mapToInt(JsonNode::asInt).filter(t -> t != 0).toArray();
        want.append(tok.decode(ids, true));
      }
      assertThat(plain.get("choices").get(0).get("text").asText()).isEqualTo(want.toString());
    }
  }

  @Test
  void aFolderWithoutModelsIsRefusedByName(@TempDir Path root) {
    assertThatThrownBy(() -> ModelRegistry.scan(root)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has no model directory");
    assertThatThrownBy(() -> ModelRegistry.scan(root.resolve("missing"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("found no directory");
  }

  private static JsonNode post(HttpClient http, String uri, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Json.MAPPER.readTree(r.body());
  }
}
