package dev.ponder.remote;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A policy behind an OpenAI-compatible {@code /v1/completions} API as a step-level {@link GenerativeProcess}: one
 * step of one hypothesis is one completion request (the step's stop string, at most the step's tokens), and a
 * step of many hypotheses sends all their requests at once ({@link CompletionClient#completeAll}).
 *
 * <p><b>Prompts.</b> With the {@link EngineDialect#LLAMA_CPP} dialect each request's prompt is the token ids of
 * the prompt plus the hypothesis's generated ids, exactly as the engine produced them, so a step's text is never
 * re-tokenized; the ids of a trimmed stop string are the engine's own ({@code /tokenize}), as llama.cpp itself
 * computes them when it trims. With {@link EngineDialect#TEXT} the prompt is text and the engine re-tokenizes the
 * whole context every step (see that dialect for what that costs and when a step's end is ambiguous).
 *
 * <p><b>Randomness.</b> Each request carries {@code seed = bits(lineage, step, TOKEN, 0)} of the search's
 * {@link RandomStreams} (31 bits), so an engine that honours seeds (llama.cpp does, per request) gives the same
 * tokens for the same (search seed, lineage, step) whatever the batch; hypotheses from {@link #start} get
 * lineages 0, 1, 2, ... and forks {@link RandomStreams#childLineage}, as in-process. Same seeds do not make the
 * same tokens as the in-process sampler: the engine draws its own way; greedy steps (temperature 0) match where
 * the two models' logits agree.
 *
 * <p><b>Counters</b> come from the engine's {@code usage}: per answered request, {@code modelCalls} +1,
 * {@code promptTokens} + (prompt_tokens - cached_tokens), {@code generatedTokens} + completion_tokens,
 * {@code policyTokens} + both (what the engine computed: an engine that reports no {@code cached_tokens} is
 * counted as having cached nothing). The full picture (sent, cached, retries) is in
 * {@link CompletionClient#tally()}.
 *
 * <p><b>Stopping.</b> While a step waits, whatever makes {@link SearchContext#stopNow} answer (a cancelled search,
 * an interrupt of the searching thread, a passed deadline) cancels the requests in flight; the hypotheses answered
 * before that have taken the step, the others are as they were, and the algorithm sees the same stop reason and
 * returns what it has (an interrupt stays set on the thread). A request that fails for good (after retries) fails the step with a {@link RemoteException}; the other
 * requests of the step are cancelled first.
 *
 * <p>Token-level algorithms need the full next-token distribution, which this API does not give (top_logprobs
 * is at most a few alternatives): {@link #nextLogProbs} says so.
 *
 * <p>Not thread-safe, as the contract says; closing it does not close the client, which may serve other
 * processes.
 */
public final class RemoteProcess implements GenerativeProcess<RemoteHypothesis> {
  private final CompletionClient client;
  private final EngineDialect dialect;
  private final String promptText;
  private final int[] promptIds;
  private final int[] stopIds;
  private final RemoteDecoding decoding;
  private final List<RemoteHypothesis> handedOut = new ArrayList<>();
  private long nextLineage;
  private int maxGroup = 1;
  private boolean closed;

  private RemoteProcess(CompletionClient client, String promptText, int[] promptIds, int[] stopIds,
      RemoteDecoding decoding) {
    this.client = Objects.requireNonNull(client, "client");
    this.dialect = client.endpoint().dialect();
    this.promptText = Objects.requireNonNull(promptText, "promptText");
    this.promptIds = promptIds;
    this.stopIds = stopIds;
    this.decoding = Objects.requireNonNull(decoding, "decoding");
    if (dialect == EngineDialect.LLAMA_CPP) {
      if (decoding.stepStops().size() > 1) {
        throw new IllegalArgumentException("the llama.cpp dialect takes at most one step stop string (its answer does"
            + " not say which one matched), found " + decoding.stepStops());
      }
      if (decoding.eosIds().isEmpty()) {
        throw new IllegalArgumentException("the llama.cpp dialect needs the end-of-sequence ids to tell a finished"
            + " step from one that hit its stop string; eosIds is empty");
      }
    }
  }

  /**
   * A process for {@code prompt}: with the llama.cpp dialect the prompt and the step's stop string are tokenized
   * once by the engine's {@code /tokenize}; with the text dialect nothing is.
   */
  public static RemoteProcess open(CompletionClient client, String prompt, RemoteDecoding decoding) {
    if (client.endpoint().dialect() == EngineDialect.TEXT) {
      return new RemoteProcess(client, prompt, null, null, decoding);
    }
    int[] ids = client.tokenize(prompt);
    int[] stop = decoding.stepStops().isEmpty() ? new int[0] : client.tokenize(decoding.stepStops().get(0));
    return new RemoteProcess(client, prompt, ids, stop, decoding);
  }

  /**
   * A llama.cpp-dialect process whose prompt and stop-string ids the caller already has.
   *
   * @param stopIds the ids of the step's stop string (empty when the decoding has none)
   */
  public static RemoteProcess ofIds(CompletionClient client, String promptText, int[] promptIds, int[] stopIds,
      RemoteDecoding decoding) {
    if (client.endpoint().dialect() != EngineDialect.LLAMA_CPP) {
      throw new IllegalArgumentException("token-id prompts need the LLAMA_CPP dialect, the endpoint has "
          + client.endpoint().dialect());
    }
    if (decoding.stepStops().isEmpty() != (stopIds.length == 0)) {
      throw new IllegalArgumentException("stopIds must be given exactly when the decoding has a stop string: stops "
          + decoding.stepStops() + ", stopIds " + Arrays.toString(stopIds));
    }
    return new RemoteProcess(client, promptText, promptIds.clone(), stopIds.clone(), decoding);
  }

  public RemoteDecoding decoding() {
    return decoding;
  }

  public CompletionClient client() {
    return client;
  }

  @Override
  public List<RemoteHypothesis> start(int n, SearchContext ctx) {
    requireOpen();
    if (n < 1) {
      throw new IllegalArgumentException("start needs n >= 1 hypotheses, was " + n);
    }
    List<RemoteHypothesis> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(track(new RemoteHypothesis(nextLineage++, promptText, promptIds != null)));
    }
    return out;
  }

  @Override
  public List<RemoteHypothesis> advance(List<RemoteHypothesis> live, SearchContext ctx) {
    return advance(live, decoding, ctx);
  }

  /**
   * One step like {@link #advance}, but greedy (temperature 0) whatever this process samples: for look-ahead
   * roll-outs.
   */
  @Override
  public boolean hasGreedyStep() {
    return true;
  }

  @Override
  public List<RemoteHypothesis> advanceGreedy(List<RemoteHypothesis> live, SearchContext ctx) {
    return advance(live, decoding.withTemperature(0), ctx);
  }

  /**
   * Sends the hypotheses of a round that have the same context and token allowance as one request with
   * {@code n} = their count (at most {@code maxGroup} a request; 1, the default, sends one request per
   * hypothesis). Best-of-N's start, the forks of a kept beam and SMC's resampled copies then cost one prompt, which
   * the engine prefills once.
   *
   * <p>What it changes, so it is off unless asked for: the group's request carries the seed of its first
   * hypothesis, and each choice's tokens come from the engine's own per-choice scheme (llama.cpp: child k samples
   * with seed + k; {@code ponder serve}: the k-th sample of a search seeded with it), so a hypothesis's tokens
   * depend on its place in its group, not on its lineage alone; the same search with the same seed still gives the
   * same requests and, on a deterministic engine, the same answer. Counters: one model call per request; prompt
   * tokens once per request from {@code usage}; completion tokens per choice from its token ids (llama.cpp, whose
   * {@code usage} with {@code n} > 1 covers one choice, plus the ids of a trimmed stop string) or, for a text-only
   * engine, the request's {@code completion_tokens} shared among the choices by the length of their text unless
   * the choice reports its tokens (logprobs). The engine must accept {@code n} (llama.cpp's server, vLLM,
   * {@code ponder serve} do).
   *
   * @return this process
   */
  public RemoteProcess groupSharedContexts(int maxGroup) {
    if (maxGroup < 1) {
      throw new IllegalArgumentException("maxGroup must be >= 1 (1 = one request per hypothesis), was " + maxGroup);
    }
    this.maxGroup = maxGroup;
    return this;
  }

  private List<RemoteHypothesis> advance(List<RemoteHypothesis> live, RemoteDecoding d, SearchContext ctx) {
    requireOpen();
    List<List<RemoteHypothesis>> groups = new ArrayList<>();
    Map<String, List<RemoteHypothesis>> filling = new HashMap<>();
    for (RemoteHypothesis h : live) {
      if (h.released) {
        throw new IllegalArgumentException("hypothesis " + h.lineage + " was released");
      }
      if (h.isTerminal()) {
        continue;
      }
      List<RemoteHypothesis> g = null;
      String key = null;
      if (maxGroup > 1) {
        key = maxTokens(h, d) + ":" + (h.ids != null ? Arrays.toString(Arrays.copyOf(h.ids, h.idCount)) : h.text);
        g = filling.get(key);
      }
      if (g == null || g.size() >= maxGroup) {
        g = new ArrayList<>();
        groups.add(g);
        if (key != null) {
          filling.put(key, g);
        }
      }
      g.add(h);
    }
    if (groups.isEmpty()) {
      return live;
    }
    List<CompletionRequest> requests = new ArrayList<>(groups.size());
    for (List<RemoteHypothesis> g : groups) {
      requests.add(request(g.get(0), d, ctx, g.size()));
    }
    CompletionClient.Round round = client.completeAll(requests, () -> ctx.stopNow() != null);
    Completion[] answers = round.completions();
    for (int i = 0; i < groups.size(); i++) {
      if (answers[i] != null) {
        applyGroup(groups.get(i), answers[i], requests.get(i).maxTokens(), ctx);
      }
    }
    return live;
  }

  private static int maxTokens(RemoteHypothesis h, RemoteDecoding d) {
    int left = d.maxNewTokens() - h.generatedTokens;
    return Math.max(1, Math.min(d.stepMaxTokens(), left));
  }

  private CompletionRequest request(RemoteHypothesis h, RemoteDecoding d, SearchContext ctx, int n) {
    int maxTokens = maxTokens(h, d);
    long seed = ctx.random().bits(h.lineage, h.stepIndex, RandomStreams.Purpose.TOKEN, 0) & 0x7FFF_FFFFL;
    int logprobs = dialect == EngineDialect.LLAMA_CPP ? 1 : 0;
    if (promptIds != null) {
      int[] ids = Arrays.copyOf(promptIds, promptIds.length + h.idCount);
      System.arraycopy(h.ids, 0, ids, promptIds.length, h.idCount);
      return new CompletionRequest(ids, null, maxTokens, d.stepStops(), d.temperature(), d.topP(), seed, logprobs, n);
    }
    return new CompletionRequest(null, promptText + h.text, maxTokens, d.stepStops(), d.temperature(), d.topP(), seed,
        logprobs, n);
  }

  /** Moves each hypothesis of a request's group on by its choice, and counts what the engine says it cost. */
  private void applyGroup(List<RemoteHypothesis> group, Completion answer, int asked, SearchContext ctx) {
    List<Completion> choices = answer.allChoices();
    if (choices.size() != group.size()) {
      throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, client.endpoint().baseUrl() + " answered "
          + choices.size() + " choices to a request with n=" + group.size() + "; does the engine take 'n'?", null);
    }
    Usage u = answer.usage();
    long[] tokens = new long[group.size()];
    StepEnd[] ends = new StepEnd[group.size()];
    if (group.size() == 1) {
      tokens[0] = u.completionTokens();
    } else if (dialect == EngineDialect.LLAMA_CPP) {
      for (int i = 0; i < tokens.length; i++) {
        Completion c = choices.get(i);
        int[] ids = requireIds(c);
        ends[i] = stepEnd(c, ids);
        tokens[i] = ids.length + (ends[i] == StepEnd.STOP_STRING ? stopIds.length : 0);
      }
    } else {
      shareByText(choices, u.completionTokens(), tokens);
    }
    long completion = 0;
    for (long t : tokens) {
      completion += t;
    }
    ctx.counters().addModelCalls(1);
    ctx.counters().addPromptTokens(u.computedPromptTokens());
    ctx.counters().addGeneratedTokens(completion);
    ctx.counters().addPolicyTokens(u.computedPromptTokens() + completion);
    for (int i = 0; i < tokens.length; i++) {
      apply(group.get(i), choices.get(i), (int) tokens[i], asked, ctx);
    }
  }

  /**
   * A text-only engine's per-choice token counts: the choice's own (its logprobs) where reported, the rest of
   * {@code total} shared by text length (largest remainder), at least 1 a choice.
   */
  private static void shareByText(List<Completion> choices, long total, long[] out) {
    long known = 0;
    long chars = 0;
    for (int i = 0; i < out.length; i++) {
      Completion c = choices.get(i);
      if (c.tokenLogProbs() != null) {
        out[i] = c.tokenLogProbs().length;
        known += out[i];
      } else {
        out[i] = -1;
        chars += c.text().length() + (c.stopReason() == null ? 0 : c.stopReason().length()) + 1;
      }
    }
    long rest = Math.max(0, total - known);
    long given = 0;
    int last = -1;
    for (int i = 0; i < out.length; i++) {
      if (out[i] < 0) {
        Completion c = choices.get(i);
        long w = c.text().length() + (c.stopReason() == null ? 0 : c.stopReason().length()) + 1;
        out[i] = Math.max(1, rest * w / Math.max(1, chars));
        given += out[i];
        last = i;
      }
    }
    if (last >= 0 && given < rest) {
      out[last] += rest - given;
    }
  }

  /** Moves the hypothesis on by one answered step of {@code tokens} tokens ({@code asked} at most). */
  private void apply(RemoteHypothesis h, Completion c, int tokens, int asked, SearchContext ctx) {
    int left = decoding.maxNewTokens() - h.generatedTokens;
    StepEnd end = dialect == EngineDialect.LLAMA_CPP ? applyIds(h, c) : applyText(h, c);
    h.generatedTokens += tokens;
    h.stepIndex++;
    if (end == StepEnd.EOS) {
      h.finished = true;
    } else if (h.generatedTokens >= decoding.maxNewTokens() || (end == StepEnd.LENGTH && asked >= left)) {
      h.cut = true;
    }
    if (h.isTerminal()) {
      ctx.emit(new SearchEvent.Finish(h.lineage, h.text()));
    }
  }

  private int[] requireIds(Completion c) {
    int[] ids = c.tokenIds();
    if (ids == null) {
      throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, client.endpoint().baseUrl()
          + " answered without token ids (choices[].logprobs.content[].id), which the llama.cpp dialect needs;"
          + " is it llama.cpp's server? A text-only engine needs the TEXT dialect", null);
    }
    return ids;
  }

  private enum StepEnd { EOS, STOP_STRING, LENGTH }

  private StepEnd applyIds(RemoteHypothesis h, Completion c) {
    int[] ids = requireIds(c);
    double[] lps = c.tokenLogProbs();
    StepEnd end = stepEnd(c, ids);
    int keep = end == StepEnd.EOS ? ids.length - 1 : ids.length;
    h.appendIds(ids, keep);
    h.text.append(c.text());
    double stepLp = 0;
    for (int i = 0; i < ids.length; i++) {
      stepLp += lps[i];
    }
    if (end == StepEnd.STOP_STRING) {
      h.appendIds(stopIds, stopIds.length);
      h.text.append(decoding.stepStops().get(0));
    }
    h.stepLogProb = stepLp;
    h.logProb += stepLp;
    return end;
  }

  private StepEnd stepEnd(Completion c, int[] ids) {
    switch (c.finishReason()) {
      case "length":
        return StepEnd.LENGTH;
      case "stop":
        if (ids.length > 0 && decoding.eosIds().contains(ids[ids.length - 1])) {
          return StepEnd.EOS;
        }
        if (decoding.stepStops().isEmpty()) {
          throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, client.endpoint().baseUrl()
              + " answered finish_reason=stop with no stop string sent and no end-of-sequence id " + decoding.eosIds()
              + " as the last id: " + Arrays.toString(ids), null);
        }
        return StepEnd.STOP_STRING;
      default:
        throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, client.endpoint().baseUrl()
            + " answered finish_reason=" + c.finishReason() + ", expected stop or length", null);
    }
  }

  private StepEnd applyText(RemoteHypothesis h, Completion c) {
    h.text.append(c.text());
    double stepLp = Double.NaN;
    if (c.tokenLogProbs() != null) {
      stepLp = 0;
      for (double lp : c.tokenLogProbs()) {
        stepLp += lp;
      }
    }
    h.stepLogProb = stepLp;
    h.logProb = h.stepIndex == 0 ? stepLp : h.logProb + stepLp;
    switch (c.finishReason()) {
      case "length":
        return StepEnd.LENGTH;
      case "stop":
        if (!c.stopReasonReported()) {
          if (decoding.stepStops().isEmpty()) {
            return StepEnd.EOS; // no stop string was sent: "stop" can only be the end of sequence
          }
          throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, client.endpoint().baseUrl()
              + " answered finish_reason=stop without choices[0].stop_reason, so end of sequence cannot be told from"
              + " the stop string " + decoding.stepStops() + "; use an engine that reports stop_reason (vLLM) or"
              + " the LLAMA_CPP dialect", null);
        }
        if (c.stopReason() == null) {
          return StepEnd.EOS;
        }
        if (!decoding.stepStops().contains(c.stopReason())) {
          throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, client.endpoint().baseUrl()
              + " answered stop_reason=" + c.stopReason() + ", expected one of " + decoding.stepStops(), null);
        }
        h.text.append(c.stopReason());
        return StepEnd.STOP_STRING;
      default:
        throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, client.endpoint().baseUrl()
            + " answered finish_reason=" + c.finishReason() + ", expected stop or length", null);
    }
  }

  @Override
  public RemoteHypothesis fork(RemoteHypothesis parent, SearchContext ctx) {
    requireOpen();
    if (parent.released) {
      throw new IllegalArgumentException("hypothesis " + parent.lineage + " was released");
    }
    return track(parent.copyAs(RandomStreams.childLineage(parent.lineage, parent.forks++)));
  }

  @Override
  public boolean isTerminal(RemoteHypothesis h) {
    return h.isTerminal();
  }

  @Override
  public long lineage(RemoteHypothesis h) {
    return h.lineage;
  }

  @Override
  public Candidate toCandidate(RemoteHypothesis h, double score) {
    return new Candidate(h.text(), score, h.logProb, h.generatedTokens, h.finished);
  }

  /**
   * Always fails: the API reports at most a few top alternatives per token, not the full distribution that
   * token-level beam search needs.
   *
   * @throws UnsupportedOperationException always
   */
  public float[] nextLogProbs(RemoteHypothesis h) {
    throw new UnsupportedOperationException("token-level search needs the full next-token distribution, which "
        + "/v1/completions does not give (logprobs/top_logprobs carry at most a few alternatives); use a step-level "
        + "algorithm (best-of-N, step beam, DVTS, particle filtering, MCTS) with a remote policy");
  }

  @Override
  public void release(RemoteHypothesis h) {
    h.released = true;
  }

  /** Hypotheses handed out and not yet released (tests use it to prove algorithms release what they take). */
  public int liveHypotheses() {
    int n = 0;
    for (RemoteHypothesis h : handedOut) {
      n += h.released ? 0 : 1;
    }
    return n;
  }

  private RemoteHypothesis track(RemoteHypothesis h) {
    handedOut.add(h);
    return h;
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this process is closed");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    handedOut.forEach(h -> h.released = true);
    handedOut.clear();
  }
}
