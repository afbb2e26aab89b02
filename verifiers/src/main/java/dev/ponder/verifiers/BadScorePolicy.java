package dev.ponder.verifiers;

import dev.ponder.verifiers.Verifier.VerifierInput;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What to do with a {@code NaN} or infinite score: reject it (the default everywhere) or map it to a configured
 * finite value. A mapped score is never silent: every mapping is counted ({@link #mappedCount()}), handed to the
 * listener given with {@link Builder#onBadScore}, and the first one is logged as a warning.
 *
 * <pre>{@code
 * BadScorePolicy policy = BadScorePolicy.mapping().nanTo(0.0).negativeInfinityTo(0.0).build();
 * Verifier safe = Verifiers.withBadScorePolicy(orm, policy);   // +Infinity is still rejected
 * }</pre>
 *
 * <p>Thread-safe; one policy may serve several verifiers (the count is then their total).
 */
public final class BadScorePolicy {
  private static final Logger LOG = LoggerFactory.getLogger(BadScorePolicy.class);
  private static final BadScorePolicy REJECT = new BadScorePolicy(null, null, null, b -> { });

  private final Double nanTo;
  private final Double positiveInfinityTo;
  private final Double negativeInfinityTo;
  private final Consumer<BadScore> listener;
  private final AtomicLong mapped = new AtomicLong();

  private BadScorePolicy(Double nanTo, Double positiveInfinityTo, Double negativeInfinityTo, Consumer<BadScore> listener) {
    this.nanTo = nanTo;
    this.positiveInfinityTo = positiveInfinityTo;
    this.negativeInfinityTo = negativeInfinityTo;
    this.listener = listener;
  }

  /** Every non-finite score fails with a {@link BadScoreException} naming the verifier and the input. */
  public static BadScorePolicy reject() {
    return REJECT;
  }

  /** A policy that maps the kinds of bad score named on the builder; kinds left unnamed are still rejected. */
  public static Builder mapping() {
    return new Builder();
  }

  /** How many scores this policy has replaced so far. */
  public long mappedCount() {
    return mapped.get();
  }

  /** The score to use in place of {@code value}: itself when finite, the mapped value, or an exception. */
  double apply(String verifier, VerifierInput input, double value) {
    if (Double.isFinite(value)) {
      return value;
    }
    Double to = Double.isNaN(value) ? nanTo : value > 0 ? positiveInfinityTo : negativeInfinityTo;
    if (to == null) {
      throw new BadScoreException(verifier, input, value);
    }
    BadScore bad = new BadScore(verifier, input, value, to);
    if (mapped.getAndIncrement() == 0) {
      LOG.warn("verifier '{}' scored {} for {}; mapped to {} by the configured bad-score policy (further mappings are"
          + " counted, not logged)", verifier, value, input.describe(), to);
    }
    listener.accept(bad);
    return to;
  }

  @Override
  public String toString() {
    return this == REJECT ? "BadScorePolicy.reject()" : "BadScorePolicy{NaN->" + describe(nanTo) + ", +Infinity->"
        + describe(positiveInfinityTo) + ", -Infinity->" + describe(negativeInfinityTo) + "}";
  }

  private static String describe(Double to) {
    return to == null ? "reject" : to.toString();
  }

  /**
   * One replaced score, as reported to the listener.
   *
   * @param verifier    the verifier's name
   * @param input       what it was scoring
   * @param value       the score it produced ({@code NaN} or an infinity)
   * @param replacement the finite score used instead
   */
  public record BadScore(String verifier, VerifierInput input, double value, double replacement) {}

  /** Names the replacement for each kind of bad score; at least one must be named. */
  public static final class Builder {
    private Double nanTo;
    private Double positiveInfinityTo;
    private Double negativeInfinityTo;
    private Consumer<BadScore> listener = b -> { };

    private Builder() {
    }

    public Builder nanTo(double value) {
      nanTo = finite("nanTo", value, nanTo);
      return this;
    }

    public Builder positiveInfinityTo(double value) {
      positiveInfinityTo = finite("positiveInfinityTo", value, positiveInfinityTo);
      return this;
    }

    public Builder negativeInfinityTo(double value) {
      negativeInfinityTo = finite("negativeInfinityTo", value, negativeInfinityTo);
      return this;
    }

    /** Called once for every replaced score, on the scoring thread. */
    public Builder onBadScore(Consumer<BadScore> value) {
      listener = Objects.requireNonNull(value, "onBadScore listener");
      return this;
    }

    public BadScorePolicy build() {
      if (nanTo == null && positiveInfinityTo == null && negativeInfinityTo == null) {
        throw new IllegalStateException("a mapping bad-score policy needs at least one of nanTo, positiveInfinityTo or"
            + " negativeInfinityTo; to reject every bad score use BadScorePolicy.reject()");
      }
      return new BadScorePolicy(nanTo, positiveInfinityTo, negativeInfinityTo, listener);
    }

    private static Double finite(String name, double value, Double previous) {
      if (previous != null) {
        throw new IllegalStateException(name + " was already set to " + previous);
      }
      if (!Double.isFinite(value)) {
        throw new IllegalArgumentException(name + " must be a finite replacement score, was " + value);
      }
      return value;
    }
  }

  /** A verifier produced a {@code NaN} or infinite score and no {@link BadScorePolicy} maps it. */
  public static final class BadScoreException extends RuntimeException {
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
}
