package dev.ponder.verifiers;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.verifiers.BadScorePolicy.BadScoreException;
import dev.ponder.verifiers.Verifiers.VerifierCache;
import dev.ponder.verifiers.internal.LmScorer;
import dev.ponder.verifiers.internal.Quoted;
import dev.ponder.verifiers.internal.Scores;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Scores generated texts: a rule checker, a reward model, an ensemble of them. Higher is better.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #score} returns one value per input, in order, from one batched call per list (a model-backed
 *       verifier makes one model call per list, never one per input);</li>
 *   <li>a verifier that calls a model or runs a rule adds {@code 1} to the context's verifier calls per list and the
 *       tokens it read to its verifier tokens; wrappers (ensembles, caches) add nothing themselves;</li>
 *   <li>a score may be {@code NaN} or infinite only from a broken verifier: every consumer in this module (the
 *       search adapters, ensembles, normalizers and the cache) rejects such a score with a
 *       {@link BadScoreException} naming the verifier and the input, unless {@link Verifiers#withBadScorePolicy}
 *       maps it explicitly;</li>
 *   <li>implementations are thread-safe: several searches may score through one verifier at once.</li>
 * </ul>
 */
public interface Verifier {

  /** A short name for errors, events and statistics, e.g. {@code "countdown"} or {@code "orm"}. */
  String name();

  /** One score per input, in the order given. */
  double[] score(List<VerifierInput> inputs, SearchContext ctx);

  /**
   * This verifier as a search's outcome scorer over language-model hypotheses: each finished hypothesis is read
   * as {@link VerifierInput#of(LmHypothesis)}. Non-finite scores are rejected with a {@link BadScoreException}.
   */
  default OutcomeScorer<LmHypothesis> asOutcomeScorer() {
    return new LmScorer(this);
  }

  /** This verifier as a search's process scorer over partial language-model hypotheses (see {@link #asOutcomeScorer}). */
  default ProcessScorer<LmHypothesis> asProcessScorer() {
    return new LmScorer(this);
  }

  /**
   * What a verifier reads: the prompt and the text generated after it. Equality is exact (every character of both),
   * which makes it the key under which {@link VerifierCache} remembers a score.
   *
   * @param prompt the prompt exactly as the policy saw it (may be empty)
   * @param text   the generated text, end-of-sequence tokens removed
   */
  public record VerifierInput(String prompt, String text) {

    public VerifierInput {
      Objects.requireNonNull(prompt, "prompt");
      Objects.requireNonNull(text, "text");
    }

    public static VerifierInput of(String prompt, String text) {
      return new VerifierInput(prompt, text);
    }

    /** The hypothesis's decoded prompt and generated text. */
    public static VerifierInput of(LmHypothesis hypothesis) {
      return new VerifierInput(hypothesis.promptText(), hypothesis.text());
    }

    /** Prompt followed by the generated text. */
    public String full() {
      return prompt + text;
    }

    /** A short, printable form for error messages: quoted, escaped, cut in the middle past 160 characters. */
    public String describe() {
      return "prompt " + Quoted.of(prompt) + ", text " + Quoted.of(text);
    }

  }

  /**
   * Rescales the scores of one candidate set so that verifiers on different scales can be compared or combined.
   * Each applies to the list scored together (a batch), so the result depends on the whole set.
   */
  public enum Normalization {
    /** {@code (s - mean) / std} with the population std ({@code Σ(s - mean)² / n}); all 0 when the std is 0. */
    Z_SCORE {
      @Override
      double[] rescale(double[] s) {
        double mean = Arrays.stream(s).average().orElse(0);
        double var = 0;
        for (double x : s) {
          var += (x - mean) * (x - mean);
        }
        double std = Math.sqrt(var / s.length);
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
          out[i] = std > 0 ? (s[i] - mean) / std : 0.0;
        }
        return out;
      }
    },
    /** {@code (rank - 1) / (n - 1)} in [0, 1], lowest 0, ties share their average rank; 0.5 for a single score. */
    RANK {
      @Override
      double[] rescale(double[] s) {
        double[] ranks = ranks(s);
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
          out[i] = s.length == 1 ? 0.5 : (ranks[i] - 1) / (s.length - 1);
        }
        return out;
      }
    },
    /** {@code (s - min) / (max - min)} in [0, 1]; all 0.5 when every score is the same. */
    MIN_MAX {
      @Override
      double[] rescale(double[] s) {
        double min = Arrays.stream(s).min().orElse(0);
        double max = Arrays.stream(s).max().orElse(0);
        double[] out = new double[s.length];
        for (int i = 0; i < s.length; i++) {
          out[i] = max > min ? (s[i] - min) / (max - min) : 0.5;
        }
        return out;
      }
    };

    /**
     * The rescaled scores, in order; the input array is not changed.
     *
     * @throws IllegalArgumentException when a score is {@code NaN} or infinite
     */
    public double[] apply(double[] scores) {
      for (int i = 0; i < scores.length; i++) {
        if (!Double.isFinite(scores[i])) {
          throw new IllegalArgumentException(name() + " normalization needs finite scores; score " + i + " was "
              + scores[i]);
        }
      }
      return scores.length == 0 ? new double[0] : rescale(scores);
    }

    abstract double[] rescale(double[] scores);

    /** Ranks 1..n, lowest score rank 1; tied scores share the mean of their ranks. */
    static double[] ranks(double[] s) {
      Integer[] order = new Integer[s.length];
      for (int i = 0; i < s.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Double.compare(s[a], s[b]));
      double[] ranks = new double[s.length];
      int i = 0;
      while (i < s.length) {
        int j = i;
        while (j + 1 < s.length && s[order[j + 1]] == s[order[i]]) {
          j++;
        }
        double mean = (i + j) / 2.0 + 1;
        for (int k = i; k <= j; k++) {
          ranks[order[k]] = mean;
        }
        i = j + 1;
      }
      return ranks;
    }
  }
}
