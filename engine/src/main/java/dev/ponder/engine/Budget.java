package dev.ponder.engine;

import dev.ponder.engine.SearchContext.SearchCounters;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchResult.StopReason;
import java.time.Duration;
import java.util.Objects;

/**
 * What a search may spend: policy tokens (tokens the policy model processes), model calls (policy forward
 * passes), verifier calls and wall-clock time. Every limit is optional; an unset limit is {@link Long#MAX_VALUE}
 * (or a {@code null} deadline). When any limit is reached the search stops and returns the best result so far,
 * flagged {@link Outcome#BUDGET_EXHAUSTED} with the {@link StopReason.LimitReached limit} that stopped it.
 * A search may overshoot a limit by at most one model or scorer call: limits are checked between calls.
 *
 * <pre>{@code Budget.tokens(4_000).withDeadline(Duration.ofSeconds(2))}</pre>
 */
public record Budget(long policyTokens, long modelCalls, long verifierCalls, Duration deadline) {

  private static final Budget UNLIMITED = new Budget(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, null);

  public Budget {
    requirePositive("policyTokens", policyTokens);
    requirePositive("modelCalls", modelCalls);
    requirePositive("verifierCalls", verifierCalls);
    if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
      throw new IllegalArgumentException("deadline must be positive, was " + deadline
          + "; leave it unset (null) for no deadline");
    }
  }

  public static Budget unlimited() {
    return UNLIMITED;
  }

  public static Budget tokens(long policyTokens) {
    return UNLIMITED.withPolicyTokens(policyTokens);
  }

  public static Budget modelCalls(long modelCalls) {
    return UNLIMITED.withModelCalls(modelCalls);
  }

  public static Budget deadlineOf(Duration deadline) {
    return UNLIMITED.withDeadline(Objects.requireNonNull(deadline, "deadline"));
  }

  public Budget withPolicyTokens(long limit) {
    return new Budget(limit, modelCalls, verifierCalls, deadline);
  }

  public Budget withModelCalls(long limit) {
    return new Budget(policyTokens, limit, verifierCalls, deadline);
  }

  public Budget withVerifierCalls(long limit) {
    return new Budget(policyTokens, modelCalls, limit, deadline);
  }

  public Budget withDeadline(Duration limit) {
    return new Budget(policyTokens, modelCalls, verifierCalls, limit);
  }

  /** Which limit, if any, the given spend has reached; {@code null} while within budget. */
  public StopReason.LimitReached exceededBy(SearchCounters spent, long elapsedNanos) {
    if (spent.policyTokens() >= policyTokens) {
      return new StopReason.LimitReached(Limit.POLICY_TOKENS, policyTokens, spent.policyTokens());
    }
    if (spent.modelCalls() >= modelCalls) {
      return new StopReason.LimitReached(Limit.MODEL_CALLS, modelCalls, spent.modelCalls());
    }
    if (spent.verifierCalls() >= verifierCalls) {
      return new StopReason.LimitReached(Limit.VERIFIER_CALLS, verifierCalls, spent.verifierCalls());
    }
    if (deadline != null && elapsedNanos >= deadline.toNanos()) {
      return new StopReason.LimitReached(Limit.WALL_TIME, deadline.toMillis(), Duration.ofNanos(elapsedNanos).toMillis());
    }
    return null;
  }

  /** The limits a budget sets. */
  public enum Limit {
    POLICY_TOKENS("policy tokens", ""),
    MODEL_CALLS("model calls", ""),
    VERIFIER_CALLS("verifier calls", ""),
    /** Wall-clock time since the search began, in milliseconds. */
    WALL_TIME("wall time", " ms");

    private final String label;
    private final String unit;

    Limit(String label, String unit) {
      this.label = label;
      this.unit = unit;
    }

    String label() {
      return label;
    }

    String unit() {
      return unit;
    }
  }

  private static void requirePositive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, was " + value
          + "; use Long.MAX_VALUE (the default) for no limit");
    }
  }
}
