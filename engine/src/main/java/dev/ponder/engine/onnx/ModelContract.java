package dev.ponder.engine.onnx;

import dev.ponder.engine.model.ModelContractException;
import ai.onnxruntime.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Checks a loaded model against the inputs and outputs a kind of model must have; fails with all mismatches. */
public final class ModelContract {
  private final String kind;
  private final List<TensorSpec> inputs = new ArrayList<>();
  private final List<TensorSpec> outputs = new ArrayList<>();

  private ModelContract(String kind) {
    this.kind = kind;
  }

  public static ModelContract of(String kind) {
    return new ModelContract(kind);
  }

  public ModelContract input(TensorSpec spec) {
    inputs.add(spec);
    return this;
  }

  public ModelContract output(TensorSpec spec) {
    outputs.add(spec);
    return this;
  }

  /** @throws ModelContractException naming every expected and found input and output that differ */
  public void verify(OnnxModel model) {
    List<String> problems = new ArrayList<>();
    collect("input", inputs, model.inputs(), problems);
    collect("output", outputs, model.outputs(), problems);
    if (!problems.isEmpty()) {
      throw new ModelContractException(kind + " model " + model.file() + " does not match its contract: "
          + String.join("; ", problems) + ". Expected inputs " + inputs + " and outputs " + outputs
          + "; found inputs " + TensorSpec.describe(model.inputs()) + " and outputs "
          + TensorSpec.describe(model.outputs()) + ".");
    }
  }

  private static void collect(String what, List<TensorSpec> specs, Map<String, TensorInfo> found, List<String> out) {
    for (TensorSpec spec : specs) {
      String m = spec.mismatch(found.get(spec.name()));
      if (m != null) {
        out.add(what + " '" + spec.name() + "' " + m);
      }
    }
  }
}
