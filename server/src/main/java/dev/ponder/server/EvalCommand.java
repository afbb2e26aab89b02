package dev.ponder.server;

import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ponder eval --task countdown|digits}: one search algorithm over many problems (or images), one JSON line
 * each, a summary at the end and progress on stderr. The task's own options are in {@link CountdownEval.Options}
 * and {@link DigitsEval.Options}; giving one of the other task's is an error.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
    header = "Evaluate a search on Countdown problems, or steer digit images.",
    versionProvider = Version.class,
    description = {"Runs one search algorithm on every Countdown problem of a file, or makes digit images steered"
        + " toward a class, and writes one JSON line each to --out. Progress goes to stderr: one updating line on"
        + " a terminal, one line per item otherwise.",
        "%nCountdown lines: id, text, correct (the rule checker's verdict on the text exactly as generated), score,"
        + " policy_tokens, model_calls, verifier_calls, wall_ms. Problem i is searched with its own seed derived"
        + " from --seed and i, so that problems do not share random draws.",
        "%nDigits lines: id, target_class, pixels (64 values on sklearn's 0..16 scale), reward (log p(K | image) by"
        + " the reward classifier), model_calls, wall_ms, and the verdicts of the reward classifier and of an"
        + " independently trained one; a PNG grid of the images is written too.%n"},
    footer = {"%nCountdown algorithms: greedy, sample (one sample per problem), bon, weighted-bon (best of --n by"
        + " --verifier), majority (vote over the answers of --n samples), beam (token-level, --n beams), step-beam,"
        + " dvts (--n live, --m children, PRM-scored), smc (--n particles), mcts (--n simulations, --m children);"
        + " with --remote every one but beam.",
        "%nDigits algorithms: unsteered (one DDIM sample), bon (best of --particles samples by the classifier), zo"
        + " (zero-order noise search: --rounds x --neighbours at --cosine), fk (Feynman-Kac steering with"
        + " --particles, DDIM eta --eta), reno (noise optimization of the one-step generator through the"
        + " reward-gradient graph), spsa (the same with gradients estimated from the classifier alone)."})
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--task", paramLabel = "TASK", description = "countdown or digits (required).")
  String task;

  @Option(names = "--algorithm", paramLabel = "ALG", description = "The search (below; required).")
  String algorithm;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Fixes every random draw.")
  long seed;

  @Option(names = "--out", paramLabel = "FILE", description = "The JSON lines file to write (required).")
  Path out;

  @Option(names = "--lambda", paramLabel = "L", defaultValue = "10", description = "SMC's or Feynman-Kac's inverse"
      + " temperature.")
  double lambda;

  @Option(names = "--resampling", paramLabel = "SCHEME", defaultValue = "systematic", description = "multinomial,"
      + " stratified, systematic or residual (smc, fk).")
  String resampling;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "ONNX Runtime intra-op threads;"
      + " 0 lets it choose.")
  int threads;

  @Mixin(name = "countdown")
  CountdownEval.Options countdown;

  @Mixin(name = "digits")
  DigitsEval.Options digits;

  @Spec
  CommandSpec spec;

  private final PrintStream stdout;
  private final PrintStream stderr;
  private final boolean terminal;

  EvalCommand(PrintStream out, PrintStream err, boolean terminal) {
    this.stdout = out;
    this.stderr = err;
    this.terminal = terminal;
  }

  @Override
  public Integer call() throws Exception {
    for (Object[] required : new Object[][] {{"--task countdown|digits", task}, {"--algorithm ALG", algorithm},
        {"--out FILE", out}}) {
      if (required[1] == null) {
        throw new UsageException("eval: missing " + required[0]);
      }
    }
    switch (task) {
      case "countdown":
        rejectOptionsOf("digits");
        return new CountdownEval(this, stdout, stderr, terminal).run();
      case "digits":
        rejectOptionsOf("countdown");
        return new DigitsEval(this, stdout, stderr, terminal).run();
      default:
        throw new UsageException("eval: --task must be 'countdown' or 'digits', was '" + task + "'");
    }
  }

  /** Whether the option was on the command line (not just its default). */
  boolean given(String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  private void rejectOptionsOf(String otherTask) {
    Set<String> theirs = spec.mixins().get(otherTask).options().stream().map(OptionSpec::longestName)
        .collect(Collectors.toSet());
    java.util.List<String> given = theirs.stream().filter(this::given).sorted().toList();
    if (!given.isEmpty()) {
      throw new UsageException("eval: " + String.join(", ", given) + (given.size() == 1 ? " is an option" : " are"
          + " options") + " of --task " + otherTask + ", not of --task " + task);
    }
  }

  static Resampling parseResampling(String name) {
    try {
      return Resampling.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UsageException("--resampling must be multinomial, stratified, systematic or residual, was '"
          + name + "'");
    }
  }
}
