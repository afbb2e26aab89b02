package dev.ponder.remote;

import dev.ponder.engine.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

  private List<RemoteHypothesis> advance(List<RemoteHypothesis> live, RemoteDecoding d, SearchContext ctx) {
    requireOpen();
    List<RemoteHypothesis> moving = new ArrayList<>();
    List<CompletionRequest> requests = new ArrayList<>();
    for (RemoteHypothesis h : live) {
      if (h.released) {
        throw new IllegalArgumentException("hypothesis " + h.lineage + " was released");
      }
      if (h.isTerminal()) {
        continue;
      }
      moving.add(h);
      requests.add(request(h, d, ctx));
    }
    if (requests.isEmpty()) {
      return live;
    }
    CompletionClient.Round round = client.completeAll(requests, () -> ctx.stopNow() != null);
    Completion[] answers = round.completions();
    for (int i = 0; i < moving.size(); i++) {
      if (answers[i] != null) {
        apply(moving.get(i), answers[i], ctx);
      }
    }
    return live;
  }

  private CompletionRequest request(RemoteHypothesis h, RemoteDecoding d, SearchContext ctx) {
    int left = d.maxNewTokens() - h.generatedTokens;
    int maxTokens = Math.max(1, Math.min(d.stepMaxTokens(), left));
    long seed = ctx.random().bits(h.lineage, h.stepIndex, RandomStreams.Purpose.TOKEN, 0) & 0x7FFF_FFFFL;
    int logprobs = dialect == EngineDialect.LLAMA_CPP ? 1 : 0;
    if (promptIds != null) {
      int[] ids = Arrays.copyOf(promptIds, promptIds.length + h.idCount);
      System.arraycopy(h.ids, 0, ids, promptIds.length, h.idCount);
      return new CompletionRequest(ids, null, maxTokens, d.stepStops(), d.temperature(), d.topP(), seed, logprobs);
    }
    return new CompletionRequest(null, promptText + h.text, maxTokens, d.stepStops(), d.temperature(), d.topP(), seed,
        logprobs);
  }

  /** Moves the hypothesis on by one answered step, and counts what the engine says it cost. */
  private void apply(RemoteHypothesis h, Completion c, SearchContext ctx) {
    Usage u = c.usage();
    ctx.counters().addModelCalls(1);
    ctx.counters().addPromptTokens(u.computedPromptTokens());
    ctx.counters().addGeneratedTokens(u.completionTokens());
    ctx.counters().addPolicyTokens(u.computedPromptTokens() + u.completionTokens());
    StepEnd end = dialect == EngineDialect.LLAMA_CPP ? applyIds(h, c) : applyText(h, c);
    h.generatedTokens += (int) u.completionTokens();
    h.stepIndex++;
    if (end == StepEnd.EOS) {
      h.finished = true;
    } else if (h.generatedTokens >= decoding.maxNewTokens()) {
      h.cut = true;
    }
    if (h.isTerminal()) {
      ctx.emit(new SearchEvent.Finish(h.lineage, h.text()));
    }
  }

  private enum StepEnd { EOS, STOP_STRING, LENGTH }

  private StepEnd applyIds(RemoteHypothesis h, Completion c) {
    int[] ids = c.tokenIds();
    if (ids == null) {
      throw new RemoteException(RemoteException.Kind.MALFORMED, 200, 1, client.endpoint().baseUrl()
          + " answered without token ids (choices[0].logprobs.content[].id), which the llama.cpp dialect needs;"
          + " is it llama.cpp's server? A text-only engine needs the TEXT dialect", null);
    }
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
