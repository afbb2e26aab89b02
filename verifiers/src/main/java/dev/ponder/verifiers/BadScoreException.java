package dev.ponder.verifiers;

/** A verifier produced a {@code NaN} or infinite score and no {@link BadScorePolicy} maps it. */
public final class BadScoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String verifier;
  private final transient VerifierInput input;
  private final double value;

  public BadScoreException(String verifier, VerifierInput input, double value) {
    super("verifier '" + verifier + "' scored " + value + " for " + input.describe() + "; scores must be finite."
        + " Fix the verifier, or map such scores explicitly with Verifiers.withBadScorePolicy(verifier,"
        + " BadScorePolicy.mapping()...)");
    this.verifier = verifier;
    this.input = input;
    this.value = value;
  }

  /** The name of the verifier that produced the score. */
  public String verifier() {
    return verifier;
  }

  /** The input it was scoring. */
  public VerifierInput input() {
    return input;
  }

  /** The score: {@code NaN} or an infinity. */
  public double value() {
    return value;
  }
}
