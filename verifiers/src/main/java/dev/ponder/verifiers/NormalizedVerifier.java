package dev.ponder.verifiers;

import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.Verifier.Normalization;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.internal.Scores;
import java.util.List;

/** A verifier's scores rescaled across each list it scores. */
final class NormalizedVerifier implements Verifier, BatchRelative {
  private final Verifier delegate;
  private final Normalization normalization;

  NormalizedVerifier(Verifier delegate, Normalization normalization) {
    this.delegate = delegate;
    this.normalization = normalization;
  }

  @Override
  public String name() {
    return normalization.name().toLowerCase(java.util.Locale.ROOT) + "(" + delegate.name() + ")";
  }

  @Override
  public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
    return normalization.apply(Scores.checked(delegate, inputs, ctx));
  }
}
