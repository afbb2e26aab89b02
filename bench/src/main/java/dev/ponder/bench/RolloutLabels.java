package dev.ponder.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.tasks.countdown.CountdownVerdict;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training data for the Countdown verifiers, drawn with Ponder's own sampler (onnx-models/countdown/
 * sample_verifier_data.py reads and writes these files).
 *
 * <ul>
 *   <li>{@code samples POLICY ORM PROBLEMS N SEED OUT}: N samples at temperature 1 per problem (problem i seeded
 *       with {@code childLineage(SEED, i)}); one JSON line per sample with its text, the checker's verdict and
 *       reason, and the ORM's score (used to mine hard negatives).
 *   <li>{@code rollouts POLICY PREFIXES K SEED OUT}: for each line {@code {"numbers", "target", "prefix", ...}}
 *       K rollouts at temperature 1 from prompt + prefix; the line comes back with {@code wins} (rollouts the
 *       checker accepts, prefix included) and {@code rollouts}. Consecutive lines of one problem are prefilled
 *       in one batch.
 * </ul>
 * One ONNX Runtime thread. Progress goes to stderr.
 */
public final class RolloutLabels {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RolloutLabels() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 7 && args[0].equals("samples")) {
      samples(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), Integer.parseInt(args[4]),
          Long.parseLong(args[5]), Path.of(args[6]));
    } else if (args.length == 6 && args[0].equals("rollouts")) {
      rollouts(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]), Long.parseLong(args[4]),
          Path.of(args[5]));
    } else {
      throw new IllegalArgumentException("usage: RolloutLabels samples POLICY ORM PROBLEMS N SEED OUT"
          + " | rollouts POLICY PREFIXES K SEED OUT; found " + args.length + " arguments: " + List.of(args));
    }
  }

  static String prompt(JsonNode p) {
    StringBuilder prompt = new StringBuilder("numbers:");
    p.get("numbers").forEach(x -> prompt.append(' ').append(x.asInt()));
    return prompt.append(" target: ").append(p.get("target").asInt()).append('\n').toString();
  }

  private static List<JsonNode> read(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
    }
    return out;
  }

  /** Runs every hypothesis to its end (EOS or the length limit). */
  private static void finish(LmProcess process, List<LmHypothesis> all, SearchContext ctx) {
    List<LmHypothesis> live = new ArrayList<>(all);
    live.removeIf(LmHypothesis::isTerminal);
    while (!live.isEmpty()) {
      live = new ArrayList<>(process.advance(live, ctx));
      live.removeIf(LmHypothesis::isTerminal);
    }
  }

  static void samples(Path policyDir, Path ormDir, Path problems, int n, long seed, Path outFile) throws Exception {
    ModelOptions options = ModelOptions.cpu().withThreads(1, 0);
    CountdownChecker checker = CountdownChecker.create();
    List<JsonNode> probs = read(problems);
    long t0 = System.nanoTime();
    try (LanguageModel policy = LanguageModel.load(policyDir, options);
         OnnxOutcomeReward orm = OnnxOutcomeReward.builder(ormDir).options(options).build();
         BufferedWriter out = Files.newBufferedWriter(outFile)) {
      Decoding decoding = Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
      for (int i = 0; i < probs.size(); i++) {
        JsonNode p = probs.get(i);
        String prompt = prompt(p);
        SearchContext ctx = SearchContext.builder().seed(RandomStreams.childLineage(seed, i)).build();
        try (LmProcess process = policy.process(prompt, decoding)) {
          List<LmHypothesis> all = process.start(n, ctx);
          finish(process, all, ctx);
          double[] scores = orm.asOutcomeScorer().score(all, ctx);
          for (int k = 0; k < all.size(); k++) {
            LmHypothesis h = all.get(k);
            CountdownVerdict v = checker.check(prompt + h.text());
            ObjectNode row = JSON.createObjectNode();
            row.put("id", p.get("id").asText());
            row.put("problem", i);
            row.put("sample", k);
            row.set("numbers", p.get("numbers"));
            row.put("target", p.get("target").asInt());
            row.put("text", h.text());
            row.put("correct", v.correct());
            row.put("reason", v.reason().code());
            row.put("orm", scores[k]);
            out.write(JSON.writeValueAsString(row));
            out.newLine();
          }
          for (LmHypothesis h : all) {
            process.release(h);
          }
        }
        if ((i + 1) % 100 == 0) {
          System.err.printf("%d/%d problems, %.0f s%n", i + 1, probs.size(), (System.nanoTime() - t0) / 1e9);
        }
      }
    }
  }

  static void rollouts(Path policyDir, Path prefixes, int k, long seed, Path outFile) throws Exception {
    ModelOptions options = ModelOptions.cpu().withThreads(1, 0);
    CountdownChecker checker = CountdownChecker.create();
    List<JsonNode> items = read(prefixes);
    // group consecutive lines of one problem (same prompt): one batched call per group
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      groups.computeIfAbsent(prompt(items.get(i)), x -> new ArrayList<>()).add(i);
    }
    long t0 = System.nanoTime();
    int done = 0;
    int g = 0;
    try (LanguageModel policy = LanguageModel.load(policyDir, options);
         BufferedWriter out = Files.newBufferedWriter(outFile)) {
      int budget = policy.defaultMaxNewTokens();
      for (Map.Entry<String, List<Integer>> e : groups.entrySet()) {
        String prompt = e.getKey();
        int longest = 0;
        List<int[]> rows = new ArrayList<>();
        for (int idx : e.getValue()) {
          String prefix = items.get(idx).get("prefix").asText();
          longest = Math.max(longest, prefix.length());
          int[] toks = policy.encode(prompt + prefix);
          for (int r = 0; r < k; r++) {
            rows.add(toks);
          }
        }
        // the whole solution (prefix + rollout) stays within the policy's 72-token budget, as in sampling
        Decoding decoding = Decoding.sampling().withMaxNewTokens(Math.max(8, budget - longest));
        SearchContext ctx = SearchContext.builder().seed(RandomStreams.childLineage(seed, g++)).build();
        try (LmProcess process = policy.process(prompt, decoding)) {
          List<LmHypothesis> all = process.startEach(rows, ctx);
          finish(process, all, ctx);
          int j = 0;
          for (int idx : e.getValue()) {
            ObjectNode item = (ObjectNode) items.get(idx);
            String prefix = item.get("prefix").asText();
            int wins = 0;
            for (int r = 0; r < k; r++, j++) {
              wins += checker.check(prompt + prefix + all.get(j).text()).correct() ? 1 : 0;
            }
            item.put("wins", wins);
            item.put("rollouts", k);
            out.write(JSON.writeValueAsString(item));
            out.newLine();
          }
          for (LmHypothesis h : all) {
            process.release(h);
          }
        }
        done += e.getValue().size();
        if (g % 200 == 0) {
          System.err.printf("%d/%d prefixes, %.0f s%n", done, items.size(), (System.nanoTime() - t0) / 1e9);
        }
      }
    }
  }
}
