package dev.ponder.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.samplers.auto.AutoRule;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ponder eval --task countdown}: one search algorithm on every problem of a file, one JSON line per problem
 * with the chosen solution, whether the rule checker accepts it, and what it cost.
 */
final class CountdownEval {
  /** The options of {@code --task countdown}. */
  static final class Options {
    @Option(names = "--problems", paramLabel = "FILE", description = "(countdown) JSON lines {\"id\", \"numbers\","
        + " \"target\"}.")
    Path problems;

    @Option(names = "--limit", paramLabel = "K", description = "(countdown) Only the first K problems.")
    Integer limit;

    @Option(names = "--n", paramLabel = "N", description = "(countdown) Samples, beams, live hypotheses, particles"
        + " or simulations; not for greedy and sample, which make one text (default 8).")
    Integer n;

    @Option(names = "--m", paramLabel = "M", defaultValue = "4", description = "(countdown) Children per expansion"
        + " (step-beam, dvts, mcts).")
    int m;

    @Option(names = "--verifier", paramLabel = "V", defaultValue = "orm", description = "(countdown) What ranks bon"
        + " and weighted-bon: orm (the outcome reward model under --orm) or checker (the rule checker, an exact"
        + " verifier); for bon and auto, also logprob (the text's log-probability under the policy, no reward model) or"
        + " orm+logprob (log of the ORM's score plus the text's log-probability: ORM score times the text's"
        + " probability); for bon, orm+logprob+swap adds the policy's log-probability of the last result under a"
        + " swapped target (TargetSwapCheck).")
    String verifier;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "1.0", description = "(countdown) Sampling"
        + " temperature (greedy: 0).")
    double temperature;

    @Option(names = "--budget-tokens", paramLabel = "T", description = "(countdown) Policy tokens per problem"
        + " (default: no limit).")
    Long budgetTokens;

    @Option(names = "--policy", paramLabel = "DIR", defaultValue = "onnx-models/countdown/policy",
        description = "(countdown) The policy model.")
    Path policy;

    @Option(names = "--orm", paramLabel = "DIR", split = ",", defaultValue = "onnx-models/countdown/orm-cached",
        description = "(countdown) The outcome reward model (bon, weighted-bon with --verifier orm); several,"
            + " comma-separated, make an ensemble (--ensemble).")
    List<Path> orm;

    @Option(names = "--ensemble", paramLabel = "RULE", description = "(countdown) How several --orm models combine: "
        + OrmEnsemble.RULES + " (default mean).")
    String ensemble;

    @Option(names = "--step-verifier", paramLabel = "V", defaultValue = "prm", description = "(countdown) What"
        + " guides step-beam, dvts and mcts: prm (the process reward model's value of each prefix) or prm+logprob"
        + " (log of that value plus the prefix's log-probability under the local policy).")
    String stepVerifier;

    @Option(names = "--prm", paramLabel = "DIR", defaultValue = "onnx-models/countdown/prm-cached",
        description = "(countdown) The process reward model (step-beam, dvts, smc, mcts).")
    Path prm;

    @Option(names = "--auto-rule", paramLabel = "FILE", description = "(countdown) The rule auto runs (AutoRule's"
        + " text form, as bench/countdown/fit_auto.py writes it; default: the one fitted on the validation split).")
    Path autoRule;

    @Mixin
    RemoteOptions remote;
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private final EvalCommand e;
  private final Options o;
  private final PrintStream out;
  private final PrintStream err;
  private final boolean terminal;

  CountdownEval(EvalCommand command, PrintStream out, PrintStream err, boolean terminal) {
    this.e = command;
    this.o = command.countdown;
    this.out = out;
    this.err = err;
    this.terminal = terminal;
  }

  int run() {
    String algorithm = e.algorithm;
    if (o.problems == null) {
      throw new UsageException("eval: --task countdown needs --problems FILE");
    }
    BonRanking.checkName("eval", o.verifier);
    if (!CountdownAlgorithms.NAMES.contains(algorithm)) {
      throw new UsageException("eval: --algorithm must be one of " + CountdownAlgorithms.NAMES + ", was '"
          + algorithm + "'");
    }
    boolean single = algorithm.equals("sample") || algorithm.equals("greedy");
    if (algorithm.equals("auto") && o.n != null) {
      throw new UsageException("eval: --n does not apply to --algorithm auto, whose fitted rule chooses N per problem"
          + " (tasks' auto-rule.txt)");
    }
    if (single && o.n != null) {
      throw new UsageException("eval: --n does not apply to --algorithm " + algorithm + ", which makes one text per"
          + " problem; bon, weighted-bon and majority draw N");
    }
    for (var option : List.of(new Object[] {"--n", o.n}, new Object[] {"--m", o.m},
        new Object[] {"--limit", o.limit})) {
      if (option[1] != null && (Integer) option[1] < 1) {
        throw new UsageException("eval: " + option[0] + " must be >= 1, was " + option[1]);
      }
    }
    SearchCommand.rejectUnusedKnobs("eval", algorithm, e.given("--m"), e.given("--verifier"));
    int n = single ? 1 : o.n == null ? 8 : o.n;
    RemotePolicy remote = o.remote.policy("eval");
    List<JsonNode> problems = readProblems(o.problems, o.limit == null ? Integer.MAX_VALUE : o.limit);
    ModelOptions options = ModelOptions.cpu().withThreads(e.threads, 0);
    CountdownChecker checker = CountdownChecker.create();
    CountdownAlgorithms.Knobs knobs = new CountdownAlgorithms.Knobs(n, o.m, e.lambda,
        EvalCommand.parseResampling(e.resampling));
    if (o.autoRule != null && !algorithm.equals("auto")) {
      throw new UsageException("eval: --auto-rule applies to --algorithm auto, not to " + algorithm);
    }
    BonRanking.checkUse("eval", o.verifier, algorithm, remote != null);
    StepRanking.check("eval", o.stepVerifier, e.given("--step-verifier"), algorithm, remote != null);
    if (algorithm.equals("auto")) {
      knobs = knobs.withAutoRule(BonRanking.autoRule("eval", o.verifier, o.autoRule == null ? null
          : readRule(o.autoRule)));
    }
    boolean rankByOutcome = CountdownAlgorithms.canRankByOutcome(algorithm) && e.given("--verifier");
    knobs = knobs.withRankByOutcome(rankByOutcome);
    boolean useOrm = (CountdownAlgorithms.needsOutcomeScorer(algorithm) || rankByOutcome)
        && BonRanking.readsOrm(o.verifier);
    if (!useOrm && (o.ensemble != null || o.orm.size() > 1)) {
      throw new UsageException("eval: several --orm models or --ensemble apply when an ORM ranks (bon, weighted-bon"
          + " and auto, or smc and mcts given --verifier; with orm, orm+logprob or orm+logprob+swap), not to"
          + " --algorithm " + algorithm + " with --verifier " + o.verifier);
    }
    OrmEnsemble.checkRule("eval", o.orm, o.ensemble);
    long budgetTokens = o.budgetTokens == null ? Long.MAX_VALUE : o.budgetTokens;

    int correct = 0;
    long tokens = 0;
    long calls = 0;
    long wallNanos = 0;
    try (BufferedWriter w = OutFile.open("eval", e.out);
         OrmEnsemble orm = useOrm ? OrmEnsemble.load("eval", o.orm, o.ensemble, options) : null;
         OnnxProcessReward prm = CountdownAlgorithms.needsProcessScorer(algorithm, knobs.autoRule())
             ? Models.load("eval", "--prm", o.prm, () -> OnnxProcessReward.builder(o.prm).options(options).build())
             : null;
         Solver solver = remote != null
             ? remote.solver(algorithm, knobs, o.temperature, useOrm ? orm.verifier() : checker, prm)
             : Solver.local(Models.load("eval", "--policy", o.policy, () -> LanguageModel.load(o.policy, options)),
                 algorithm, knobs, o.temperature,
                 policy -> BonRanking.scorer(o.verifier, orm == null ? null : orm.verifier().asOutcomeScorer(),
                     checker, policy),
                 prm == null ? null : StepRanking.scorer(o.stepVerifier, prm.asProcessScorer()));
         Progress progress = new Progress(err, problems.size(), terminal)) {
      for (int i = 0; i < problems.size(); i++) {
        JsonNode p = problems.get(i);
        String prompt = prompt(p);
        // Each problem gets its own seed: with one seed for all, every problem would draw the same uniforms at each
        // token position, so the whole run would share one lucky or unlucky stream (sample accuracy 0.008 at
        // seed 1 against 0.070 at seed 2 on the test split).
        long problemSeed = RandomStreams.childLineage(e.seed, i);
        SearchResult r = solver.solve(prompt, problemSeed, Budget.tokens(budgetTokens));
        Candidate best = r.candidates().isEmpty() ? null : r.best();
        String text = best == null ? "" : best.text();
        boolean ok = checker.check(prompt + text).correct();
        correct += ok ? 1 : 0;
        tokens += r.stats().policyTokens();
        calls += r.stats().modelCalls();
        wallNanos += r.stats().wallNanos();
        write(w, line(p, text, ok, best, r));
        progress.step(i + 1, String.format(Locale.ROOT, "%s %s  accuracy so far %.3f  tokens/problem %.0f",
            p.get("id").asText(), ok ? "correct" : "wrong", correct / (double) (i + 1), tokens / (double) (i + 1)));
      }
    } catch (IOException x) {
      throw OutFile.failed("eval", e.out, x);
    }
    int total = problems.size();
    // auto's N is chosen per problem by its rule, not the --n knob
    out.printf(Locale.ROOT, "eval countdown algorithm=%s n=%s seed=%d problems=%d accuracy=%.4f (%d/%d)"
            + " policy_tokens/problem=%.1f model_calls/problem=%.1f wall_ms/problem=%.1f%n", algorithm,
        algorithm.equals("auto") ? "rule" : Integer.toString(n), e.seed,
        total, correct / (double) total, correct, total, tokens / (double) total, calls / (double) total,
        wallNanos / 1e6 / total);
    return 0;
  }

  private static ObjectNode line(JsonNode p, String text, boolean ok, Candidate best, SearchResult r) {
    ObjectNode line = JSON.createObjectNode();
    line.put("id", p.get("id").asText());
    line.put("text", text);
    line.put("correct", ok);
    if (best == null || Double.isNaN(best.score())) {
      line.putNull("score");
    } else {
      line.put("score", best.score());
    }
    line.put("policy_tokens", r.stats().policyTokens());
    line.put("model_calls", r.stats().modelCalls());
    line.put("verifier_calls", r.stats().verifierCalls());
    line.put("wall_ms", Math.round(r.stats().wallNanos() / 1e6 * 10) / 10.0);
    if (r.trace() instanceof SearchTrace.Auto auto) {
      line.put("auto_chosen", auto.chosen());
      line.put("auto_reason", auto.reason());
    }
    return line;
  }

  private static void write(BufferedWriter w, ObjectNode line) throws IOException {
    w.write(JSON.writeValueAsString(line));
    w.newLine();
  }

  private static AutoRule readRule(Path file) {
    try {
      return AutoRule.parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException x) {
      throw new UsageException("eval: cannot read --auto-rule " + file + ": " + Errors.cause(x));
    } catch (IllegalArgumentException x) {
      throw new UsageException("eval: --auto-rule " + file + ": " + x.getMessage());
    }
  }

  static String prompt(JsonNode problem) {
    StringBuilder sb = new StringBuilder("numbers:");
    problem.get("numbers").forEach(x -> sb.append(' ').append(x.asInt()));
    return sb.append(" target: ").append(problem.get("target").asInt()).append('\n').toString();
  }

  private static List<JsonNode> readProblems(Path file, int limit) {
    List<JsonNode> out = new ArrayList<>();
    try {
      int lineNo = 0;
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        lineNo++;
        if (line.isBlank() || out.size() >= limit) {
          continue;
        }
        JsonNode node = JSON.readTree(line);
        if (!node.has("id") || !node.path("numbers").isArray() || !node.path("target").canConvertToInt()) {
          throw new IllegalArgumentException(file + " line " + lineNo + ": expected {\"id\", \"numbers\": [...],"
              + " \"target\": N}, found " + line);
        }
        out.add(node);
      }
    } catch (IOException x) {
      throw new IllegalArgumentException("eval: cannot read --problems " + file + ": " + Errors.cause(x), x);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("eval: --problems " + file + " has no problems");
    }
    return out;
  }
}
