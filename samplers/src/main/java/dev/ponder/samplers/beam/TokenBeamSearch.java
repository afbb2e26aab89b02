package dev.ponder.samplers.beam;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.core.ProcessSource;
import java.util.Objects;

/**
 * Token-level beam search that returns what Hugging Face transformers' {@code generate(num_beams=N,
 * do_sample=False)} returns, token for token: the same candidates, the same order, the same
 * {@code sequences_scores} (see {@link TokenBeam} for the algorithm and its invariants).
 *
 * <pre>{@code
 * SearchResult r = Search.tokenBeam(policy).numBeams(4).lengthPenalty(1.0)
 *     .earlyStopping(TokenBeamSearch.EarlyStopping.EARLY).numReturnSequences(2).maxNewTokens(72)
 *     .run("numbers: 3 7 25 50 target: 85\n");
 * r.best().score();   // sum of token log-probabilities / generated length ** lengthPenalty
 * }</pre>
 *
 * <p>Knobs and their transformers names: {@code numBeams} = {@code num_beams}, {@code lengthPenalty} =
 * {@code length_penalty}, {@code earlyStopping} = {@code early_stopping}, {@code numReturnSequences} =
 * {@code num_return_sequences}, {@code maxNewTokens} = {@code max_new_tokens}; the end-of-sequence ids are the
 * policy's ({@code generation_config.json}). Defaults are transformers' except {@code numBeams} (4, not 1).
 *
 * <p>Of the {@link #decoding} only {@code maxNewTokens} is read: beam search here is deterministic, and
 * transformers applies no temperature, top-k, top-p or min-p warpers when {@code do_sample=False}.
 *
 * <p>The result holds at most {@code numReturnSequences} candidates, best first, each scored by its
 * length-normalised log-probability (transformers' {@code sequences_scores}). When the budget runs out or the
 * search is cancelled, the finished hypotheses come first and the live beams fill the rest (not finished, scored
 * by the same rule over their current length).
 */
public final class TokenBeamSearch extends ProcessSearch<LmHypothesis, TokenBeamSearch> {

  /** When the search stops; transformers' {@code early_stopping}. */
  public enum EarlyStopping {
    /** {@code early_stopping=True}: stop as soon as {@code numBeams} hypotheses have finished. */
    EARLY,
    /**
     * {@code early_stopping=False} (transformers' default): stop when the best live beam, scored as if it ended
     * at its current length, cannot beat the worst of {@code numBeams} finished hypotheses. A heuristic: with
     * {@code lengthPenalty > 0} a longer continuation may still have scored higher.
     */
    HEURISTIC,
    /**
     * {@code early_stopping="never"}: like {@link #HEURISTIC}, but with {@code lengthPenalty > 0} the best live
     * beam is scored as if it ended at {@code maxNewTokens}, so the search stops only when no better hypothesis
     * can be found (canonical beam search with {@code lengthPenalty = 0}).
     */
    NEVER
  }

  private int numBeams = 4;
  private double lengthPenalty = 1.0;
  private EarlyStopping earlyStopping = EarlyStopping.HEURISTIC;
  private int numReturnSequences = 1;

  private final LanguageModel policy;

  public TokenBeamSearch(LanguageModel policy) {
    super(ProcessSource.lm(policy, ProcessSource.defaultDecoding(policy)));
    this.policy = policy;
  }

  /** Beams kept each step (transformers' {@code num_beams}); at least 1. */
  public TokenBeamSearch numBeams(int value) {
    this.numBeams = requireAtLeast("numBeams", value, 1);
    return this;
  }

  /**
   * The exponent of the generated length (end-of-sequence token included) that divides a finished hypothesis's
   * summed log-probability: 0 ranks by plain log-probability, 1 by the mean per token, more favours longer
   * outputs. Any finite value.
   */
  public TokenBeamSearch lengthPenalty(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("lengthPenalty must be finite, was " + value
          + "; 0 ranks by log-probability, 1 by log-probability per token");
    }
    this.lengthPenalty = value;
    return this;
  }

  public TokenBeamSearch earlyStopping(EarlyStopping value) {
    this.earlyStopping = Objects.requireNonNull(value, "earlyStopping");
    return this;
  }

  /** transformers' boolean form: true = {@link EarlyStopping#EARLY}, false = {@link EarlyStopping#HEURISTIC}. */
  public TokenBeamSearch earlyStopping(boolean value) {
    return earlyStopping(value ? EarlyStopping.EARLY : EarlyStopping.HEURISTIC);
  }

  /** How many of the best hypotheses to return; between 1 and {@code numBeams}. */
  public TokenBeamSearch numReturnSequences(int value) {
    this.numReturnSequences = requireAtLeast("numReturnSequences", value, 1);
    return this;
  }

  /** The most tokens a hypothesis may generate, its end-of-sequence token included; at least 1. */
  public TokenBeamSearch maxNewTokens(int value) {
    ProcessSource.Lm lm = (ProcessSource.Lm) source();
    lm.decoding = lm.decoding.withMaxNewTokens(requireAtLeast("maxNewTokens", value, 1));
    return this;
  }

  /**
   * The configuration as the algorithm sees it.
   *
   * @throws IllegalArgumentException when {@code numReturnSequences > numBeams}
   */
  TokenBeam.Config config() {
    if (numReturnSequences > numBeams) {
      throw new IllegalArgumentException("numReturnSequences must be <= numBeams, was numReturnSequences="
          + numReturnSequences + ", numBeams=" + numBeams + "; raise numBeams to " + numReturnSequences
          + " or lower numReturnSequences");
    }
    return new TokenBeam.Config(numBeams, lengthPenalty, earlyStopping, numReturnSequences, policy.eosTokenIds());
  }

  @Override
  public SearchResult run(String prompt) {
    config(); // fail before the prompt is encoded and the process opened
    return super.run(prompt);
  }

  @Override
  protected SearchResult search(GenerativeProcess<LmHypothesis> process, SearchContext ctx) {
    if (!(process instanceof LmProcess lm)) {
      throw new IllegalArgumentException("token-level beam search needs every next-token distribution, which only a"
          + " language model's own process (LanguageModel.process) gives; was " + process.getClass().getName()
          + ". Use step-level beam search (Search.stepBeam) over other processes");
    }
    return TokenBeam.run(lm, config(), ctx).result();
  }
}
