package dev.ponder.server;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.tasks.countdown.CountdownProblem;
import dev.ponder.tasks.countdown.CountdownVerdict;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ponder search}: runs one search algorithm on one prompt and prints every candidate with its
 * log-probability (and score), then the engine's counters. A Countdown prompt's candidates are judged by the rule
 * checker.
 */
@Command(name = "search", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
    header = "Run a search algorithm on one prompt.", versionProvider = Version.class,
    description = {"Runs a search algorithm on one prompt and prints each candidate with its log-probability, then"
        + " the engine's counters. Escapes \\n and \\t in the prompt are expanded. For a Countdown prompt"
        + " ('numbers: 3 7 25 50 target: 85\\n') each candidate is marked correct or wrong by the rule checker."},
    footer = {"%nAlgorithms: greedy, sample (--samples independent samples), bon, weighted-bon, majority (best of --n"
        + " samples by --verifier), beam (token-level, --n beams), step-beam, dvts (--n live, --m children, scored by"
        + " the PRM), smc (--n particles), mcts (--n simulations, --m children)."})
final class SearchCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "DIR", description = "The policy: an exported language model directory.")
  Path model;

  @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt (required).")
  String prompt;

  @Option(names = "--algorithm", paramLabel = "ALG", defaultValue = "sample", description = "The search (below).")
  String algorithm;

  @Option(names = "--samples", paramLabel = "N", description = "Samples for --algorithm sample (default 4).")
  Integer samples;

  @Option(names = "--n", paramLabel = "N", description = "Samples, beams, live hypotheses, particles or simulations"
      + " for the other algorithms (default 8).")
  Integer n;

  @Option(names = "--m", paramLabel = "M", defaultValue = "4", description = "Children per expansion (step-beam,"
      + " dvts, mcts).")
  int m;

  @Option(names = "--verifier", paramLabel = "V", defaultValue = "orm", description = "What ranks bon and"
      + " weighted-bon: orm (the outcome reward model under --orm) or checker (the Countdown rule checker); for bon"
      + " and auto with a local policy also logprob (the text's log-probability under the policy) or orm+logprob"
      + " (ORM score times the text's probability), or orm+logprob+swap (adds the policy's log-probability of the"
      + " last result under a swapped target; the best learned-verifier rule on Countdown, bench/README.md).")
  String verifier;

  @Option(names = "--orm", paramLabel = "DIR", defaultValue = "onnx-models/countdown/orm-cached",
      description = "The outcome reward model.")
  Path orm;

  @Option(names = "--step-verifier", paramLabel = "V", defaultValue = "prm", description = "What guides step-beam,"
      + " dvts and mcts: prm (the process reward model's value of each prefix) or prm+logprob (log of that value"
      + " plus the prefix's log-probability under the local policy; bench/README.md).")
  String stepVerifier;

  @Option(names = "--prm", paramLabel = "DIR", defaultValue = "onnx-models/countdown/prm-cached",
      description = "The process reward model (step-beam, dvts, smc, mcts).")
  Path prm;

  @Option(names = "--lambda", paramLabel = "L", defaultValue = "10", description = "SMC's inverse temperature.")
  double lambda;

  @Option(names = "--resampling", paramLabel = "SCHEME", defaultValue = "systematic", description = "SMC's"
      + " resampling: multinomial, stratified, systematic or residual.")
  String resampling;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Fixes every random draw.")
  long seed;

  @Option(names = "--temperature", paramLabel = "T", defaultValue = "1.0", description = "Sampling temperature.")
  double temperature;

  @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Top-k filter; 0 is off.")
  int topK;

  @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0", description = "Nucleus filter; 1 is off.")
  double topP;

  @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.0", description = "Min-p filter; 0 is off.")
  double minP;

  @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens per hypothesis, at least 1"
      + " (default: the model's generation_config.json).")
  Integer maxNewTokens;

  @Option(names = "--budget-tokens", paramLabel = "T", description = "Stop the search after T policy tokens"
      + " (default: no limit).")
  Long budgetTokens;

  @Option(names = "--device", paramLabel = "DEV", defaultValue = "cpu", description = "cpu or cuda:N.")
  String device;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "ONNX Runtime intra-op threads;"
      + " 0 lets it choose.")
  int threads;

  @Mixin
  RemoteOptions remote;

  @Spec
  CommandSpec spec;

  private final PrintStream out;
  private final PrintStream err;

  SearchCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    if (prompt == null) {
      throw new UsageException("search: missing --prompt TEXT");
    }
    checkAlgorithm();
    String text = unescape(prompt);
    RemotePolicy policy = remote.policy("search");
    if (policy != null) {
      return new RemoteSearch(this, policy, text, out).run();
    }
    if (model == null) {
      throw new UsageException("search: missing --model DIR (or --remote URL)");
    }
    ModelOptions options = ModelOptions.cpu().withDevice(device).withThreads(threads, 0);
    long loadStart = System.nanoTime();
    try (LanguageModel lm = Models.load("search", "--model", model, () -> LanguageModel.load(model, options));
         OnnxOutcomeReward ormModel = usesOrm() ? Models.load("search", "--orm", orm,
             () -> OnnxOutcomeReward.builder(orm).options(options).build()) : null;
         OnnxProcessReward prmModel = CountdownAlgorithms.needsProcessScorer(algorithm) ? Models.load("search",
             "--prm", prm, () -> OnnxProcessReward.builder(prm).options(options).build()) : null) {
      double loadMs = (System.nanoTime() - loadStart) / 1e6;
      Decoding decoding = new Decoding(temperature, topK, topP, minP,
          maxNewTokens != null ? maxNewTokens : lm.defaultMaxNewTokens(), Decoding.sampling().boundary());
      Budget budget = budgetTokens == null ? Budget.tokens(Long.MAX_VALUE) : Budget.tokens(budgetTokens);
      SearchResult r = CountdownAlgorithms.builder(algorithm, lm, decoding, knobs(),
          () -> BonRanking.scorer(verifier, ormModel == null ? null : ormModel.asOutcomeScorer(),
              CountdownChecker.create(), lm),
          () -> StepRanking.scorer(stepVerifier, prmModel.asProcessScorer())).budget(budget).seed(seed).run(text);
      print(r, text, !List.of("sample", "greedy").contains(algorithm), out);
      out.printf(Locale.ROOT, "--- %s (model load %.0f ms not included; first calls include JIT warm-up)%n",
          r.stats(), loadMs);
      if (countdown(text) != null && model.toAbsolutePath().normalize().endsWith(Path.of("countdown", "policy"))) {
        out.println("--- the bundled Countdown policy is tiny (4 layers, 128 wide, 0.8M parameters): most single"
            + " samples are wrong; search helps, e.g. --algorithm bon --n 16 --verifier checker");
      }
      return 0;
    }
  }

  /** Refuses an unknown algorithm, and knobs that the chosen one does not use. */
  void checkAlgorithm() {
    if (!CountdownAlgorithms.NAMES.contains(algorithm)) {
      throw new UsageException("search: --algorithm must be one of " + CountdownAlgorithms.NAMES + ", was '"
          + algorithm + "'");
    }
    if (samples != null && !algorithm.equals("sample")) {
      throw new UsageException("search: --samples is for --algorithm sample; --algorithm " + algorithm
          + (algorithm.equals("greedy") ? " makes one text" : " takes --n"));
    }
    if (n != null && List.of("sample", "greedy").contains(algorithm)) {
      throw new UsageException("search: --n does not apply to --algorithm " + algorithm
          + (algorithm.equals("sample") ? "; --samples N sets how many samples" : ", which makes one text"));
    }
    positive("--samples", samples);
    positive("--n", n);
    positive("--max-new-tokens", maxNewTokens);
    positive("--m", m);
    rejectUnusedKnobs("search", algorithm, spec.commandLine().getParseResult().hasMatchedOption("--m"),
        spec.commandLine().getParseResult().hasMatchedOption("--verifier"));
    BonRanking.checkName("search", verifier);
    BonRanking.checkUse("search", verifier, algorithm, remote.url != null);
    StepRanking.check("search", stepVerifier, spec.commandLine().getParseResult().hasMatchedOption(
        "--step-verifier"), algorithm, remote.url != null);
    if (algorithm.equals("auto")) {
      BonRanking.autoRule("search", verifier, null); // a verifier with no bundled rule fails before any model loads
    }
  }

  /** --m and --verifier given to an algorithm that would ignore them are errors, not silently dropped. */
  static void rejectUnusedKnobs(String command, String algorithm, boolean mGiven, boolean verifierGiven) {
    if (mGiven && !List.of("step-beam", "dvts", "mcts").contains(algorithm)) {
      throw new UsageException(command + ": --m applies to step-beam, dvts and mcts, not to --algorithm "
          + algorithm);
    }
    if (verifierGiven && !CountdownAlgorithms.needsOutcomeScorer(algorithm)
        && !CountdownAlgorithms.canRankByOutcome(algorithm)) {
      throw new UsageException(command + ": --verifier applies to bon, weighted-bon, auto, smc and mcts, not to"
          + " --algorithm " + algorithm + (CountdownAlgorithms.needsProcessScorer(algorithm)
          ? ", which the PRM under --prm guides" : ""));
    }
  }

  private static void positive(String option, Integer value) {
    if (value != null && value < 1) {
      throw new UsageException("search: " + option + " must be >= 1, was " + value);
    }
  }

  int samples() {
    return samples == null ? 4 : samples;
  }

  CountdownAlgorithms.Knobs knobs() {
    int rows = algorithm.equals("sample") ? samples() : algorithm.equals("greedy") ? 1 : n == null ? 8 : n;
    CountdownAlgorithms.Knobs knobs = new CountdownAlgorithms.Knobs(rows, m, lambda,
        EvalCommand.parseResampling(resampling));
    knobs = knobs.withRankByOutcome(rankByOutcome());
    return algorithm.equals("auto") ? knobs.withAutoRule(BonRanking.autoRule("search", verifier, null)) : knobs;
  }

  /** smc and mcts read the outcome scorer only when --verifier names one. */
  private boolean rankByOutcome() {
    return CountdownAlgorithms.canRankByOutcome(algorithm)
        && spec.commandLine().getParseResult().hasMatchedOption("--verifier");
  }

  boolean usesOrm() {
    return (CountdownAlgorithms.needsOutcomeScorer(algorithm) || rankByOutcome()) && BonRanking.readsOrm(verifier);
  }

  /**
   * The candidates with their log-probabilities (and scores), each marked by the rule checker when the prompt is
   * a Countdown problem, then the outcome line.
   */
  static void print(SearchResult r, String prompt, boolean withScore, PrintStream out) {
    CountdownProblem problem = countdown(prompt);
    CountdownChecker checker = problem == null ? null : CountdownChecker.create();
    int i = 0;
    int correct = 0;
    for (Candidate c : r.candidates()) {
      String verdict = "";
      if (checker != null) {
        CountdownVerdict v = checker.check(problem, c.text());
        correct += v.correct() ? 1 : 0;
        verdict = v.correct() ? "  correct" : "  wrong (" + v.reason().code() + ")";
      }
      String score = withScore && !Double.isNaN(c.score()) ? String.format(Locale.ROOT, "  score %.4f", c.score()) : "";
      out.printf(Locale.ROOT, "--- sample %d  logprob %.4f  tokens %d%s%s%s%n", ++i, c.logProb(), c.tokens(), score,
          c.finished() ? "" : "  (cut at the length limit)", verdict);
      out.println(c.text());
    }
    out.println("--- outcome " + r.outcome() + (r.outcome() == Outcome.COMPLETED ? "" : " ("
        + r.stopReason().describe() + ")"));
    if (checker != null) {
      out.printf(Locale.ROOT, "--- countdown: %d of %d correct by the rule checker%n", correct, i);
    }
  }

  /** The Countdown problem that the prompt states, or null when it is not one. */
  static CountdownProblem countdown(String prompt) {
    try {
      return CountdownProblem.parse(prompt);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static String unescape(String s) {
    return s.replace("\\n", "\n").replace("\\t", "\t");
  }
}
