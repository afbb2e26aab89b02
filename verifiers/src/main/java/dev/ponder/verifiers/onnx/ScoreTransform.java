package dev.ponder.verifiers.onnx;


/**
 * Turns a reward model's logits for one position into a score: the raw logit, its sigmoid, or the softmax
 * probability (or raw logit) of one label. Checked against the model's label count when the model loads.
 */
public final class ScoreTransform {
  private enum Kind { RAW, SIGMOID, SOFTMAX, LOGIT }

  private final Kind kind;
  private final int label;

  private ScoreTransform(Kind kind, int label) {
    this.kind = kind;
    this.label = label;
  }

  /** The single logit as it is (models with one label). */
  public static ScoreTransform raw() {
    return new ScoreTransform(Kind.RAW, 0);
  }

  /** {@code 1 / (1 + e^-logit)} of the single logit (models with one label): a probability in (0, 1). */
  public static ScoreTransform sigmoid() {
    return new ScoreTransform(Kind.SIGMOID, 0);
  }

  /** {@code softmax(logits)[label]} (models with two or more labels). */
  public static ScoreTransform softmax(int label) {
    return new ScoreTransform(Kind.SOFTMAX, requireLabel(label));
  }

  /** {@code logits[label]} as it is. */
  public static ScoreTransform logit(int label) {
    return new ScoreTransform(Kind.LOGIT, requireLabel(label));
  }

  /** The usual choice for a model with this many labels: sigmoid for one, softmax of label 1 for more. */
  static ScoreTransform defaultFor(int labels) {
    return labels == 1 ? sigmoid() : softmax(1);
  }

  private static int requireLabel(int label) {
    if (label < 0) {
      throw new IllegalArgumentException("the label index must be >= 0, was " + label);
    }
    return label;
  }

  /** @throws IllegalArgumentException when this transform does not fit a model with {@code labels} labels */
  void check(int labels, String model) {
    switch (kind) {
      case RAW, SIGMOID -> {
        if (labels != 1) {
          throw new IllegalArgumentException(this + " needs a model with one label, but " + model + " has " + labels
              + "; use ScoreTransform.softmax(label) or ScoreTransform.logit(label)");
        }
      }
      default -> {
        if (label >= labels) {
          throw new IllegalArgumentException(this + " reads label " + label + ", but " + model + " has " + labels
              + " label(s) (0.." + (labels - 1) + ")");
        }
        if (kind == Kind.SOFTMAX && labels < 2) {
          throw new IllegalArgumentException(this + " needs at least two labels, but " + model + " has one (its"
              + " softmax is always 1); use ScoreTransform.sigmoid() or ScoreTransform.raw()");
        }
      }
    }
  }

  /** The score for the {@code labels} logits starting at {@code offset}. */
  double apply(float[] logits, int offset, int labels) {
    switch (kind) {
      case RAW:
        return logits[offset];
      case SIGMOID:
        return 1.0 / (1.0 + Math.exp(-logits[offset]));
      case LOGIT:
        return logits[offset + label];
      default:
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < labels; i++) {
          max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < labels; i++) {
          sum += Math.exp(logits[offset + i] - max);
        }
        return Math.exp(logits[offset + label] - max) / sum;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScoreTransform t && t.kind == kind && t.label == label;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + label;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case RAW -> "ScoreTransform.raw()";
      case SIGMOID -> "ScoreTransform.sigmoid()";
      case SOFTMAX -> "ScoreTransform.softmax(" + label + ")";
      case LOGIT -> "ScoreTransform.logit(" + label + ")";
    };
  }
}
