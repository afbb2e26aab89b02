package dev.ponder.verifiers.internal;

import dev.ponder.verifiers.BadScorePolicy.BadScoreException;
import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifier.VerifierInput;


import dev.ponder.engine.SearchContext;
import java.util.List;

/** Calls a verifier and checks what came back: one finite score per input. */
public final class Scores {
  private Scores() {
  }

  /**
   * The verifier's scores for {@code inputs}, each checked finite; a NaN is let through only once the search must
   * stop now (a per-input verifier leaves the inputs it did not reach NaN; the searches rank them last).
   */
  public static double[] checked(Verifier verifier, List<VerifierInput> inputs, SearchContext ctx) {
    if (inputs.isEmpty()) {
      return new double[0];
    }
    double[] scores = verifier.score(inputs, ctx);
    requireLength(verifier, scores, inputs.size());
    for (int i = 0; i < scores.length; i++) {
      if (!Double.isFinite(scores[i]) && !(Double.isNaN(scores[i]) && ctx.stopNow() != null)) {
        throw new BadScoreException(verifier.name(), inputs.get(i), scores[i]);
      }
    }
    return scores;
  }

  public static void requireLength(Verifier verifier, double[] scores, int expected) {
    if (scores == null || scores.length != expected) {
      throw new IllegalStateException("verifier '" + verifier.name() + "' returned "
          + (scores == null ? "null" : scores.length + " scores") + " for " + expected + " inputs; a verifier must"
          + " return exactly one score per input, in order");
    }
  }
}
