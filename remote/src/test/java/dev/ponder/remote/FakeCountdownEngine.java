package dev.ponder.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A scripted stand-in for llama.cpp's server on the Countdown character vocabulary: it answers
 * {@code /tokenize} and {@code /v1/completions} (token-id prompts, llama.cpp's logprobs layout) by playing one of
 * a few fixed solutions, one line per request. Which solution: at the first step the seed picks it
 * ({@code seed % solutions}; greedy picks the first), afterwards the one the generated text is a prefix of.
 * Lines end at the stop string "\n" (trimmed, as llama.cpp does); the last line ends with end of sequence (id 0,
 * reported as the last id). It records every request body and the most requests in flight at once. A request
 * with {@code n} > 1 gets n choices, choice k played as a request with seed + k (llama.cpp's children), and,
 * as llama.cpp's server does, a {@code usage} of the first choice only.
 */
public final class FakeCountdownEngine extends Dispatcher {
  /** The Countdown policy's vocabulary: id = index. */
  public static final List<String> VOCAB = List.of("<|endoftext|>", "\n", " ", "*", "+", "-", "/", "0", "1", "2",
      "3", "4", "5", "6", "7", "8", "9", ":", "=", "a", "b", "e", "g", "m", "n", "r", "s", "t", "u", "w");
  public static final String PROMPT = "numbers: 3 7 25 50 target: 85\n";
  public static final String RIGHT = "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85";
  public static final String WRONG = "50 - 25 = 25\n25 * 3 = 75\n75 + 7 = 82\nanswer: 82";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<String> solutions;
  private final long delayMillis;
  public final List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();

  public FakeCountdownEngine(long delayMillis, String... solutions) {
    this.solutions = List.of(solutions);
    this.delayMillis = delayMillis;
  }

  public int maxInFlight() {
    return maxInFlight.get();
  }

  public static int[] ids(String text) {
    int[] out = new int[text.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = VOCAB.indexOf(String.valueOf(text.charAt(i)));
      if (out[i] < 0) {
        throw new IllegalArgumentException("no token for '" + text.charAt(i) + "'");
      }
    }
    return out;
  }

  static String text(JsonNode ids) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode id : ids) {
      sb.append(id.asInt() == 0 ? "" : VOCAB.get(id.asInt()));
    }
    return sb.toString();
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
    JsonNode body;
    try {
      body = JSON.readTree(request.getBody().utf8());
    } catch (Exception e) {
      return new MockResponse.Builder().code(400).body("not JSON").build();
    }
    if (request.getUrl().encodedPath().equals("/tokenize")) {
      ObjectNode o = JSON.createObjectNode();
      ArrayNode t = o.putArray("tokens");
      for (int id : ids(body.get("content").asText())) {
        t.add(id);
      }
      return new MockResponse.Builder().code(200).body(o.toString()).build();
    }
    requests.add(body);
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    try {
      if (delayMillis > 0) {
        Thread.sleep(delayMillis);
      }
      return new MockResponse.Builder().code(200).body(answer(body).toString()).build();
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private ObjectNode answer(JsonNode req) {
    int n = req.has("n") ? req.get("n").asInt() : 1;
    ObjectNode o = JSON.createObjectNode();
    ArrayNode choices = o.putArray("choices");
    int firstDecoded = 0;
    for (int k = 0; k < n; k++) {
      int decoded = choice(req, req.get("seed").asLong() + k, choices.addObject().put("index", k));
      firstDecoded = k == 0 ? decoded : firstDecoded;
    }
    ObjectNode usage = o.putObject("usage");
    int prompt = req.get("prompt").size();
    usage.put("prompt_tokens", prompt).put("completion_tokens", firstDecoded);
    usage.putObject("prompt_tokens_details").put("cached_tokens", prompt - 1);
    return o;
  }

  /** Fills one choice; returns the tokens it decoded. */
  private int choice(JsonNode req, long seed, ObjectNode choice) {
    String all = text(req.get("prompt"));
    if (!all.startsWith(PROMPT)) {
      throw new IllegalStateException("prompt does not start with the Countdown prompt: " + all);
    }
    String generated = all.substring(PROMPT.length());
    String solution = null;
    if (generated.isEmpty()) {
      int pick = req.get("temperature").asDouble() == 0 ? 0 : (int) (seed % solutions.size());
      solution = solutions.get(pick);
    } else {
      for (String s : solutions) {
        if (s.startsWith(generated)) {
          solution = s;
          break;
        }
      }
    }
    if (solution == null) {
      throw new IllegalStateException("no solution continues " + generated);
    }
    String rest = solution.substring(generated.length());
    int nl = rest.indexOf('\n');
    int maxTokens = req.get("max_tokens").asInt();
    String line = nl < 0 ? rest : rest.substring(0, nl);
    boolean eos = nl < 0;
    String finish = "stop";
    int decoded = line.length() + 1; // the newline or the end of sequence
    if (line.length() >= maxTokens) {
      line = line.substring(0, maxTokens);
      eos = false;
      finish = "length";
      decoded = maxTokens;
    }
    choice.put("text", line);
    choice.put("finish_reason", finish);
    ArrayNode content = choice.putObject("logprobs").putArray("content");
    for (int id : ids(line)) {
      content.addObject().put("id", id).put("token", VOCAB.get(id)).put("logprob", -0.5);
    }
    if (eos) {
      content.addObject().put("id", 0).put("token", "").put("logprob", -0.25);
    }
    return decoded;
  }
}
