package dev.ponder.remote;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One {@code /v1/completions} request.
 *
 * @param promptIds   the prompt as token ids, or {@code null} to send {@link #promptText}
 * @param promptText  the prompt as text (used when {@code promptIds} is null)
 * @param maxTokens   the most tokens to generate, >= 1
 * @param stop        stop strings (may be empty)
 * @param temperature 0 for greedy
 * @param topP        nucleus mass in (0, 1]
 * @param seed        the sampler's seed, >= 0
 * @param logprobs    how many top alternatives to report per token; 0 asks for none
 * @param n           how many completions of this prompt to sample (OpenAI's {@code n}), >= 1; sent only when > 1
 */
public record CompletionRequest(int[] promptIds, String promptText, int maxTokens, List<String> stop,
    double temperature, double topP, long seed, int logprobs, int n) {

  /** One completion. */
  public CompletionRequest(int[] promptIds, String promptText, int maxTokens, List<String> stop, double temperature,
      double topP, long seed, int logprobs) {
    this(promptIds, promptText, maxTokens, stop, temperature, topP, seed, logprobs, 1);
  }

  public CompletionRequest {
    if (promptIds == null && promptText == null) {
      throw new IllegalArgumentException("a request needs a prompt: token ids or text");
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be >= 1, was " + maxTokens);
    }
    stop = List.copyOf(stop);
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, was " + n);
    }
    if (seed < 0) {
      throw new IllegalArgumentException("seed must be >= 0, was " + seed);
    }
  }

  /** How many prompt tokens the request carries, or -1 for a text prompt. */
  public int promptIdCount() {
    return promptIds == null ? -1 : promptIds.length;
  }

  /** The JSON body for {@code model} in the given dialect. */
  ObjectNode toJson(String model, EngineDialect dialect) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("model", model);
    if (promptIds != null) {
      ArrayNode ids = o.putArray("prompt");
      for (int id : promptIds) {
        ids.add(id);
      }
    } else {
      o.put("prompt", promptText);
    }
    o.put("max_tokens", maxTokens);
    if (!stop.isEmpty()) {
      ArrayNode s = o.putArray("stop");
      stop.forEach(s::add);
    }
    o.put("temperature", temperature);
    o.put("top_p", topP);
    o.put("seed", seed);
    o.put("stream", false);
    if (n > 1) {
      o.put("n", n);
    }
    if (logprobs > 0) {
      o.put("logprobs", logprobs);
    }
    if (dialect == EngineDialect.LLAMA_CPP) {
      o.put("top_k", 0);
      o.put("min_p", 0.0);
      o.put("cache_prompt", true);
    }
    return o;
  }
}
