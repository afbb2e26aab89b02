package dev.ponder.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * What a search may spend: policy tokens (tokens the policy model processes), model calls (policy forward
 * passes), verifier calls and wall-clock time. Every limit is optional; an unset limit is {@link Long#MAX_VALUE}
 * (or a {@code null} deadline). When any limit is reached the search stops and returns the best result so far,
 * flagged {@link Outcome#BUDGET_EXHAUSTED}.
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
  public String exceededBy(SearchCounters spent, long elapsedNanos) {
    if (spent.policyTokens() >= policyTokens) {
      return "policy tokens " + spent.policyTokens() + " >= " + policyTokens;
    }
    if (spent.modelCalls() >= modelCalls) {
      return "model calls " + spent.modelCalls() + " >= " + modelCalls;
    }
    if (spent.verifierCalls() >= verifierCalls) {
      return "verifier calls " + spent.verifierCalls() + " >= " + verifierCalls;
    }
    if (deadline != null && elapsedNanos >= deadline.toNanos()) {
      return "wall time " + Duration.ofNanos(elapsedNanos).toMillis() + " ms >= " + deadline.toMillis() + " ms";
    }
    return null;
  }

  private static void requirePositive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, was " + value
          + "; use Long.MAX_VALUE (the default) for no limit");
    }
  }
}
