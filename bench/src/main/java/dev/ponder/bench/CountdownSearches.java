package dev.ponder.bench;

import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import java.nio.file.Path;
import java.util.List;

/**
 * The language-model algorithms on the Countdown model zoo, configured as {@code ponder eval --task countdown}
 * configures them (server/EvalCommand): temperature-1 sampling up to the policy's default maximum of new tokens;
 * best-of-N ranks by the ORM; step beam, DVTS, SMC and MCTS take one line per step and score with the cached PRM;
 * M = 4 children per expansion; SMC uses difference potentials with lambda 10 and systematic resampling.
 *
 * <p>Every model runs with one intra-op and one inter-op thread. The ORM and PRM are loaded only when an algorithm
 * that needs them is asked for.
 */
final class CountdownSearches implements AutoCloseable {
  /** The benchmarks' one prompt, in the format of onnx-models/countdown/task.py. */
  static final String PROMPT = DecodeInputs.PROMPT;
  /** Every algorithm name {@link #builder} accepts. */
  static final List<String> ALGORITHMS = List.of("greedy", "sample", "bon", "beam", "step-beam", "dvts", "smc",
      "mcts");

  private static final int CHILDREN = 4;
  private static final double LAMBDA = 10;

  final ModelOptions options = ModelOptions.cpu().withThreads(1, 1);
  final Path root = DecodeInputs.repoRoot();
  final LanguageModel policy;
  private OnnxOutcomeReward orm;
  private OnnxProcessReward prm;

  CountdownSearches() {
    this.policy = LanguageModel.load(root.resolve("onnx-models/countdown/policy"), options);
  }

  OnnxOutcomeReward orm() {
    if (orm == null) {
      orm = OnnxOutcomeReward.builder(root.resolve("onnx-models/countdown/orm")).options(options).build();
    }
    return orm;
  }

  OnnxProcessReward prm() {
    if (prm == null) {
      prm = OnnxProcessReward.builder(root.resolve("onnx-models/countdown/prm-cached")).options(options).build();
    }
    return prm;
  }

  /** Whether the algorithm scores with the PRM (whose step-prefix state outlives a search: see {@link #resetPrm}). */
  static boolean usesPrm(String algorithm) {
    return List.of("step-beam", "dvts", "smc", "mcts").contains(algorithm);
  }

  /**
   * Closes the PRM so that the next {@link #builder} loads a fresh one. The incremental PRM keeps the KV state of
   * every step prefix it has scored across searches (bounded by its state cache), so a second search of the same
   * prompt and seed makes fewer PRM calls than the first; a fresh PRM makes every search cost what a first one does.
   */
  void resetPrm() {
    if (prm != null) {
      prm.close();
      prm = null;
    }
  }

  /**
   * A configured search; {@code n} is the budget: samples (bon), beams (beam), particles or beam width (step-beam,
   * dvts, smc) or simulations (mcts); greedy and sample ignore it.
   */
  ProcessSearch<LmHypothesis, ?> builder(String algorithm, int n, long seed) {
    if (!ALGORITHMS.contains(algorithm)) {
      throw new IllegalArgumentException("algorithm must be one of " + ALGORITHMS + ", was '" + algorithm + "'");
    }
    Decoding decoding = Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
    int rows = algorithm.equals("greedy") || algorithm.equals("sample") ? 1 : n; // one text each, whatever the budget
    CountdownAlgorithms.Knobs knobs = new CountdownAlgorithms.Knobs(rows, CHILDREN, LAMBDA, Resampling.SYSTEMATIC);
    ProcessSearch<LmHypothesis, ?> b = CountdownAlgorithms.builder(algorithm, policy, decoding, knobs,
        () -> orm().asOutcomeScorer(), () -> prm().asProcessScorer());
    b.seed(seed);
    return b;
  }

  SearchResult run(String algorithm, int n, long seed, String prompt) {
    return builder(algorithm, n, seed).run(prompt);
  }

  @Override
  public void close() {
    if (orm != null) {
      orm.close();
    }
    if (prm != null) {
      prm.close();
    }
    policy.close();
  }
}
