package dev.ponder.engine;

import java.util.Objects;

/**
 * Why a search stopped: it ran to its natural end, a {@link Budget} limit was reached (which one, the limit and
 * what had been spent), or it was cancelled (by a {@link SearchContext#cancel() cancel} call or a thread
 * interrupt). A closed vocabulary: switch over it.
 */
public sealed interface StopReason {

  /** The coarse outcome this reason belongs to. */
  Outcome outcome();

  /** One line for logs and the CLI, e.g. {@code "model calls 4 >= 4"}. */
  String describe();

  /** The search that ran to its end. */
  static StopReason completed() {
    return Completed.INSTANCE;
  }

  /** The algorithm ran to its natural end. */
  record Completed() implements StopReason {
    private static final Completed INSTANCE = new Completed();

    @Override
    public Outcome outcome() {
      return Outcome.COMPLETED;
    }

    @Override
    public String describe() {
      return "completed";
    }
  }

  /**
   * A budget limit was reached.
   *
   * @param limit   which limit
   * @param allowed the limit's value (milliseconds for {@link Budget.Limit#WALL_TIME})
   * @param spent   what had been spent when the search noticed (same unit)
   */
  record LimitReached(Budget.Limit limit, long allowed, long spent) implements StopReason {
    public LimitReached {
      Objects.requireNonNull(limit, "limit");
    }

    @Override
    public Outcome outcome() {
      return Outcome.BUDGET_EXHAUSTED;
    }

    @Override
    public String describe() {
      return limit.label() + " " + spent + limit.unit() + " >= " + allowed + limit.unit();
    }
  }

  /**
   * The search was cancelled before its end.
   *
   * @param by who asked: a {@link SearchContext#cancel()} call (a future's {@code cancel}, a disconnected client)
   *           or an interrupt of the searching thread
   */
  record Cancelled(By by) implements StopReason {
    /** Who cancelled. */
    public enum By { CALLER, INTERRUPT }

    public Cancelled {
      Objects.requireNonNull(by, "by");
    }

    @Override
    public Outcome outcome() {
      return Outcome.CANCELLED;
    }

    @Override
    public String describe() {
      return by == By.CALLER ? "cancelled" : "interrupted";
    }
  }
}
