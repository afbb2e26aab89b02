package dev.ponder.samplers.smc;

/**
 * At which steps a particle filter may resample: every {@code every}-th step from {@code start} to {@code end}
 * inclusive (steps count from 0). Whether it does then depends on the ESS threshold; between allowed steps the
 * weights carry over.
 *
 * <pre>{@code ResampleSchedule.always()                 // every step
 * ResampleSchedule.every(5).between(10, 40)    // steps 10, 15, ..., 40}</pre>
 */
public record ResampleSchedule(int every, int start, int end) {
  private static final ResampleSchedule ALWAYS = new ResampleSchedule(1, 0, Integer.MAX_VALUE);

  public ResampleSchedule {
    if (every < 1) {
      throw new IllegalArgumentException("resampling interval must be >= 1 step, was " + every);
    }
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("resampling window must satisfy 0 <= start <= end, was [" + start + ", "
          + end + "]");
    }
  }

  public static ResampleSchedule always() {
    return ALWAYS;
  }

  /** Every {@code k}-th step, from step 0 on. */
  public static ResampleSchedule every(int k) {
    return new ResampleSchedule(k, 0, Integer.MAX_VALUE);
  }

  /** The same interval, only from {@code first} to {@code last} inclusive. */
  public ResampleSchedule between(int first, int last) {
    return new ResampleSchedule(every, first, last);
  }

  /** Whether resampling may happen after step {@code step}. */
  public boolean allows(int step) {
    return step >= start && step <= end && (step - start) % every == 0;
  }
}
