package dev.ponder.verifiers;

import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.Verifier.VerifierInput;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * A verifier made from a plain Java function of the input; one verifier call per list, no tokens. The function
 * runs input by input, so between inputs it checks {@link SearchContext#stopNow()}: once the search is cancelled
 * or past its deadline, the remaining inputs are left NaN (unscored, ranked last).
 */
final class FunctionVerifier implements Verifier {
  private final String name;
  private final ToDoubleFunction<VerifierInput> function;

  FunctionVerifier(String name, ToDoubleFunction<VerifierInput> function) {
    this.name = name;
    this.function = function;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
    double[] out = new double[inputs.size()];
    for (int i = 0; i < out.length; i++) {
      if (i > 0 && ctx.stopNow() != null) {
        java.util.Arrays.fill(out, i, out.length, Double.NaN);
        break;
      }
      out[i] = function.applyAsDouble(inputs.get(i));
    }
    ctx.counters().addVerifierCalls(1);
    return out;
  }

  @Override
  public String toString() {
    return "FunctionVerifier{" + name + "}";
  }
}
