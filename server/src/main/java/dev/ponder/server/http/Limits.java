package dev.ponder.server.http;

import java.time.Duration;

/**
 * What one request may ask for and how many may be in the server at once. Requests beyond a per-request limit get
 * a 400 (413 for the body) naming the limit; requests beyond the queue get 429 with Retry-After.
 *
 * @param maxBodyBytes     the largest request body
 * @param maxN             the most samples, particles, beams or simulations one request may ask for
 * @param maxNewTokens     the most new tokens per hypothesis
 * @param maxPolicyTokens  the most policy tokens one search may spend (its budget is capped to this)
 * @param maxDeadline      the longest a search may run; every search gets this deadline unless it asks for less
 * @param workers          searches running at once
 * @param queue            requests that may wait for a worker; more get 429
 * @param retryAfterSeconds what a 429 tells the client to wait
 */
public record Limits(long maxBodyBytes, int maxN, int maxNewTokens, long maxPolicyTokens, Duration maxDeadline,
    int workers, int queue, int retryAfterSeconds) {

  public Limits {
    if (maxBodyBytes < 1 || maxN < 1 || maxNewTokens < 1 || maxPolicyTokens < 1 || workers < 1 || queue < 0
        || retryAfterSeconds < 1 || maxDeadline.isNegative() || maxDeadline.isZero()) {
      throw new IllegalArgumentException("limits must be positive (queue >= 0), were " + this);
    }
  }

  public static Limits defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new Limits(1 << 20, 64, 256, 200_000, Duration.ofSeconds(60), Math.max(2, cores), 64, 1);
  }

  public Limits withWorkers(int value) {
    return new Limits(maxBodyBytes, maxN, maxNewTokens, maxPolicyTokens, maxDeadline, value, queue, retryAfterSeconds);
  }

  public Limits withQueue(int value) {
    return new Limits(maxBodyBytes, maxN, maxNewTokens, maxPolicyTokens, maxDeadline, workers, value, retryAfterSeconds);
  }

  public Limits withMaxBodyBytes(long value) {
    return new Limits(value, maxN, maxNewTokens, maxPolicyTokens, maxDeadline, workers, queue, retryAfterSeconds);
  }

  public Limits withMaxN(int value) {
    return new Limits(maxBodyBytes, value, maxNewTokens, maxPolicyTokens, maxDeadline, workers, queue, retryAfterSeconds);
  }

  public Limits withMaxNewTokens(int value) {
    return new Limits(maxBodyBytes, maxN, value, maxPolicyTokens, maxDeadline, workers, queue, retryAfterSeconds);
  }

  public Limits withMaxPolicyTokens(long value) {
    return new Limits(maxBodyBytes, maxN, maxNewTokens, value, maxDeadline, workers, queue, retryAfterSeconds);
  }

  public Limits withMaxDeadline(Duration value) {
    return new Limits(maxBodyBytes, maxN, maxNewTokens, maxPolicyTokens, value, workers, queue, retryAfterSeconds);
  }
}
