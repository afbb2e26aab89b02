package dev.ponder.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The fields the OpenAI completions and chat endpoints share, translated to a {@link SearchSpec}: {@code n},
 * {@code temperature}, {@code top_p}, {@code max_tokens}, {@code seed} and, in the extra {@code "ponder"} object,
 * the search ({@code {"algorithm": "smc", "n": 16, "verifier": "countdown-prm-cached"}}). Without {@code "ponder"}
 * the request is plain sampling of {@code n} choices. Fields the server cannot honour are refused with a 400, never
 * ignored.
 *
 * @param seed     the seed used: the request's, or a random one (reported back) when it gave none
 */
public record OpenAiRequest(String model, int n, List<String> stop, boolean stream, boolean includeUsage,
    String user, SearchSpec spec, long seed, boolean searched) {

  static final Set<String> COMMON = Set.of("model", "n", "temperature", "top_p", "max_tokens", "stop", "seed",
      "stream", "stream_options", "user", "ponder", "logprobs", "presence_penalty", "frequency_penalty",
      "logit_bias");
  private static final Set<String> PONDER_FIELDS = ponderFields();

  private static Set<String> ponderFields() {
    Set<String> s = new HashSet<>(SearchSpec.KNOB_FIELDS);
    s.add("top_k");
    s.add("min_p");
    return Set.copyOf(s);
  }

  /** {@code maxTokensField} is max_tokens, or max_completion_tokens for chat when given. */
  static OpenAiRequest parse(ObjectNode body, int maxTokens, Limits limits) {
    String model = Json.requiredText(body, "model");
    int n = Json.integer(body, "n", 1, 1, limits.maxN());
    zeroOnly(body, "presence_penalty");
    zeroOnly(body, "frequency_penalty");
    JsonNode bias = body.get("logit_bias");
    if (bias != null && !bias.isNull() && !(bias.isObject() && bias.isEmpty())) {
      throw ApiError.unsupported("logit_bias", "'logit_bias' is not supported by this server; send null or {}");
    }
    boolean stream = Json.bool(body, "stream", false);
    ObjectNode streamOptions = Json.object(body, "stream_options");
    boolean includeUsage = false;
    if (streamOptions != null) {
      if (!stream) {
        throw ApiError.invalid("stream_options", "'stream_options' is only allowed with \"stream\": true");
      }
      Json.rejectUnknown(streamOptions, "stream_options.", Set.of("include_usage"));
      includeUsage = Json.bool(streamOptions, "include_usage", false);
    }
    String user = Json.text(body, "user", null);
    List<String> stop = stop(body.get("stop"));

    Long requestedSeed = Json.optionalLong(body, "seed");
    long seed = requestedSeed != null ? requestedSeed : ThreadLocalRandom.current().nextLong();
    ObjectNode decoding = Json.MAPPER.createObjectNode();
    decoding.put("seed", seed);
    decoding.put("temperature", Json.number(body, "temperature", 1.0, 0, 2));
    decoding.put("top_p", Json.number(body, "top_p", 1.0, 0, 1));
    if (maxTokens > 0) {
      decoding.put("max_new_tokens", maxTokens);
    }
    ObjectNode ponder = Json.object(body, "ponder");
    boolean searched = ponder != null;
    ObjectNode knobs = Json.MAPPER.createObjectNode();
    if (searched) {
      Json.rejectUnknown(ponder, "ponder.", PONDER_FIELDS);
      knobs.setAll(ponder);
      for (String f : List.of("top_k", "min_p")) {
        if (ponder.has(f)) {
          decoding.set(f, ponder.get(f));
        }
      }
    }
    if (!knobs.has("n") && Json.text(knobs, "algorithm", "sample").equals("sample")) {
      knobs.put("n", n);
    }
    String algorithm = Json.text(knobs, "algorithm", "sample");
    if (SearchSpec.DIFFUSION_ALGORITHMS.contains(algorithm) || SearchSpec.NOISE_ALGORITHMS.contains(algorithm)) {
      throw ApiError.invalid("ponder.algorithm", "the OpenAI endpoints serve language models; use /v1/search for '"
          + algorithm + "'");
    }
    SearchSpec spec;
    try {
      spec = SearchSpec.parse(knobs, decoding, "sample", limits);
    } catch (ApiError e) {
      String param = e.param() == null ? null
          : List.of("seed", "temperature", "top_p", "max_new_tokens").contains(e.param())
          ? (e.param().equals("max_new_tokens") ? "max_tokens" : e.param()) : "ponder." + e.param();
      throw new ApiError(e.status(), e.type(), param, e.code(), e.getMessage().replace("'max_new_tokens'",
          "'max_tokens'"));
    }
    return new OpenAiRequest(model, n, stop, stream, includeUsage, user, spec.withStop(stop), seed, searched);
  }

  /** The max_tokens value in [1, limit], or 0 when absent. */
  static int maxTokens(ObjectNode body, String field, Limits limits) {
    if (!Json.present(body, field)) {
      return 0;
    }
    return Json.integer(body, field, 0, 1, limits.maxNewTokens());
  }

  private static void zeroOnly(ObjectNode body, String field) {
    if (Json.number(body, field, 0, -2, 2) != 0) {
      throw ApiError.unsupported(field, "'" + field + "' is not supported by this server; send 0 or leave it out");
    }
  }

  private static List<String> stop(JsonNode v) {
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (v.isTextual()) {
      out.add(v.asText());
    } else if (v.isArray() && v.size() <= 4) {
      for (JsonNode s : v) {
        if (!s.isTextual()) {
          throw ApiError.invalid("stop", "'stop' must be a string or an array of up to 4 strings, found "
              + Json.describe(v));
        }
        out.add(s.asText());
      }
    } else {
      throw ApiError.invalid("stop", "'stop' must be a string or an array of up to 4 strings, found "
          + Json.describe(v));
    }
    for (String s : out) {
      if (s.isEmpty()) {
        throw ApiError.invalid("stop", "'stop' strings must not be empty");
      }
    }
    return out;
  }

}
