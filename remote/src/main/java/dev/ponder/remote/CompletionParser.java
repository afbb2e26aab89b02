package dev.ponder.remote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code /v1/completions} body into a {@link Completion}, strictly: anything missing or of the wrong type
 * is a {@link MalformedAnswerException} that names the field, what was expected and what was found. Two logprobs
 * layouts are read: llama.cpp's ({@code logprobs.content[]} with {@code id}, {@code logprob},
 * {@code top_logprobs[]}) and OpenAI's legacy one ({@code logprobs.tokens}, {@code token_logprobs},
 * {@code top_logprobs} as maps).
 */
final class CompletionParser {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CompletionParser() {
  }

  /** The body did not hold the answer expected. */
  static final class MalformedAnswerException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedAnswerException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static Completion parse(String body) throws MalformedAnswerException {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new MalformedAnswerException("expected a JSON object, found " + describe(body) + " ("
          + e.getOriginalMessage() + ")", e);
    }
    if (root == null || !root.isObject()) {
      throw new MalformedAnswerException("expected a JSON object, found " + describe(body), null);
    }
    JsonNode choices = root.get("choices");
    if (choices == null || !choices.isArray() || choices.isEmpty()) {
      throw new MalformedAnswerException("expected a non-empty array 'choices', found " + kind(choices)
          + " among fields " + fieldNames(root), null);
    }
    Usage usage = usage(root.get("usage"));
    List<Completion> all = new ArrayList<>(choices.size());
    for (int i = 0; i < choices.size(); i++) {
      all.add(choice(choices.get(i), "choices[" + i + "]", usage));
    }
    Completion first = all.get(0);
    return new Completion(first.text(), first.tokenIds(), first.tokenLogProbs(), first.topLogProbs(),
        first.finishReason(), first.stopReason(), first.stopReasonReported(), usage,
        List.copyOf(all.subList(1, all.size())));
  }

  /** One choice; {@code at} names it in errors. Choices are read in the order of the array (OpenAI's index order). */
  private static Completion choice(JsonNode c, String at, Usage usage) throws MalformedAnswerException {
    String text = requireText(c, "text", at);
    String finish = c.hasNonNull("finish_reason") ? c.get("finish_reason").asText() : null;
    if (finish == null) {
      throw new MalformedAnswerException("expected " + at + ".finish_reason, found " + kind(c.get("finish_reason")), null);
    }
    String stopReason = c.hasNonNull("stop_reason") && c.get("stop_reason").isTextual()
        ? c.get("stop_reason").asText() : null;
    boolean stopReported = c.has("stop_reason");
    JsonNode lp = c.get("logprobs");
    if (lp == null || lp.isNull()) {
      return new Completion(text, null, null, null, finish, stopReason, stopReported, usage, List.of());
    }
    if (lp.has("content")) {
      return llamaCppLogprobs(text, lp.get("content"), finish, stopReason, stopReported, usage, at);
    }
    return legacyLogprobs(text, lp, finish, stopReason, stopReported, usage);
  }

  private static Completion llamaCppLogprobs(String text, JsonNode content, String finish, String stopReason,
      boolean stopReported, Usage usage, String choice) throws MalformedAnswerException {
    if (!content.isArray()) {
      throw new MalformedAnswerException("expected " + choice + ".logprobs.content to be an array, found " + kind(content), null);
    }
    int n = content.size();
    int[] ids = new int[n];
    double[] lps = new double[n];
    List<Map<String, Double>> tops = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      JsonNode t = content.get(i);
      String at = choice + ".logprobs.content[" + i + "]";
      ids[i] = requireInt(t, "id", at);
      lps[i] = requireNumber(t, "logprob", at);
      Map<String, Double> top = new LinkedHashMap<>();
      JsonNode tl = t.get("top_logprobs");
      if (tl != null && tl.isArray()) {
        for (JsonNode alt : tl) {
          top.put(requireText(alt, "token", at + ".top_logprobs[]"), requireNumber(alt, "logprob", at + ".top_logprobs[]"));
        }
      }
      tops.add(top);
    }
    return new Completion(text, ids, lps, tops, finish, stopReason, stopReported, usage, List.of());
  }

  private static Completion legacyLogprobs(String text, JsonNode lp, String finish, String stopReason,
      boolean stopReported, Usage usage)
      throws MalformedAnswerException {
    JsonNode tokenLps = lp.get("token_logprobs");
    double[] lps = null;
    if (tokenLps != null && tokenLps.isArray()) {
      lps = new double[tokenLps.size()];
      for (int i = 0; i < lps.length; i++) {
        lps[i] = tokenLps.get(i).isNumber() ? tokenLps.get(i).asDouble() : Double.NaN;
      }
    }
    List<Map<String, Double>> tops = null;
    JsonNode tl = lp.get("top_logprobs");
    if (tl != null && tl.isArray()) {
      tops = new ArrayList<>();
      for (JsonNode m : tl) {
        Map<String, Double> top = new LinkedHashMap<>();
        if (m != null && m.isObject()) {
          for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            top.put(e.getKey(), e.getValue().asDouble());
          }
        }
        tops.add(top);
      }
    }
    return new Completion(text, null, lps, tops, finish, stopReason, stopReported, usage, List.of());
  }

  private static Usage usage(JsonNode u) throws MalformedAnswerException {
    if (u == null || !u.isObject()) {
      throw new MalformedAnswerException("expected an object 'usage' with prompt_tokens and completion_tokens, found "
          + kind(u), null);
    }
    long prompt = requireInt(u, "prompt_tokens", "usage");
    long completion = requireInt(u, "completion_tokens", "usage");
    JsonNode details = u.get("prompt_tokens_details");
    if (details != null && details.isObject() && details.get("cached_tokens") != null
        && details.get("cached_tokens").isIntegralNumber()) {
      return new Usage(prompt, details.get("cached_tokens").asLong(), completion, true);
    }
    return new Usage(prompt, 0, completion, false);
  }

  private static String requireText(JsonNode o, String field, String at) throws MalformedAnswerException {
    JsonNode v = o == null ? null : o.get(field);
    if (v == null || !v.isTextual()) {
      throw new MalformedAnswerException("expected a string " + at + "." + field + ", found " + kind(v), null);
    }
    return v.asText();
  }

  private static int requireInt(JsonNode o, String field, String at) throws MalformedAnswerException {
    JsonNode v = o == null ? null : o.get(field);
    if (v == null || !v.isIntegralNumber()) {
      throw new MalformedAnswerException("expected an integer " + at + "." + field + ", found " + kind(v), null);
    }
    return v.asInt();
  }

  private static double requireNumber(JsonNode o, String field, String at) throws MalformedAnswerException {
    JsonNode v = o == null ? null : o.get(field);
    if (v == null || !v.isNumber()) {
      throw new MalformedAnswerException("expected a number " + at + "." + field + ", found " + kind(v), null);
    }
    return v.asDouble();
  }

  private static String kind(JsonNode v) {
    if (v == null) {
      return "nothing";
    }
    String s = v.toString();
    return v.getNodeType().name().toLowerCase() + " " + (s.length() > 80 ? s.substring(0, 80) + "..." : s);
  }

  private static List<String> fieldNames(JsonNode o) {
    List<String> names = new ArrayList<>();
    o.fieldNames().forEachRemaining(names::add);
    return names;
  }

  static String describe(String body) {
    if (body.isEmpty()) {
      return "an empty body";
    }
    String head = body.length() > 120 ? body.substring(0, 120) + "..." : body;
    return body.length() + " chars: " + head.replace("\n", "\\n");
  }
}
