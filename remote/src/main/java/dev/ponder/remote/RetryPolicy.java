package dev.ponder.remote;

import java.time.Duration;
import java.util.Objects;

/**
 * When and how long to wait before sending a failed request again. Retried: connection refused or reset, a
 * request timeout, a body cut midway, HTTP 429 and 5xx. Never retried: other 4xx, a well-delivered body that is
 * not the expected JSON (the engine would answer the same again), a cancelled request.
 *
 * <p>Backoff: attempt {@code k} (1 for the first retry) waits a uniformly jittered delay in
 * {@code [b/2, b]} with {@code b = min(maxBackoff, initialBackoff * 2^(k-1))} ("equal jitter"), or the server's
 * {@code Retry-After} when that is longer. A {@code Retry-After} longer than {@code maxRetryAfter} ends the
 * retries with an error that names it: the engine asked for a pause the caller did not allow.
 *
 * @param maxAttempts    attempts in all, the first included, >= 1 (1: no retry)
 * @param initialBackoff the base delay of the first retry, > 0
 * @param maxBackoff     the cap on the base delay, >= initialBackoff
 * @param maxRetryAfter  the longest Retry-After honoured
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxRetryAfter) {

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1 (1 = no retry), was " + maxAttempts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
    if (initialBackoff.isNegative() || initialBackoff.isZero()) {
      throw new IllegalArgumentException("initialBackoff must be positive, was " + initialBackoff);
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("maxBackoff must be >= initialBackoff, was " + maxBackoff + " < "
          + initialBackoff);
    }
    if (maxRetryAfter.isNegative()) {
      throw new IllegalArgumentException("maxRetryAfter must be >= 0, was " + maxRetryAfter);
    }
  }

  /** 4 attempts, 200 ms doubling to at most 5 s, Retry-After honoured up to 30 s. */
  public static RetryPolicy standard() {
    return new RetryPolicy(4, Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(30));
  }

  /** One attempt: every failure is final. */
  public static RetryPolicy none() {
    return new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(1), Duration.ZERO);
  }

  /**
   * The wait before retry {@code retry} (1-based).
   *
   * @param retryAfter the server's Retry-After, or {@code null}
   * @param u          a uniform draw in [0, 1) for the jitter
   */
  public Duration delay(int retry, Duration retryAfter, double u) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry is 1-based, was " + retry);
    }
    long base = initialBackoff.toNanos();
    for (int i = 1; i < retry && base < maxBackoff.toNanos(); i++) {
      base *= 2;
    }
    base = Math.min(base, maxBackoff.toNanos());
    long jittered = base / 2 + (long) (u * (base - base / 2));
    Duration d = Duration.ofNanos(jittered);
    return retryAfter != null && retryAfter.compareTo(d) > 0 ? retryAfter : d;
  }
}
