package dev.ponder.tasks.countdown;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The policy as its own verifier of a Countdown solution's last equation: it re-reads the solution under the same
 * prompt with the target changed, and scores how likely the last equation's result is there.
 *
 * <p>Why: almost every wrong sample of the bundled policy ends with an equation whose result is the target but
 * whose arithmetic is wrong (the policy writes the target because the prompt asks for it). Under a prompt with
 * another target that pull is gone, so a result the policy wrote only because it was the target becomes unlikely,
 * while a result the arithmetic supports keeps much of its probability. No rule checks the arithmetic: the score
 * is the policy's own log-probability. Measured on Countdown in bench/README.md ("Target swap").
 *
 * <p>Score of a text: the summed log-probability of the last equation's result tokens, teacher-forced after
 * {@code swapped prompt + the text up to that result}, where the swapped prompt's target is {@code target + offset}
 * (default {@value #DEFAULT_OFFSET}, chosen on the validation split: offsets that change only the last digit, +-1,
 * barely separate right from wrong). A text with no step line (as the checker reads them) scores
 * {@link #NO_EQUATION}. The prefixes are prefilled together in one batch and the result tokens fed one position at
 * a time; that work is counted as verifier calls and tokens, not as policy tokens.
 */
public final class TargetSwapCheck implements OutcomeScorer<LmHypothesis> {
  /** The score of a text without an equation line: far below any real one (result digits score about -30 at worst). */
  public static final double NO_EQUATION = -100.0;

  /** The swapped target's distance from the real one. */
  public static final int DEFAULT_OFFSET = 10;

  private final LanguageModel policy;
  private final int offset;

  /** With the default offset. */
  public TargetSwapCheck(LanguageModel policy) {
    this(policy, DEFAULT_OFFSET);
  }

  /**
   * @param policy the policy that wrote the texts (not closed here)
   * @param offset the swapped target is the real one plus this, a positive number
   */
  public TargetSwapCheck(LanguageModel policy, int offset) {
    this.policy = Objects.requireNonNull(policy, "policy");
    if (offset < 1) {
      throw new IllegalArgumentException("the target swap's offset must be >= 1, was " + offset);
    }
    this.offset = offset;
  }

  @Override
  public double[] score(List<LmHypothesis> hs, SearchContext ctx) {
    double[] out = new double[hs.size()];
    List<int[]> prefixes = new ArrayList<>();
    List<int[]> results = new ArrayList<>();
    List<Integer> owner = new ArrayList<>();
    for (int i = 0; i < hs.size(); i++) {
      LmHypothesis h = hs.get(i);
      String text = h.text();
      int[] result = CountdownChecker.lastStepResult(text);
      if (result == null) {
        out[i] = NO_EQUATION;
        continue;
      }
      int start = result[0];
      int end = result[1];
      CountdownProblem problem = CountdownProblem.parse(h.promptText());
      String prompt = new CountdownProblem(problem.numbers(), problem.target() + offset).prompt();
      int[] prefix = policy.encode(prompt + text.substring(0, start));
      int[] whole = policy.encode(prompt + text.substring(0, end));
      if (whole.length <= prefix.length || !Arrays.equals(Arrays.copyOf(whole, prefix.length), prefix)) {
        throw new IllegalStateException("target swap needs a tokenizer that encodes the prefix before a result"
            + " the same way alone and followed by the result; '" + text.substring(0, end) + "' does not");
      }
      prefixes.add(prefix);
      results.add(Arrays.copyOfRange(whole, prefix.length, whole.length));
      owner.add(i);
    }
    if (prefixes.isEmpty()) {
      return out;
    }
    double[] sums = resultLogProbs(prefixes, results, ctx);
    for (int k = 0; k < sums.length; k++) {
      out[owner.get(k)] = sums[k];
    }
    return out;
  }

  /** Each result's summed log-probability after its prefix: one batched prefill, then one position at a time. */
  private double[] resultLogProbs(List<int[]> prefixes, List<int[]> results, SearchContext ctx) {
    SearchContext own = SearchContext.builder().build(); // the policy's counters here are the verifier's
    int longest = results.stream().mapToInt(r -> r.length).max().orElse(0);
    double[] sums = new double[prefixes.size()];
    long tokens = 0;
    long calls = 0;
    try (LmProcess process = policy.process(prefixes.get(0), Decoding.greedy().withMaxNewTokens(longest + 1))) {
      List<LmHypothesis> rows = process.startEach(prefixes, own);
      calls++;
      for (int[] p : prefixes) {
        tokens += p.length;
      }
      for (int pos = 0; pos < longest; pos++) {
        List<LmHypothesis> feed = new ArrayList<>();
        List<Integer> who = new ArrayList<>();
        for (int k = 0; k < rows.size(); k++) {
          if (pos < results.get(k).length) {
            feed.add(rows.get(k));
            who.add(k);
          }
        }
        int[] next = new int[feed.size()];
        for (int j = 0; j < next.length; j++) {
          next[j] = results.get(who.get(j))[pos];
        }
        double[] before = feed.stream().mapToDouble(LmHypothesis::logProb).toArray();
        process.extend(feed, next, own);
        calls++;
        tokens += next.length;
        for (int j = 0; j < next.length; j++) {
          sums[who.get(j)] += feed.get(j).logProb() - before[j];
        }
      }
      rows.forEach(process::release);
    }
    ctx.counters().addVerifierCalls(calls);
    ctx.counters().addVerifierTokens(tokens);
    return sums;
  }
}
