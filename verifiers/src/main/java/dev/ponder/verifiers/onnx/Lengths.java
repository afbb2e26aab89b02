package dev.ponder.verifiers.onnx;


import dev.ponder.engine.onnx.OnnxModel;

/** The maximum input length of a model-backed verifier: explicit, or the model's positions. */
final class Lengths {
  private Lengths() {
  }

  static int resolve(int requested, ModelDir files, String kind, OnnxModel model) {
    int positions = files.maxPositions();
    if (requested < 0) {
      if (positions <= 0) {
        throw new IllegalArgumentException(kind + " model " + model.file() + ": config.json gives no n_positions or"
            + " max_position_embeddings, so the maximum input length is unknown; set maxLength(...) explicitly");
      }
      return positions;
    }
    if (positions > 0 && requested > positions) {
      throw new IllegalArgumentException("maxLength " + requested + " is more than the " + positions + " positions "
          + kind + " model " + model.file() + " handles (config.json); use at most " + positions);
    }
    return requested;
  }
}
