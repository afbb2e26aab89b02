package dev.ponder.bench;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchContext.SearchCounters;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.model.ModelOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The engine's side: one {@link LmProcess#advance} of {@code batch} hypotheses whose KV rows hold the same P
 * tokens, with one-token steps.
 *
 * <p>State: the saved hypotheses ({@code parents}) are prefilled once with {@link LmProcess#startEach}, so their
 * KV block has exactly {@code batch} rows in order. Before every step they are forked in order; the forks point
 * at the same block rows, so the step feeds that block's buffers straight back as past (no gather), exactly as a
 * decode loop does after its first step. After the step the forks are released, which returns the step's KV
 * block to the pool, so the next step reuses its buffers.
 *
 * <p>Invariants checked after every step: exactly one model call, one more reused call, no gathered row, one
 * token per row and no padding (S = 1), no extra live KV block and no native value left open. A step in which
 * every row sampled end-of-sequence would make no model call, so end-of-sequence is kept out of the draw (see the
 * constructor).
 */
final class EngineDecodeStep implements DecodeStep {
  private final LanguageModel lm;
  private final LmProcess process;
  private final SearchContext ctx;
  private final List<LmHypothesis> parents;
  private final List<LmHypothesis> children;
  private final int liveBlocks;
  private final double eosProbability;
  private final Decoding decoding;
  private long calls;
  private long reused;
  private long gathered;
  private long tokens;
  private long padding;
  private long steps;

  /**
   * @param greedy argmax decoding; otherwise sampling at temperature 1 over the tokens that are more likely than
   *               end-of-sequence (top-k with k = the rank of the first end-of-sequence token), so that no row
   *               ends at the measured step and every step is one model call. The sampler sorts the whole
   *               vocabulary whatever k is, so this costs the same as unrestricted sampling.
   */
  EngineDecodeStep(DecodeInputs in, boolean greedy) {
    this.lm = LanguageModel.load(in.modelDir, ModelOptions.cpu().withThreads(1, 1));
    this.ctx = SearchContext.builder().seed(7).build();
    float[] next;
    try (LmProcess probe = lm.process(in.past, Decoding.greedy())) {
      List<LmHypothesis> one = probe.startEach(List.of(in.past), ctx);
      next = probe.nextLogits(one.get(0));
    }
    this.eosProbability = eosProbability(next);
    int eosRank = eosRank(next);
    if (eosRank == 0) {
      throw new IllegalStateException("end-of-sequence is the most likely next token after the benchmark's past with "
          + in.modelDir + ": every row would end instead of decoding; change DecodeInputs.GENERATED");
    }
    this.decoding = greedy ? Decoding.greedy() : Decoding.sampling().withTopK(eosRank);
    this.process = lm.process(in.past, decoding);
    this.parents = process.startEach(Collections.nCopies(in.batch, in.past), ctx);
    this.children = new ArrayList<>(in.batch);
    this.liveBlocks = process.diagnostics().liveBlocks();
  }

  /** How many tokens are more likely than the most likely end-of-sequence token. */
  private int eosRank(float[] logits) {
    float eos = Float.NEGATIVE_INFINITY;
    for (int id : lm.eosTokenIds()) {
      eos = Math.max(eos, logits[id]);
    }
    int rank = 0;
    for (float x : logits) {
      rank += x > eos ? 1 : 0;
    }
    return rank;
  }

  /** The model's probability (temperature 1) that a row ends at the measured step. */
  private double eosProbability(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float x : logits) {
      max = Math.max(max, x);
    }
    double z = 0;
    for (float x : logits) {
      z += Math.exp(x - max);
    }
    double eos = 0;
    for (int id : lm.eosTokenIds()) {
      eos += Math.exp(logits[id] - max);
    }
    return eos / z;
  }

  @Override
  public void before() {
    for (LmHypothesis p : parents) {
      children.add(process.fork(p, ctx));
    }
    calls = ctx.counters().modelCalls();
    reused = process.diagnostics().reusedCalls();
    gathered = process.diagnostics().gatheredRows();
    tokens = ctx.counters().policyTokens();
    padding = ctx.counters().paddingTokens();
  }

  @Override
  public Object run() {
    return process.advance(children, ctx);
  }

  @Override
  public void after() {
    SearchCounters c = ctx.counters();
    if (c.modelCalls() != calls + 1 || process.diagnostics().reusedCalls() != reused + 1 || process.diagnostics().gatheredRows() != gathered
        || c.policyTokens() != tokens + children.size() || c.paddingTokens() != padding) {
      throw new IllegalStateException("the step was not one zero-copy model call of one new token per row: model"
          + " calls +" + (c.modelCalls() - calls) + ", reused calls +" + (process.diagnostics().reusedCalls() - reused)
          + ", gathered rows +" + (process.diagnostics().gatheredRows() - gathered) + ", tokens +" + (c.policyTokens() - tokens)
          + " for " + children.size() + " rows, padding +" + (c.paddingTokens() - padding));
    }
    for (LmHypothesis h : children) {
      process.release(h);
    }
    children.clear();
    steps++;
    if (process.diagnostics().liveBlocks() != liveBlocks || lm.openNativeValues() != 0) {
      throw new IllegalStateException("the step leaked: live KV blocks " + process.diagnostics().liveBlocks() + " (expected "
          + liveBlocks + "), native values still open " + lm.openNativeValues());
    }
  }

  @Override
  public String summary() {
    return "engine (" + (decoding.isGreedy() ? "greedy" : "sampling, top-k " + decoding.topK()) + "): " + steps
        + " steps checked: each 1 model call, 1 reused call, 0 gathered rows, 1 token per row, no leak (the model's"
        + " end-of-sequence probability at the step: " + String.format("%.2g", eosProbability) + ")";
  }

  @Override
  public void close() {
    for (LmHypothesis p : parents) {
      process.release(p);
    }
    process.close();
    lm.close();
  }
}
