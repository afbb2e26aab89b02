package dev.ponder.verifiers;

import dev.ponder.verifiers.rules.AnswerVerifier;
import dev.ponder.verifiers.onnx.EmbeddingSimilarity;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;

import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Factories for verifiers made from functions, and for the wrappers that combine, rescale or guard verifiers.
 * Model-backed verifiers have their own front doors ({@link OnnxOutcomeReward}, {@link OnnxProcessReward},
 * {@link EmbeddingSimilarity}), and so do {@link AnswerVerifier} and {@link VerifierCache}.
 *
 * <p>Every combinator checks its members' scores and rejects a {@code NaN} or infinite one with a
 * {@link BadScoreException}; wrap a member in {@link #withBadScorePolicy} to map such scores instead.
 */
public final class Verifiers {
  private Verifiers() {
  }

  /** A verifier scoring the generated text alone (the prompt is not read) with a plain function. */
  public static Verifier ofText(String name, ToDoubleFunction<String> textScore) {
    Objects.requireNonNull(textScore, "textScore");
    return new FunctionVerifier(requireName(name), in -> textScore.applyAsDouble(in.text()));
  }

  /** A verifier scoring prompt and text with a plain function. */
  public static Verifier of(String name, ToDoubleFunction<VerifierInput> score) {
    return new FunctionVerifier(requireName(name), Objects.requireNonNull(score, "score"));
  }

  /** The members' mean score. */
  public static Verifier mean(List<Verifier> members) {
    return EnsembleVerifier.create(EnsembleVerifier.Rule.MEAN, 0, members);
  }

  /** The lowest of the members' scores (worst case). */
  public static Verifier min(List<Verifier> members) {
    return EnsembleVerifier.create(EnsembleVerifier.Rule.MIN, 0, members);
  }

  /**
   * {@code mean - beta · std} of the members' scores, the std over members ({@code sqrt(Σ (s_k - mean)² / K)}):
   * disagreement between members lowers the score.
   *
   * @throws IllegalArgumentException when {@code beta} is negative or not finite
   */
  public static Verifier meanMinusStd(double beta, List<Verifier> members) {
    if (!(beta >= 0) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException("beta (the weight of the members' std) must be finite and >= 0, was " + beta);
    }
    return EnsembleVerifier.create(EnsembleVerifier.Rule.MEAN_MINUS_STD, beta, members);
  }

  /**
   * The sum over members of each input's rank within the list (1 = lowest, ties share their mean rank): combines
   * members on different scales. Relative to the list, so it cannot be cached.
   */
  public static Verifier rankSum(List<Verifier> members) {
    return EnsembleVerifier.create(EnsembleVerifier.Rule.RANK_SUM, 0, members);
  }

  /** {@code verifier}'s scores rescaled across each list it scores. Relative to the list, so it cannot be cached. */
  public static Verifier normalized(Verifier verifier, Normalization normalization) {
    return new NormalizedVerifier(Objects.requireNonNull(verifier, "verifier"),
        Objects.requireNonNull(normalization, "normalization"));
  }

  /** {@code verifier} with its {@code NaN} or infinite scores handled by {@code policy} (and reported by it). */
  public static Verifier withBadScorePolicy(Verifier verifier, BadScorePolicy policy) {
    return new PolicyVerifier(Objects.requireNonNull(verifier, "verifier"), Objects.requireNonNull(policy, "policy"));
  }

  private static String requireName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a verifier needs a non-blank name (it appears in errors and statistics)");
    }
    return name;
  }
}
