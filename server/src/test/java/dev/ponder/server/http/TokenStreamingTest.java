package dev.ponder.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * "stream": true on the OpenAI endpoints: plain sampling arrives a token at a time, and the streamed text of each
 * choice is the non-streamed text for the same seed; searches still send whole choices.
 */
class TokenStreamingTest {
  static final String PROMPT_JSON = "\"numbers: 3 7 25 50 target: 85\\n\"";
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = new TestServer(Limits.defaults().withWorkers(2).withQueue(8), null);
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
  }

  /** The data lines of an SSE body, [DONE] included. */
  static List<String> data(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    for (String block : r.body().split("\n\n")) {
      if (block.startsWith("data: ")) {
        out.add(block.substring(6));
      }
    }
    return out;
  }

  /** Per choice index: the concatenated text, the number of chunks with text and the finish reason. */
  record Streamed(Map<Integer, String> texts, Map<Integer, Integer> textChunks, Map<Integer, String> finish,
      JsonNode usage) {}

  static Streamed collect(List<String> data, boolean chat) throws Exception {
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    Map<Integer, String> texts = new TreeMap<>();
    Map<Integer, Integer> chunks = new TreeMap<>();
    Map<Integer, String> finish = new TreeMap<>();
    JsonNode usage = null;
    for (String d : data.subList(0, data.size() - 1)) {
      JsonNode chunk = Json.MAPPER.readTree(d);
      if (chunk.get("choices").isEmpty()) {
        usage = chunk.get("usage");
        continue;
      }
      assertThat(chunk.get("choices")).hasSize(1);
      JsonNode c = chunk.get("choices").get(0);
      int i = c.get("index").asInt();
      String t = chat ? c.get("delta").path("content").asText("") : c.get("text").asText();
      texts.merge(i, t, String::concat);
      if (!t.isEmpty()) {
        chunks.merge(i, 1, Integer::sum);
      }
      if (!c.get("finish_reason").isNull()) {
        assertThat(finish).doesNotContainKey(i);
        finish.put(i, c.get("finish_reason").asText());
      }
    }
    return new Streamed(texts, chunks, finish, usage);
  }

  @Test
  void aCompletionArrivesTokenByTokenAndAddsUpToTheSameAnswer() throws Exception {
    String req = "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"seed\": 5, \"max_tokens\": 40";
    JsonNode plain = TestServer.json(s.post("/v1/completions", req + "}"));
    Streamed st = collect(data(s.post("/v1/completions", req + ", \"stream\": true, \"stream_options\":"
        + " {\"include_usage\": true}}")), false);
    String text = plain.get("choices").get(0).get("text").asText();
    assertThat(st.texts()).containsExactly(Map.entry(0, text));
    // The countdown tokenizer is one character per token: one chunk per generated character.
    assertThat(st.textChunks().get(0)).isEqualTo(text.length()).isGreaterThan(5);
    assertThat(st.finish().get(0)).isEqualTo(plain.get("choices").get(0).get("finish_reason").asText());
    assertThat(st.usage().get("completion_tokens").asLong()).isEqualTo(plain.get("usage").get("completion_tokens")
        .asLong());
  }

  @Test
  void withSeveralChoicesEachChunkCarriesItsIndexAndTheTextsAreTheSame() throws Exception {
    String req = "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"seed\": 8, \"n\": 3";
    JsonNode plain = TestServer.json(s.post("/v1/completions", req + "}"));
    List<String> data = data(s.post("/v1/completions", req + ", \"stream\": true}"));
    Streamed st = collect(data, false);
    assertThat(st.texts()).containsOnlyKeys(0, 1, 2);
    List<String> expected = new ArrayList<>();
    plain.get("choices").forEach(c -> expected.add(c.get("text").asText()));
    // Streamed in draw order; the whole response ranks the same texts by log-probability.
    assertThat(st.texts().values()).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(st.finish()).containsOnlyKeys(0, 1, 2);
    st.textChunks().values().forEach(n -> assertThat(n).isGreaterThan(5));
    // Interleaved as generated, not one choice after another.
    List<Integer> order = new ArrayList<>();
    for (String d : data.subList(0, 6)) {
      order.add(Json.MAPPER.readTree(d).get("choices").get(0).get("index").asInt());
    }
    assertThat(order).containsExactly(0, 1, 2, 0, 1, 2);
  }

  @Test
  void chatStopsAtTheStopStringWithoutSendingWhatFollows() throws Exception {
    String req = "{\"model\": \"countdown-policy\", \"messages\": [{\"role\": \"user\", \"content\": \"numbers: 3 7"
        + " 25 50 target: 85\"}], \"seed\": 3, \"stop\": [\" = \"]";
    JsonNode plain = TestServer.json(s.post("/v1/chat/completions", req + "}"));
    String text = plain.get("choices").get(0).get("message").get("content").asText();
    assertThat(plain.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
    List<String> data = data(s.post("/v1/chat/completions", req + ", \"stream\": true}"));
    Streamed st = collect(data, true);
    assertThat(st.texts()).containsExactly(Map.entry(0, text));
    assertThat(st.finish()).containsExactly(Map.entry(0, "stop"));
    for (String d : data.subList(0, data.size() - 1)) {
      JsonNode c = Json.MAPPER.readTree(d).get("choices").get(0);
      assertThat(c.get("delta").path("content").asText("")).doesNotContain("=");
      if (!c.get("finish_reason").isNull()) {
        assertThat(c.get("stop_reason").asText()).isEqualTo(" = ");
        assertThat(c.get("ponder").get("text").asText()).startsWith(text + " = "); // the whole generated text
      }
    }
    JsonNode first = Json.MAPPER.readTree(data.get(0)).get("choices").get(0).get("delta");
    assertThat(first.get("role").asText()).isEqualTo("assistant");
  }

  @Test
  void aSearchStillSendsItsChosenAnswerWhole() throws Exception {
    String req = "{\"model\": \"countdown-policy\", \"prompt\": " + PROMPT_JSON + ", \"seed\": 2, \"ponder\":"
        + " {\"algorithm\": \"bon\", \"n\": 4, \"verifier\": \"checker\"}";
    JsonNode plain = TestServer.json(s.post("/v1/completions", req + "}"));
    Streamed st = collect(data(s.post("/v1/completions", req + ", \"stream\": true}")), false);
    assertThat(st.texts()).containsExactly(Map.entry(0, plain.get("choices").get(0).get("text").asText()));
    assertThat(st.textChunks()).containsExactly(Map.entry(0, 1));
  }
}
