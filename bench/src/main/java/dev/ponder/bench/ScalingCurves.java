package dev.ponder.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchResult;
import dev.ponder.tasks.countdown.CountdownChecker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Scaling curves: every algorithm over a range of budgets, with the quality it reaches against what it spends,
 * as a CSV, PNG plots (log x) and a Markdown table.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.ponder.bench.ScalingCurves --task countdown --out bench/curves/ [--limit K]
 * java -cp bench/target/benchmarks.jar dev.ponder.bench.ScalingCurves --task digits --out bench/curves/
 *     [--classes 1,3,5,8] [--samples 5]
 * java -cp bench/target/benchmarks.jar dev.ponder.bench.ScalingCurves --task countdown|digits --out bench/curves/ --from-csv
 * </pre>
 *
 * <p><b>countdown</b>: the first K problems of onnx-models/countdown/test.jsonl (all 500 without --limit), problem
 * p with seed {@code RandomStreams.childLineage(1, p)} as {@code ponder eval} uses,
 * every configuration of {@link #COUNTDOWN}, configured as in {@link CountdownSearches}; accuracy is the rule
 * checker's verdict on the chosen text. Writes countdown.csv (algorithm, budget, problems, accuracy, mean policy
 * tokens, model calls, verifier calls and wall ms per problem) and accuracy against policy tokens, model calls and
 * wall time. A fresh PRM is loaded for each configuration, so that no configuration reads step prefixes that an
 * earlier one scored on the same problem.
 *
 * <p><b>digits</b>: for each target class K and sample i, one search with seed 1 + 1000 K + i, as
 * {@code ponder eval --task digits} uses ({@link DigitsSearches}); the
 * target rate is the fraction of images the reward classifier puts in the target class, and the independent rate
 * the same by the independently trained classifier. Model calls count the denoiser or generator and the reward
 * model together, as {@code ponder eval --task digits} does: one batched call counts once, however many rows it
 * has. Evaluations count rows instead: every image (or noise) one network processed, denoiser or generator rows
 * ({@code policyTokens}) plus the reward model's rows ({@code verifierTokens}).
 *
 * <p>{@code --from-csv} reads the CSV in --out and writes only the plots and the Markdown table. One thread,
 * one ONNX Runtime thread per model; wall times include nothing but the searches (models are loaded once).
 */
public final class ScalingCurves {
  /** (algorithm, budget) for the Countdown curve, cheapest first within an algorithm. */
  static final String[] COUNTDOWN = {"greedy:1", "bon:1", "bon:4", "bon:16", "bon:64", "beam:4", "step-beam:4",
      "step-beam:16", "dvts:4", "dvts:16", "smc:4", "smc:16", "mcts:4", "mcts:16"};
  static final String[] DIGITS = {"unsteered:1", "bon:2", "bon:4", "bon:8", "bon:16", "fk:2", "fk:4", "fk:8",
      "fk:16", "zo:2", "zo:4", "zo:8", "reno:10", "reno:25", "reno:50"};
  static final String COUNTDOWN_HEADER = "algorithm,budget,problems,accuracy,mean_policy_tokens,mean_model_calls,"
      + "mean_verifier_calls,mean_wall_ms";
  static final String DIGITS_HEADER = "algorithm,budget,samples,target_rate,independent_rate,mean_model_calls,"
      + "mean_evaluations,mean_wall_ms";
  private static final long SEED = 1;

  private ScalingCurves() {
  }

  public static void main(String[] argv) throws IOException {
    System.setProperty("java.awt.headless", "true");
    String task = null;
    Path out = null;
    int limit = Integer.MAX_VALUE;
    boolean fromCsv = false;
    String classes = "1,3,5,8";
    int samples = 5;
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--task" -> task = argv[++i];
        case "--out" -> out = Path.of(argv[++i]);
        case "--limit" -> limit = Integer.parseInt(argv[++i]);
        case "--from-csv" -> fromCsv = true;
        case "--classes" -> classes = argv[++i];
        case "--samples" -> samples = Integer.parseInt(argv[++i]);
        default -> usage("unknown option '" + argv[i] + "'");
      }
    }
    if (task == null || out == null || !(task.equals("countdown") || task.equals("digits"))) {
      usage("--task countdown|digits and --out DIR are required");
    }
    Files.createDirectories(out);
    Path csv = out.resolve(task + ".csv");
    if (!fromCsv) {
      if (task.equals("countdown")) {
        runCountdown(csv, limit);
      } else {
        runDigits(csv, classes, samples);
      }
    }
    CurvePlots.write(task, csv, out);
  }

  private static void usage(String why) {
    System.err.println("ScalingCurves: " + why + "\nusage: ScalingCurves --task countdown|digits --out DIR"
        + " [--limit K] [--classes 1,3,5,8] [--samples N] [--from-csv]");
    System.exit(2);
  }

  static void runCountdown(Path csv, int limit) throws IOException {
    List<String> prompts = countdownPrompts(DecodeInputs.repoRoot().resolve("onnx-models/countdown/test.jsonl"), limit);
    CountdownChecker checker = CountdownChecker.create();
    List<String> lines = new ArrayList<>(List.of(COUNTDOWN_HEADER));
    try (CountdownSearches models = new CountdownSearches()) {
      for (String config : COUNTDOWN) {
        String algorithm = config.split(":")[0];
        int budget = Integer.parseInt(config.split(":")[1]);
        models.resetPrm();
        var search = models.builder(algorithm, budget, SEED);
        int correct = 0;
        double tokens = 0;
        double calls = 0;
        double verifierCalls = 0;
        double wall = 0;
        for (int p = 0; p < prompts.size(); p++) {
          String prompt = prompts.get(p);
          // Problem p's own seed, as ponder eval does: one seed for all would share one random stream.
          SearchResult r = search.seed(RandomStreams.childLineage(SEED, p)).run(prompt);
          Candidate best = r.candidates().isEmpty() ? null : r.best();
          correct += best != null && checker.check(prompt + best.text()).correct() ? 1 : 0;
          tokens += r.stats().policyTokens();
          calls += r.stats().modelCalls();
          verifierCalls += r.stats().verifierCalls();
          wall += r.stats().wallNanos() / 1e6;
        }
        int n = prompts.size();
        lines.add(String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.1f,%.1f,%.1f,%.2f", algorithm, budget, n,
            correct / (double) n, tokens / n, calls / n, verifierCalls / n, wall / n));
        System.err.println("[curves] countdown " + lines.get(lines.size() - 1));
        Files.write(csv, lines, StandardCharsets.UTF_8);
      }
    }
  }

  static void runDigits(Path csv, String classList, int samples) throws IOException {
    int[] classes = java.util.Arrays.stream(classList.split(",")).mapToInt(Integer::parseInt).toArray();
    List<String> lines = new ArrayList<>(List.of(DIGITS_HEADER));
    try (DigitsSearches models = new DigitsSearches()) {
      for (String config : DIGITS) {
        String algorithm = config.split(":")[0];
        int budget = Integer.parseInt(config.split(":")[1]);
        int hits = 0;
        int independentHits = 0;
        double calls = 0;
        double evaluations = 0;
        double wall = 0;
        for (int target : classes) {
          for (int i = 0; i < samples; i++) {
            SearchResult r = models.run(algorithm, budget, target, SEED + 1000L * target + i);
            int[] verdicts = models.judge(r);
            hits += verdicts[0] == target ? 1 : 0;
            independentHits += verdicts[1] == target ? 1 : 0;
            calls += r.stats().modelCalls() + r.stats().verifierCalls();
            evaluations += r.stats().policyTokens() + r.stats().verifierTokens();
            wall += r.stats().wallNanos() / 1e6;
          }
        }
        int n = classes.length * samples;
        lines.add(String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.4f,%.1f,%.1f,%.2f", algorithm, budget, n,
            hits / (double) n, independentHits / (double) n, calls / n, evaluations / n, wall / n));
        System.err.println("[curves] digits " + lines.get(lines.size() - 1));
        Files.write(csv, lines, StandardCharsets.UTF_8);
      }
    }
  }

  /** The prompts of the first {@code limit} problems, in the format of onnx-models/countdown/task.py. */
  static List<String> countdownPrompts(Path file, int limit) {
    ObjectMapper json = new ObjectMapper();
    List<String> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isBlank() || out.size() >= limit) {
          continue;
        }
        JsonNode p = json.readTree(line);
        StringBuilder sb = new StringBuilder("numbers:");
        p.get("numbers").forEach(x -> sb.append(' ').append(x.asInt()));
        out.add(sb.append(" target: ").append(p.get("target").asInt()).append('\n').toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }
}
