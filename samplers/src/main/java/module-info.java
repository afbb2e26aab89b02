/**
 * Ponder's search algorithms behind one front door, {@link dev.ponder.samplers.Search}: best-of-N and sampling,
 * step beam and DVTS, token beam, particle filtering and Feynman-Kac steering, MCTS, and noise searches (ReNO,
 * SPSA, zero-order), and compute-optimal selection among them (auto). See docs/architecture.md.
 */
module dev.ponder.samplers {
  requires transitive dev.ponder.engine;

  exports dev.ponder.samplers;
  exports dev.ponder.samplers.bestofn;
  exports dev.ponder.samplers.beam;
  exports dev.ponder.samplers.smc;
  exports dev.ponder.samplers.mcts;
  exports dev.ponder.samplers.noise;
  exports dev.ponder.samplers.auto;
  // dev.ponder.samplers.core (the round driver and what every family shares) is not exported.
}
