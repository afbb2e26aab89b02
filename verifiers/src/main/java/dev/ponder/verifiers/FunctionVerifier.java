package dev.ponder.verifiers;

import dev.ponder.engine.SearchContext;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** A verifier made from a plain Java function of the input; one verifier call per list, no tokens. */
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
