package dev.ponder.bench;

/**
 * One side of {@link DecodeStepBenchmark}: a decode step that can be taken again and again from the same state.
 * Only {@link #run()} is measured; {@link #before()} and {@link #after()} bring the state back and check the
 * step's invariants, outside the timed region.
 */
interface DecodeStep extends AutoCloseable {

  /** Readies the next step (for the engine: forks the saved hypotheses). */
  void before();

  /** The measured step: one model call for the whole batch. */
  Object run();

  /** Checks what the step did and frees what it made. */
  void after();

  /** A line for the log: what was measured and what was checked. */
  String summary();

  @Override
  void close();
}
