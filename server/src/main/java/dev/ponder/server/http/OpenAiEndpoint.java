package dev.ponder.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.chat.ChatMessage;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.SearchStats;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * OpenAI-compatible {@code POST /v1/completions} and {@code POST /v1/chat/completions}. Choices are the search's
 * candidates, best first ({@code n} of them; with {@code "ponder"} at most as many as the search returned). Usage
 * counts what the policy really processed: {@code prompt_tokens} the prompt tokens it read, {@code
 * completion_tokens} the tokens it generated over all hypotheses the search explored (not only the returned
 * choices), plus {@code policy_tokens} (everything the policy processed, the log-probability pass included),
 * {@code logprob_tokens}, {@code padding_tokens} and {@code verifier_tokens}. {@code logprobs} (completions: 0..5
 * alternatives; chat: {@code logprobs: true} with {@code top_logprobs} 0..20) come from {@link TokenLogprobs}.
 *
 * <p>Streaming ({@code "stream": true}), in the standard chunk format ending with {@code data: [DONE]} (with
 * {@code stream_options.include_usage}, a last chunk with no choices and the usage):
 * <ul>
 * <li>plain sampling (no {@code "ponder"}, no {@code logprobs}) streams each choice's text as it is generated, a
 * chunk per token (held back only while it may be the start of a stop string or an unfinished character); with
 * {@code n > 1} the choices' chunks interleave, each with its {@code index}, which is then the draw order (the
 * non-streamed response ranks the same texts by log-probability);</li>
 * <li>searches ({@code "ponder"}) and requests with {@code logprobs} send each choice whole when the search ends
 * (a search picks among whole candidates; log-probabilities are scored afterwards), after comment lines that keep
 * the connection alive while it runs.</li>
 * </ul>
 */
public final class OpenAiEndpoint {
  private static final Set<String> COMPLETION_FIELDS = with(OpenAiRequest.COMMON, "prompt", "echo", "suffix",
      "best_of");
  private static final Set<String> CHAT_FIELDS = with(OpenAiRequest.COMMON, "messages", "max_completion_tokens",
      "top_logprobs");

  private final Searches searches;
  private final ModelRegistry models;
  private final Limits limits;
  private final boolean chat;

  public OpenAiEndpoint(Searches searches, ModelRegistry models, Limits limits, boolean chat) {
    this.searches = searches;
    this.models = models;
    this.limits = limits;
    this.chat = chat;
  }

  private static Set<String> with(Set<String> base, String... more) {
    Set<String> s = new HashSet<>(base);
    s.addAll(List.of(more));
    return Set.copyOf(s);
  }

  /** One answer; {@code stopString}: the stop string it ended at (vLLM's {@code stop_reason}), else null. */
  private record Choice(String text, String finishReason, String stopString, Candidate candidate) {}

  /** The search, the choices taken from it and, when asked for, their tokens' log-probabilities. */
  private record Answer(SearchResult result, List<Choice> choices, TokenLogprobs.Scored logprobs) {}

  public void handle(Exchange x) throws IOException, InterruptedException {
    ObjectNode body = x.jsonBody();
    Json.rejectUnknown(body, "", chat ? CHAT_FIELDS : COMPLETION_FIELDS);
    String prompt;
    int maxTokens;
    int top = logprobs(body);
    if (chat) {
      int a = OpenAiRequest.maxTokens(body, "max_tokens", limits);
      int b = OpenAiRequest.maxTokens(body, "max_completion_tokens", limits);
      maxTokens = b > 0 ? b : a;
      List<ChatMessage> messages = ChatPrompt.parse(body.get("messages"));
      String model = Json.requiredText(body, "model");
      if (models.get(model).kind() == ModelKind.REMOTE_POLICY) {
        throw ApiError.unsupported("model", "'" + model + "' is a remote policy, whose chat template this server"
            + " does not have; use /v1/completions with the prompt already formatted");
      }
      ModelRegistry.Entry entry = models.get(model, ModelKind.POLICY, "model");
      prompt = ChatPrompt.render(messages, entry.chatTemplate(), (LanguageModel) entry.model());
    } else {
      maxTokens = OpenAiRequest.maxTokens(body, "max_tokens", limits);
      if (Json.bool(body, "echo", false)) {
        throw ApiError.unsupported("echo", "'echo' is not supported by this server; send false");
      }
      if (Json.text(body, "suffix", null) != null) {
        throw ApiError.unsupported("suffix", "'suffix' (insertion) is not supported by this server; send null");
      }
      int bestOf = Json.integer(body, "best_of", 1, 1, limits.maxN());
      if (bestOf != 1) {
        throw ApiError.unsupported("best_of", "'best_of' is not supported; ask for best-of-N with \"ponder\":"
            + " {\"algorithm\": \"bon\", \"n\": " + bestOf + ", \"verifier\": ...}");
      }
      prompt = prompt(body);
    }
    OpenAiRequest q = OpenAiRequest.parse(body, maxTokens, limits);
    if (top >= 0 && models.get(q.model()).kind() == ModelKind.REMOTE_POLICY) {
      // The log-probabilities are computed here by the local model, which a remote policy does not have.
      throw ApiError.unsupported("logprobs", "'logprobs' is not supported for the remote policy '" + q.model()
          + "' (this server scores the chosen texts' tokens with its own copy of the model); leave it out");
    }
    String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    long created = System.currentTimeMillis() / 1000;
    Function<SearchResult, Answer> after = r -> answer(q, prompt, r, top);
    if (!q.stream()) {
      Answer answer = searches.run(x, q.model(), prompt, q.spec(), e -> { }, after);
      x.json(200, response(id, created, q, answer));
      return;
    }
    SseStream[] sse = new SseStream[1];
    long[] lastBeat = {0};
    boolean perToken = !q.searched() && top < 0 && q.spec().algorithm().equals("sample");
    StreamedSamples[] streamed = new StreamedSamples[1];
    boolean[] opened = new boolean[q.n()];
    Function<GenerativeProcess<LmHypothesis>, StreamedSamples> tap = !perToken ? null : p -> streamed[0] = new StreamedSamples(p, q.stop(), (i, delta) -> {
          if (sse[0] == null) {
            sse[0] = x.sse();
          }
          sendDelta(sse[0], id, created, q, i, delta, opened);
        });
    Answer answer;
    try {
      answer = searches.run(x, q.model(), prompt, q.spec(), e -> {
        if (sse[0] == null) {
          sse[0] = x.sse();
        }
        long now = System.nanoTime();
        if (e instanceof SearchEvent.Step s && now - lastBeat[0] > 100_000_000L) {
          lastBeat[0] = now;
          sse[0].comment("step " + s.step());
        }
      }, after, tap);
    } catch (ApiError e) {
      if (sse[0] == null) {
        throw e;
      }
      sse[0].data(Json.write(Exchange.errorBody(e.getMessage(), e.type(), e.param(), e.code())));
      sse[0].data("[DONE]");
      x.finishStream();
      return;
    }
    if (sse[0] == null) {
      sse[0] = x.sse();
    }
    if (streamed[0] != null) {
      finishSamples(sse[0], id, created, q, answer, streamed[0], opened);
    } else {
      stream(sse[0], id, created, q, answer);
    }
    x.finishStream();
  }

  /** New text of choice {@code index}; for chat, its first chunk opens the assistant's message. */
  private void sendDelta(SseStream sse, String id, long created, OpenAiRequest q, int index, String delta,
      boolean[] opened) {
    if (chat && !opened[index]) {
      opened[index] = true;
      openMessage(sse, id, created, q, index);
    }
    if (delta.isEmpty()) {
      return;
    }
    ObjectNode content = chunk(id, created, q, index);
    ObjectNode ch = (ObjectNode) content.get("choices").get(0);
    if (chat) {
      ch.putObject("delta").put("content", delta);
    } else {
      ch.put("text", delta);
    }
    sse.data(Json.write(content));
  }

  /** After per-token streaming: each choice's held-back rest and its finish chunk, then usage and [DONE]. */
  private void finishSamples(SseStream sse, String id, long created, OpenAiRequest q, Answer a,
      StreamedSamples streamed, boolean[] opened) {
    SearchResult r = a.result();
    boolean[] used = new boolean[r.candidates().size()];
    for (var e : new TreeMap<>(streamed.samples()).entrySet()) {
      int i = e.getKey();
      StreamedSamples.Sample s = e.getValue();
      sendDelta(sse, id, created, q, i, streamed.rest(s), opened);
      finishChoice(sse, id, created, q, i, s.finishReason(), s.stopString, StreamedSamples.match(s, r.candidates(),
          used), r);
    }
    endStream(sse, id, created, q, a);
  }

  /** For chat: the first chunk of a choice, which opens the assistant's message. */
  private void openMessage(SseStream sse, String id, long created, OpenAiRequest q, int index) {
    ObjectNode first = chunk(id, created, q, index);
    ObjectNode d = ((ObjectNode) first.get("choices").get(0)).putObject("delta");
    d.put("role", "assistant");
    d.put("content", "");
    sse.data(Json.write(first));
  }

  /** The last chunk of a choice: no text, its finish and stop reasons, the candidate when known, the search. */
  private void finishChoice(SseStream sse, String id, long created, OpenAiRequest q, int index, String finishReason,
      String stopString, Candidate candidate, SearchResult r) {
    ObjectNode last = chunk(id, created, q, index);
    ObjectNode lc = (ObjectNode) last.get("choices").get(0);
    if (chat) {
      lc.putObject("delta");
    } else {
      lc.put("text", "");
    }
    lc.put("finish_reason", finishReason);
    lc.put("stop_reason", stopString);
    if (candidate != null) {
      lc.set("ponder", candidateInfo(candidate));
    }
    last.set("ponder", searchInfo(q, r));
    sse.data(Json.write(last));
  }

  /** The usage chunk when asked for, then {@code [DONE]}. */
  private void endStream(SseStream sse, String id, long created, OpenAiRequest q, Answer a) {
    if (q.includeUsage()) {
      ObjectNode u = head(id, created, q, true);
      u.putArray("choices");
      u.set("usage", usage(a));
      sse.data(Json.write(u));
    }
    sse.data("[DONE]");
  }

  /**
   * How many alternatives per token the request wants: -1 for no log-probabilities. Chat: {@code logprobs: true}
   * with {@code top_logprobs} 0..20; completions: {@code logprobs} 0..5.
   */
  private int logprobs(ObjectNode body) {
    if (chat) {
      boolean on = Json.bool(body, "logprobs", false);
      int top = Json.integer(body, "top_logprobs", 0, 0, 20);
      if (top > 0 && !on) {
        throw ApiError.invalid("top_logprobs", "'top_logprobs' needs \"logprobs\": true");
      }
      return on ? top : -1;
    }
    return Json.present(body, "logprobs") ? Json.integer(body, "logprobs", 0, 0, 5) : -1;
  }

  private Answer answer(OpenAiRequest q, String prompt, SearchResult r, int top) {
    List<Choice> choices = choices(q, r);
    if (top < 0 || choices.isEmpty()) {
      return new Answer(r, choices, null);
    }
    List<String> texts = new ArrayList<>();
    double[] totals = new double[choices.size()];
    boolean[] ended = new boolean[choices.size()];
    for (int i = 0; i < choices.size(); i++) {
      Choice c = choices.get(i);
      texts.add(c.text());
      boolean cutByStop = !c.text().equals(c.candidate().text());
      totals[i] = cutByStop ? Double.NaN : c.candidate().logProb();
      ended[i] = !cutByStop && c.candidate().finished();
    }
    return new Answer(r, choices, TokenLogprobs.score(models.policy(q.model(), "model"), prompt, texts, totals,
        ended, top));
  }

  private ObjectNode logprobsJson(Answer a, int i) {
    List<TokenLogprobs.Token> tokens = a.logprobs().texts().get(i);
    ObjectNode o = Json.MAPPER.createObjectNode();
    if (chat) {
      ArrayNode content = o.putArray("content");
      for (TokenLogprobs.Token t : tokens) {
        ObjectNode j = content.addObject();
        j.put("token", t.token());
        j.put("logprob", t.logprob());
        bytes(j.putArray("bytes"), t.token());
        ArrayNode alts = j.putArray("top_logprobs");
        for (TokenLogprobs.Top alt : t.top()) {
          ObjectNode k = alts.addObject();
          k.put("token", alt.token());
          k.put("logprob", alt.logprob());
          bytes(k.putArray("bytes"), alt.token());
        }
      }
      o.putNull("refusal");
    } else {
      ArrayNode toks = o.putArray("tokens");
      ArrayNode lps = o.putArray("token_logprobs");
      ArrayNode tops = o.putArray("top_logprobs");
      ArrayNode offsets = o.putArray("text_offset");
      for (TokenLogprobs.Token t : tokens) {
        toks.add(t.token());
        lps.add(t.logprob());
        ObjectNode alts = tops.addObject();
        t.top().forEach(alt -> alts.put(alt.token(), alt.logprob()));
        offsets.add(t.offset());
      }
    }
    return o;
  }

  private static void bytes(ArrayNode a, String token) {
    for (byte b : token.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      a.add(b & 0xff);
    }
  }

  private static String prompt(ObjectNode body) {
    var p = body.get("prompt");
    if (p == null || p.isNull()) {
      throw ApiError.missing("prompt", "a string");
    }
    if (p.isTextual()) {
      return p.asText();
    }
    if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
      return p.get(0).asText();
    }
    throw ApiError.unsupported("prompt", "'prompt' must be a string (or an array of exactly one string; batches of"
        + " prompts and token arrays are not supported), found " + Json.describe(p));
  }

  private List<Choice> choices(OpenAiRequest q, SearchResult r) {
    List<Candidate> cs = r.candidates();
    int count = Math.min(q.n(), cs.size());
    List<Choice> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Candidate c = cs.get(i);
      String text = c.text();
      String reason = c.finished() ? "stop" : "length";
      int cut = -1;
      String matched = null;
      for (String s : q.stop()) {
        int at = text.indexOf(s);
        if (at >= 0 && (cut < 0 || at < cut)) {
          cut = at;
          matched = s;
        }
      }
      if (cut >= 0) {
        text = text.substring(0, cut);
        reason = "stop";
      }
      out.add(new Choice(text, reason, matched, c));
    }
    return out;
  }

  private ObjectNode response(String id, long created, OpenAiRequest q, Answer a) {
    SearchResult r = a.result();
    ObjectNode o = head(id, created, q, false);
    ArrayNode arr = o.putArray("choices");
    List<Choice> choices = a.choices();
    for (int i = 0; i < choices.size(); i++) {
      Choice c = choices.get(i);
      ObjectNode j = arr.addObject();
      j.put("index", i);
      if (chat) {
        ObjectNode msg = j.putObject("message");
        msg.put("role", "assistant");
        msg.put("content", c.text());
        msg.putNull("refusal");
      } else {
        j.put("text", c.text());
      }
      if (a.logprobs() == null) {
        j.putNull("logprobs");
      } else {
        j.set("logprobs", logprobsJson(a, i));
      }
      j.put("finish_reason", c.finishReason());
      // As vLLM does: the stop string that ended the text, null at end of sequence or length; so a client that
      // steps by stop strings can tell a step's end from the text's.
      j.put("stop_reason", c.stopString());
      j.set("ponder", candidateInfo(c.candidate()));
    }
    o.set("usage", usage(a));
    o.set("ponder", searchInfo(q, r));
    return o;
  }

  private void stream(SseStream sse, String id, long created, OpenAiRequest q, Answer a) {
    SearchResult r = a.result();
    List<Choice> choices = a.choices();
    for (int i = 0; i < choices.size(); i++) {
      Choice c = choices.get(i);
      if (chat) {
        openMessage(sse, id, created, q, i);
      }
      ObjectNode content = chunk(id, created, q, i);
      ObjectNode ch = (ObjectNode) content.get("choices").get(0);
      if (chat) {
        ch.putObject("delta").put("content", c.text());
      } else {
        ch.put("text", c.text());
      }
      if (a.logprobs() != null) {
        ch.set("logprobs", logprobsJson(a, i));
      }
      sse.data(Json.write(content));
      finishChoice(sse, id, created, q, i, c.finishReason(), c.stopString(), c.candidate(), r);
    }
    endStream(sse, id, created, q, a);
  }

  private ObjectNode chunk(String id, long created, OpenAiRequest q, int index) {
    ObjectNode o = head(id, created, q, true);
    if (q.includeUsage()) {
      o.putNull("usage");
    }
    ObjectNode c = o.putArray("choices").addObject();
    c.put("index", index);
    c.putNull("logprobs");
    c.putNull("finish_reason");
    return o;
  }

  private ObjectNode head(String id, long created, OpenAiRequest q, boolean chunk) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", id);
    o.put("object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
    o.put("created", created);
    o.put("model", q.model());
    o.put("system_fingerprint", "ponder");
    return o;
  }

  private static ObjectNode usage(Answer a) {
    SearchStats s = a.result().stats();
    long scoring = a.logprobs() == null ? 0 : a.logprobs().stats().policyTokens();
    ObjectNode u = Json.MAPPER.createObjectNode();
    u.put("prompt_tokens", s.promptTokens());
    u.put("completion_tokens", s.generatedTokens());
    u.put("total_tokens", s.promptTokens() + s.generatedTokens());
    u.put("policy_tokens", s.policyTokens() + scoring);
    u.put("logprob_tokens", scoring);
    u.put("padding_tokens", s.paddingTokens());
    u.put("verifier_tokens", s.verifierTokens());
    return u;
  }

  private static ObjectNode candidateInfo(Candidate c) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    ResultJson.number(o, "score", c.score());
    ResultJson.number(o, "logprob", c.logProb());
    o.put("tokens", c.tokens());
    o.put("text", c.text());
    return o;
  }

  private static ObjectNode searchInfo(OpenAiRequest q, SearchResult r) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("algorithm", q.spec().algorithm());
    o.put("seed", q.seed());
    o.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
    o.set("stop_reason", ResultJson.stopReason(r.stopReason()));
    o.put("candidates", r.candidates().size());
    o.set("stats", ResultJson.stats(r.stats()));
    return o;
  }
}
