package dev.ponder.engine.lm;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import java.util.ArrayList;
import java.util.List;

/**
 * A language model decoding one prompt, as a {@link GenerativeProcess}: a step is one token or one reasoning
 * step (tokens up to a {@link StepBoundary}), taken for all live hypotheses together with one batched model call
 * per token position.
 *
 * <p>Each hypothesis's KV row covers all of its tokens and holds its next-token logits, so {@link #start} runs
 * the prompt once however many hypotheses share it, and a fork costs nothing until it decodes.
 *
 * <p>Determinism: token draws come from {@link RandomStreams} keyed by (lineage, token index, TOKEN), so a
 * hypothesis samples the same tokens alone or in any batch. Hypotheses from {@link #start} get lineages 0, 1, 2,
 * ... in the order this process hands them out; forks get {@link RandomStreams#childLineage}.
 */
public final class LmProcess implements GenerativeProcess<LmHypothesis> {
  private final LanguageModel model;
  private final int[] prompt;
  private final Decoding decoding;
  private final FloatPool pool;
  private final BatchForward forward;
  /** The continuous-batching lane this process's calls go through; null when it makes its own calls. */
  private final StepScheduler lane;
  private final TokenSampler sampler;
  private final List<KvBlock> blocks = new ArrayList<>();
  /** Bytes of KV cache and logits the live blocks hold: counted against the model's batch memory limit. */
  private long heldBytes;
  private KvBlock promptBlock;
  private long nextLineage;
  private int maxBatchRows = Integer.MAX_VALUE;
  private boolean closed;

  LmProcess(LanguageModel model, int[] prompt, Decoding decoding) {
    this.model = model;
    this.prompt = prompt;
    this.decoding = decoding;
    this.pool = new FloatPool(model.shelf());
    // a GroupQueryAttention export makes its own in-place calls (GqaForward): the merged calls are not built for it yet
    this.lane = model.maskSumAttention() ? null : model.scheduler();
    this.forward = new BatchForward(model.session(), model.config(), pool, model.batchMemoryLimit(), lane);
    if (model.maskSumAttention()) {
      forward.inPlaceGqa();
    }
    this.sampler = new TokenSampler(model.config().vocab());
  }

  public Decoding decoding() {
    return decoding;
  }

  public int promptLength() {
    return prompt.length;
  }

  /**
   * Caps the rows of one model call: a step for more hypotheses runs as several calls of at most {@code rows}
   * rows each (consecutive slices of the list, in order), which bounds peak memory for wide searches. Tokens and
   * texts are the same at any cap (draws are keyed by lineage, never by row); model calls, padding and gathered
   * rows are not. Default: no cap.
   *
   * @return this process
   * @throws IllegalArgumentException when {@code rows < 1}
   */
  public LmProcess maxBatchRows(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("maxBatchRows must be >= 1, was " + rows);
    }
    this.maxBatchRows = rows;
    return this;
  }

  @Override
  public List<LmHypothesis> start(int n, SearchContext ctx) {
    requireOpen();
    if (n < 1) {
      throw new IllegalArgumentException("start needs n >= 1 hypotheses, was " + n);
    }
    if (promptBlock == null) {
      LmHypothesis root = new LmHypothesis(model, -1, prompt);
      promptBlock = runCall(List.of(root), ctx);
      ctx.counters().addPromptTokens(prompt.length);
      promptBlock.retain(); // the process keeps the prompt's state for later starts
      drop(root);
    }
    List<LmHypothesis> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      LmHypothesis h = new LmHypothesis(model, nextLineage++, prompt);
      point(h, promptBlock, 0);
      out.add(h);
    }
    return out;
  }

  /**
   * Hypotheses for several prompts given as token ids, prefilled together in one left-padded batch (no prefix
   * sharing): for parity tests and multi-prompt batches.
   */
  public List<LmHypothesis> startEach(List<int[]> prompts, SearchContext ctx) {
    requireOpen();
    List<LmHypothesis> out = new ArrayList<>();
    for (int[] p : prompts) {
      out.add(new LmHypothesis(model, nextLineage++, p.clone()));
      ctx.counters().addPromptTokens(p.length);
    }
    runForward(out, ctx);
    return out;
  }

  @Override
  public List<LmHypothesis> advance(List<LmHypothesis> live, SearchContext ctx) {
    return advance(live, decoding, ctx);
  }

  /**
   * One step like {@link #advance}, but every token is the most likely one (temperature 0) whatever this
   * process's decoding samples; the step boundary and the length limit are this process's. For look-ahead
   * roll-outs: the same state always rolls out to the same tokens, and no random draw is made.
   */
  @Override
  public boolean hasGreedyStep() {
    return true;
  }

  @Override
  public List<LmHypothesis> advanceGreedy(List<LmHypothesis> live, SearchContext ctx) {
    return advance(live, decoding.withTemperature(0), ctx);
  }

  private List<LmHypothesis> advance(List<LmHypothesis> live, Decoding tokens, SearchContext ctx) {
    requireOpen();
    boolean[] moved = new boolean[live.size()];
    for (int i = 0; i < live.size(); i++) {
      LmHypothesis h = live.get(i);
      if (h.released) {
        throw new IllegalArgumentException("hypothesis " + h.lineage + " was released");
      }
      moved[i] = !h.isTerminal();
      h.stepDone = h.isTerminal();
      h.stepTokens = 0;
      h.stepLogProb = 0;
    }
    StringBuilder[] stepText = new StringBuilder[live.size()];
    while (true) {
      boolean anyFed = false;
      for (int i = 0; i < live.size(); i++) {
        LmHypothesis h = live.get(i);
        if (h.stepDone) {
          continue;
        }
        chooseNext(h, tokens, ctx);
        if (decoding.boundary().needsText()) {
          stepText[i] = stepText[i] == null ? new StringBuilder() : stepText[i];
          stepText[i].append(model.tokenText(h.tokens[h.length - 1]));
        }
        if (h.isTerminal()) {
          h.stepDone = true;
          continue;
        }
        anyFed = true;
        if (endsStep(h, stepText[i])) {
          h.stepDone = true;
        }
      }
      if (!anyFed) {
        break;
      }
      runForward(live, ctx);
      if (allDone(live) || ctx.stopReason() != null) {
        break;
      }
    }
    for (int i = 0; i < live.size(); i++) {
      LmHypothesis h = live.get(i);
      if (!moved[i]) {
        continue;
      }
      h.stepIndex++;
      if (h.isTerminal()) {
        ctx.emit(new SearchEvent.Finish(h.lineage, text(h)));
      }
    }
    return live;
  }

  /**
   * Appends a chosen token to each hypothesis (token-level algorithms such as beam search choose tokens
   * themselves), adds its model log-probability, and feeds the non-terminal ones to the model in one batched
   * call so that their next-token logits are ready.
   */
  public List<LmHypothesis> extend(List<LmHypothesis> hs, int[] tokens, SearchContext ctx) {
    requireOpen();
    if (tokens.length != hs.size()) {
      throw new IllegalArgumentException("extend needs one token per hypothesis: " + hs.size() + " hypotheses, "
          + tokens.length + " tokens");
    }
    int v = model.config().vocab();
    boolean anyFed = false;
    int appended = 0; // counted once after the loop (one atomic add, not one a row), also when a row is rejected
    try {
      for (int i = 0; i < hs.size(); i++) {
        LmHypothesis h = hs.get(i);
        if (h.released || h.isTerminal()) {
          throw new IllegalArgumentException("hypothesis " + h.lineage + " is " + (h.released ? "released" : "terminal"));
        }
        if (tokens[i] < 0 || tokens[i] >= v) {
          throw new IllegalArgumentException("token " + tokens[i] + " is outside the vocabulary [0, " + v + ")");
        }
        double lp = sampler.logSoftmaxAt(h.block.logits.floats, h.row * v, tokens[i]);
        h.append(tokens[i]);
        h.logProb += lp;
        h.stepLogProb = lp;
        h.stepTokens = 1;
        h.stepIndex++;
        appended++;
        markIfTerminal(h, tokens[i]);
        anyFed |= !h.isTerminal();
      }
    } finally {
      if (appended > 0) {
        ctx.counters().addGeneratedTokens(appended);
      }
    }
    if (anyFed) {
      runForward(hs, ctx);
    }
    return hs;
  }

  /** The model's log-probabilities of every next token for the hypothesis (log-softmax of its logits). */
  public float[] nextLogProbs(LmHypothesis h) {
    float[] logits = nextLogits(h);
    double max = Double.NEGATIVE_INFINITY;
    for (float x : logits) {
      max = Math.max(max, x);
    }
    double z = 0;
    for (float x : logits) {
      z += Math.exp(x - max);
    }
    double logZ = max + Math.log(z);
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) (logits[i] - logZ);
    }
    return logits;
  }

  private static boolean allDone(List<LmHypothesis> live) {
    for (LmHypothesis h : live) {
      if (!h.stepDone) {
        return false;
      }
    }
    return true;
  }

  /** Samples the hypothesis's next token from the logits its KV row holds, and appends it. */
  private void chooseNext(LmHypothesis h, Decoding tokens, SearchContext ctx) {
    int v = model.config().vocab();
    double u = tokens.isGreedy() ? 0 : ctx.random().uniform(h.lineage, h.length - h.promptLength, RandomStreams.Purpose.TOKEN, 0);
    int token = sampler.choose(h.block.logits.floats, h.row * v, tokens, u);
    double lp = sampler.lastLogProb();
    h.append(token);
    h.logProb += lp;
    h.entropySum += sampler.lastEntropy();
    h.entropyTokens++;
    h.stepLogProb += lp;
    h.stepTokens++;
    ctx.counters().addGeneratedTokens(1);
    markIfTerminal(h, token);
  }

  /**
   * Marks the hypothesis finished (end of sequence) or cut (length limit) after its latest token. A terminal
   * hypothesis never feeds the model again, so it lets go of its KV row at once: the rows still decoding can then
   * be closed up in place instead of gathered into a new buffer.
   */
  private void markIfTerminal(LmHypothesis h, int token) {
    if (model.config().eosIds().contains(token) || hitsStop(h)) {
      h.finished = true;
    } else if (h.generatedLength() >= decoding.maxNewTokens() || h.length >= model.config().maxPositions()) {
      h.cut = true;
    }
    if (h.isTerminal()) {
      letGoOfKv(h);
    }
  }

  /**
   * Whether the latest token completed one of the decoding's stop strings. Only the generated text's tail that a
   * new match must overlap is decoded (the latest token's text and the longest stop's length before it): an
   * earlier match would have finished the hypothesis already.
   */
  private boolean hitsStop(LmHypothesis h) {
    List<String> stop = decoding.stop();
    if (stop.isEmpty()) {
      return false;
    }
    int longest = 0;
    for (String s : stop) {
      longest = Math.max(longest, s.length());
    }
    int need = longest - 1 + model.tokenText(h.tokens[h.length - 1]).length();
    StringBuilder tail = new StringBuilder();
    for (int i = h.length - 1; i >= h.promptLength && tail.length() < need; i--) {
      tail.insert(0, model.tokenText(h.tokens[i]));
    }
    for (String s : stop) {
      if (tail.indexOf(s) >= 0) {
        return true;
      }
    }
    return false;
  }

  private boolean endsStep(LmHypothesis h, StringBuilder stepText) {
    StepBoundary b = decoding.boundary();
    if (h.stepTokens >= b.maxTokens()) {
      return true;
    }
    if (stepText != null) {
      for (String stop : b.stopStrings()) {
        if (endsWith(stepText, stop)) {
          return true;
        }
      }
      return b.callback().endsStep(h, stepText.toString());
    }
    return false;
  }

  private static boolean endsWith(StringBuilder sb, String suffix) {
    int n = suffix.length();
    return sb.length() >= n && sb.substring(sb.length() - n).equals(suffix);
  }

  /**
   * One model call for these rows, or one per slice of at most {@link #maxBatchRows} rows (a slice that feeds
   * nothing is skipped); rows that fed nothing keep their state.
   */
  private void runForward(List<LmHypothesis> rows, SearchContext ctx) {
    if (rows.size() <= maxBatchRows) {
      runCall(rows, ctx);
      return;
    }
    for (int from = 0; from < rows.size(); from += maxBatchRows) {
      List<LmHypothesis> slice = rows.subList(from, Math.min(rows.size(), from + maxBatchRows));
      if (feedsAnything(slice)) {
        runCall(slice, ctx);
      }
    }
  }

  /** Whether some row has tokens its KV row does not hold yet (a terminal row never feeds). */
  private boolean feedsAnything(List<LmHypothesis> rows) {
    for (LmHypothesis h : rows) {
      if (!h.isTerminal() && (!model.config().hasCache() || h.block == null || h.length > h.cachedTokens())) {
        return true;
      }
    }
    return false;
  }

  /**
   * One model call for the non-terminal ones of these rows (a terminal row holds no KV and needs no logits, so it
   * takes no row in the call); repoints them at the new block.
   */
  private KvBlock runCall(List<LmHypothesis> candidates, SearchContext ctx) {
    List<LmHypothesis> rows = withoutTerminal(candidates);
    if (rows.isEmpty()) {
      return null;
    }
    KvBlock next = forward.run(rows, ctx.counters(), heldBytes);
    blocks.add(next);
    heldBytes += next.bytes;
    for (int i = 0; i < rows.size(); i++) {
      LmHypothesis h = rows.get(i);
      KvBlock old = h.block;
      point(h, next, i);
      unref(old);
    }
    return next;
  }

  /** The list itself when no row is terminal (the usual decode step: no copy), else a copy without them. */
  private static List<LmHypothesis> withoutTerminal(List<LmHypothesis> hs) {
    for (int i = 0; i < hs.size(); i++) {
      if (hs.get(i).isTerminal()) {
        List<LmHypothesis> live = new ArrayList<>(hs.size() - 1);
        for (LmHypothesis h : hs) {
          if (!h.isTerminal()) {
            live.add(h);
          }
        }
        return live;
      }
    }
    return hs;
  }

  private void point(LmHypothesis h, KvBlock block, int row) {
    block.retain();
    h.block = block;
    h.row = row;
  }

  private void unref(KvBlock block) {
    if (block != null && block.releaseRef()) {
      block.free(pool);
      blocks.remove(block);
      heldBytes -= block.bytes;
    }
  }

  private void letGoOfKv(LmHypothesis h) {
    unref(h.block);
    h.block = null;
  }

  private void drop(LmHypothesis h) {
    letGoOfKv(h);
    h.released = true;
  }

  @Override
  public LmHypothesis fork(LmHypothesis parent, SearchContext ctx) {
    requireOpen();
    LmHypothesis child = parent.copyAs(RandomStreams.childLineage(parent.lineage, parent.forks++));
    if (parent.block != null) {
      point(child, parent.block, parent.row);
    }
    return child;
  }

  @Override
  public boolean isTerminal(LmHypothesis h) {
    return h.isTerminal();
  }

  @Override
  public long lineage(LmHypothesis h) {
    return h.lineage;
  }

  /** The generated text, exactly as decoded (end-of-sequence tokens dropped). */
  public String text(LmHypothesis h) {
    return h.text();
  }

  /** A copy of the logits for the hypothesis's next token (for tests and token-level algorithms). */
  public float[] nextLogits(LmHypothesis h) {
    requireOpen(); // a closed process's buffers may already serve another search
    if (h.isTerminal() || h.released) {
      throw new IllegalArgumentException("hypothesis " + h.lineage + " is " + (h.released ? "released" : "terminal")
          + ": it has no next-token logits");
    }
    int v = model.config().vocab();
    float[] out = new float[v];
    h.block.logits.floats.get(h.row * v, out);
    return out;
  }

  @Override
  public Candidate toCandidate(LmHypothesis h, double score) {
    return new Candidate(text(h), score, h.logProb, h.generatedLength(), h.finished);
  }

  @Override
  public void release(LmHypothesis h) {
    if (h.released) {
      return;
    }
    drop(h);
  }

  /**
   * What this process's KV bookkeeping has done so far: one value, for tests, benchmarks and logs.
   *
   * @param gatheredRows KV rows copied because the batch changed (fork, prune, reorder): the cost of not reusing in
   *                     place
   * @param movedRows    KV rows moved down inside their block because rows before them finished: the cheap way to
   *                     shrink a batch
   * @param reusedCalls  model calls that fed the previous call's KV outputs back in, as they were or closed up
   * @param liveBlocks   KV blocks still alive (a search that released its hypotheses leaves only the prompt's)
   */
  public record Diagnostics(long gatheredRows, long movedRows, long reusedCalls, int liveBlocks) {}

  public Diagnostics diagnostics() {
    return new Diagnostics(forward.gatheredRows(), forward.movedRows(), forward.reusedCalls(), blocks.size());
  }

  /** Direct memory this process allocated for KV and logits (0 when its model's idle buffers sufficed). */
  long allocatedBytes() {
    return pool.allocatedBytes();
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this process is closed");
    }
    if (model.isFreed()) {
      throw new IllegalStateException("language model " + model.name() + " was closed while this process was open"
          + " (its close() waited " + model.options().closeTimeout() + " for it); close processes before their model");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      for (KvBlock b : blocks) {
        b.free(pool);
      }
      blocks.clear();
      heldBytes = 0;
      forward.close();
      pool.clear();
    } finally {
      model.processClosed(lane);
    }
  }
}
