package dev.ponder.verifiers;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.internal.Scores;
import java.util.List;

/** Applies a {@link BadScorePolicy} to a verifier's scores; keeps the verifier's name. */
final class PolicyVerifier implements Verifier {
  private final Verifier delegate;
  private final BadScorePolicy policy;

  PolicyVerifier(Verifier delegate, BadScorePolicy policy) {
    this.delegate = delegate;
    this.policy = policy;
  }

  Verifier delegate() {
    return delegate;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
    if (inputs.isEmpty()) {
      return new double[0];
    }
    double[] raw = delegate.score(inputs, ctx);
    Scores.requireLength(delegate, raw, inputs.size());
    double[] out = raw.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = policy.apply(delegate.name(), inputs.get(i), raw[i]);
      if (!Double.isFinite(raw[i])) {
        ctx.emit(new SearchEvent.BadScore(delegate.name(), inputs.get(i).describe(), raw[i], out[i]));
      }
    }
    return out;
  }
}
