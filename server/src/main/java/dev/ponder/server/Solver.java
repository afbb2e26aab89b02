package dev.ponder.server;

import dev.ponder.engine.Budget;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import java.util.function.Function;

/** How {@code ponder eval} searches one problem: over the in-process policy, or over a remote one. */
interface Solver extends AutoCloseable {

  SearchResult solve(String prompt, long seed, Budget budget);

  @Override
  void close();

  /**
   * The named Countdown search over an in-process policy, which the solver owns (and closes); the outcome scorer
   * is made over that policy ({@code orm+logprob+swap} reads it); {@code prm} is null when the search needs none.
   */
  static Solver local(LanguageModel policy, String algorithm, CountdownAlgorithms.Knobs knobs, double temperature,
      Function<LanguageModel, OutcomeScorer<LmHypothesis>> outcomeOver, ProcessScorer<LmHypothesis> prm) {
    OutcomeScorer<LmHypothesis> outcome = outcomeOver.apply(policy);
    Decoding decoding = Decoding.sampling().withTemperature(temperature).withMaxNewTokens(policy.defaultMaxNewTokens());
    return new Solver() {
      @Override
      public SearchResult solve(String prompt, long seed, Budget budget) {
        return CountdownAlgorithms.builder(algorithm, policy, decoding, knobs, () -> outcome,
            () -> prm).budget(budget).seed(seed).run(prompt);
      }

      @Override
      public void close() {
        policy.close();
      }
    };
  }
}
