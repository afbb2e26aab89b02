package dev.ponder.bench;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.model.ModelOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The engine's decode step as a decode loop takes it after its first step: {@code batch} hypotheses, each the only
 * owner of its KV row, each extended by one chosen token ({@link LmProcess#extend}: one model call, no sampling).
 * For comparing KV layouts on the same weights (optimum's past -> present concat, onnxruntime-genai's
 * GroupQueryAttention with one buffer written in place).
 *
 * <p>State: {@code batch} copies of the past are prefilled once; every {@code cycle} steps the rows are released
 * and forked anew from them, and that first step (a gather for the in-place layout, whose rows are shared with the
 * saved ones) is taken in {@link #before()}, outside the measured region. So the past grows from P + 1 to
 * P + cycle tokens, the same on every side.
 */
final class ContinuingDecodeStep implements DecodeStep {
  private final LanguageModel lm;
  private final Path modelDir;
  private final LmProcess process;
  private final SearchContext ctx = SearchContext.builder().seed(7).build();
  private final List<LmHypothesis> parents;
  private final int[] tokens;
  private final int cycle;
  private List<LmHypothesis> rows;
  private int steps;
  private long measured;
  private long callsBefore;

  ContinuingDecodeStep(Path modelDir, int batch, int[] past, int token, int cycle) {
    this.lm = LanguageModel.load(modelDir, ModelOptions.cpu().withThreads(1, 1));
    this.modelDir = modelDir;
    this.process = lm.process(past, Decoding.greedy().withMaxNewTokens(cycle + 8));
    this.parents = process.startEach(Collections.nCopies(batch, past), ctx);
    this.tokens = new int[batch];
    Arrays.fill(tokens, token);
    this.cycle = cycle;
  }

  @Override
  public void before() {
    if (rows == null || steps >= cycle - 1) {
      if (rows != null) {
        rows.forEach(process::release);
      }
      List<LmHypothesis> forks = new ArrayList<>(parents.size());
      for (LmHypothesis p : parents) {
        forks.add(process.fork(p, ctx));
      }
      rows = process.extend(forks, tokens, ctx);
      steps = 0;
    }
    callsBefore = ctx.counters().modelCalls();
  }

  @Override
  public Object run() {
    rows = process.extend(rows, tokens, ctx);
    steps++;
    return rows;
  }

  @Override
  public void after() {
    if (ctx.counters().modelCalls() != callsBefore + 1 || rows.stream().anyMatch(LmHypothesis::isTerminal)) {
      throw new IllegalStateException("a measured step must be one model call with every row live");
    }
    measured++;
  }

  @Override
  public String summary() {
    LmProcess.Diagnostics d = process.diagnostics();
    return String.format("%s: %d measured steps; %d calls reused or wrote the previous KV in place, %d rows gathered"
        + " (at the %d-step resets)", modelDir.getFileName(), measured, d.reusedCalls(), d.gatheredRows(), cycle);
  }

  @Override
  public void close() {
    process.close();
    lm.close();
  }
}
