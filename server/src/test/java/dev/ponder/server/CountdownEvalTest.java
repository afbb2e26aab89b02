package dev.ponder.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import dev.ponder.tasks.countdown.TargetSwapCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval --task countdown --verifier logprob | orm+logprob}, and the same for {@code search}: bon ranked with
 * the policy's log-probability.
 */
class CountdownEvalTest {
  private static final String POLICY = Zoo.root().resolve("onnx-models/countdown/policy").toString();
  private static final String ORM = Zoo.root().resolve("onnx-models/countdown/orm-cached").toString();
  private static final String PRM = Zoo.root().resolve("onnx-models/countdown/prm-cached").toString();
  private static final String TWO_PROBLEMS = "{\"id\": \"a\", \"numbers\": [6, 14, 18, 20], \"target\": 32}\n"
      + "{\"id\": \"b\", \"numbers\": [3, 7, 25, 50], \"target\": 85}\n";

  private final CliRun cli = new CliRun();

  private int run(String... args) {
    return cli.run(args);
  }

  @Test
  void timesLikelihoodAddsTheLogOfTheScoreToTheLogProbability() {
    Map<String, Double> logProb = Map.of("a", -1.0, "b", -0.1, "c", 0.0, "d", -2.0);
    OutcomeScorer<String> orm = (hs, ctx) -> new double[] {0.5, 0.25, 0.0, -0.3};
    double[] s = BonRanking.timesLikelihood(orm, logProb::get).score(List.of("a", "b", "c", "d"),
        SearchContext.builder().seed(1).build());
    assertThat(s[0]).isCloseTo(Math.log(0.5) - 1.0, within(1e-12));
    assertThat(s[1]).isCloseTo(Math.log(0.25) - 0.1, within(1e-12));
    // a score at or below 0 ranks below every positive one, and is not NaN
    assertThat(s[2]).isEqualTo(Math.log(Double.MIN_VALUE)).isLessThan(s[1]);
    assertThat(s[3]).isEqualTo(Math.log(Double.MIN_VALUE) - 2.0);
  }

  @Test
  void bonRankedByLogProbabilityAndByOrmTimesProbability(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [6, 14, 18, 20],"
        + " \"target\": 32}\n");
    Path o = dir.resolve("o.jsonl");
    ObjectMapper json = new ObjectMapper();
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon", "--n", "4",
        "--verifier", "logprob", "--policy", POLICY, "--seed", "1", "--out", o.toString())).as(cli.err()).isZero();
    assertThat(cli.out()).startsWith("eval countdown algorithm=bon n=4 seed=1 problems=1");
    double bestLogProb = json.readTree(Files.readString(o)).get("score").asDouble();
    assertThat(bestLogProb).isNegative();
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon", "--n", "4",
        "--verifier", "orm+logprob", "--policy", POLICY, "--orm", ORM, "--seed", "1", "--out", o.toString()))
        .as(cli.err()).isZero();
    // log(orm) + logprob of one of the same four samples: below the best logprob alone, since an ORM score is < 1
    assertThat(json.readTree(Files.readString(o)).get("score").asDouble()).isLessThan(bestLogProb);
  }

  @Test
  void aStagedAutoRuleRanksByOrmTimesProbabilityAsBonDoes(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), TWO_PROBLEMS);
    // probe 2, always on to 4, where the second stage stops: exactly best-of-4's samples and pick
    Path rule = Files.writeString(dir.resolve("rule.txt"), "probe 2\notherwise bon 4\nprobe 4\notherwise stop\n");
    Path bon = dir.resolve("bon.jsonl");
    Path auto = dir.resolve("auto.jsonl");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon", "--n", "4",
        "--verifier", "orm+logprob", "--policy", POLICY, "--orm", ORM, "--seed", "1", "--out", bon.toString()))
        .as(cli.err()).isZero();
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "auto",
        "--auto-rule", rule.toString(), "--verifier", "orm+logprob", "--policy", POLICY, "--orm", ORM, "--seed", "1",
        "--out", auto.toString())).as(cli.err()).isZero();
    ObjectMapper json = new ObjectMapper();
    List<String> bonLines = Files.readAllLines(bon);
    List<String> autoLines = Files.readAllLines(auto);
    assertThat(autoLines).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonNode b = json.readTree(bonLines.get(i));
      JsonNode a = json.readTree(autoLines.get(i));
      assertThat(a.get("text").asText()).isEqualTo(b.get("text").asText());
      assertThat(a.get("score").asDouble()).isEqualTo(b.get("score").asDouble()).isNegative();
      assertThat(a.get("policy_tokens").asLong()).isEqualTo(b.get("policy_tokens").asLong());
      assertThat(a.get("auto_chosen").asText()).isEqualTo("stop");
      assertThat(a.get("auto_reason").asText())
          .isEqualTo("at 2 samples: no clause matched: otherwise; at 4 samples: no clause matched: otherwise");
    }
  }

  @Test
  void stepBeamGuidedByPrmTimesProbabilityAddsTheLogProbability(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), TWO_PROBLEMS);
    ObjectMapper json = new ObjectMapper();
    List<List<JsonNode>> runs = new ArrayList<>();
    for (String v : List.of("prm", "prm+logprob")) {
      Path o = dir.resolve(v + ".jsonl");
      // one live hypothesis, one child: a single path, so both rankings keep the same text
      assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "step-beam",
          "--n", "1", "--m", "1", "--step-verifier", v, "--policy", POLICY, "--prm", PRM, "--seed", "1", "--out",
          o.toString())).as(cli.err()).isZero();
      List<JsonNode> lines = new ArrayList<>();
      for (String l : Files.readAllLines(o)) {
        lines.add(json.readTree(l));
      }
      runs.add(lines);
    }
    for (int i = 0; i < 2; i++) {
      JsonNode byPrm = runs.get(0).get(i);
      JsonNode byBoth = runs.get(1).get(i);
      assertThat(byBoth.get("text").asText()).isEqualTo(byPrm.get("text").asText()).isNotEmpty();
      assertThat(byPrm.get("score").asDouble()).isBetween(0.0, 1.0);
      // score = log(PRM value) + the text's log-probability, which is negative and finite
      double logProb = byBoth.get("score").asDouble() - Math.log(byPrm.get("score").asDouble());
      assertThat(logProb).isNegative().isGreaterThan(-200.0);
    }
  }

  @Test
  void theStepVerifierGuidesOnlyStepLevelSearches(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [1, 2], \"target\": 3}\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon",
        "--verifier", "checker", "--ensemble", "mean", "--out", dir.resolve("o.jsonl").toString())).isEqualTo(2);
    assertThat(cli.err()).isEqualTo("error: eval: several --orm models or --ensemble apply when an ORM ranks (bon,"
        + " weighted-bon and auto, or smc and mcts given --verifier; with orm, orm+logprob or orm+logprob+swap), not"
        + " to --algorithm bon with --verifier checker\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "smc",
        "--step-verifier", "prm+logprob", "--out", dir.resolve("o.jsonl").toString())).isEqualTo(2);
    assertThat(cli.err()).isEqualTo("error: eval: --step-verifier applies to step-beam,"
        + " dvts and mcts, not to --algorithm smc (its particles are already drawn from the policy, so weighting them"
        + " by the policy's probability again would count it twice)\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon",
        "--step-verifier", "prm", "--out", dir.resolve("o.jsonl").toString())).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: eval: --step-verifier applies to step-beam,"
        + " dvts and mcts, not to --algorithm bon\n");
    assertThat(run("search", "--model", "no/such/dir", "--prompt", "numbers: 1 2 target: 3\n", "--algorithm",
        "mcts", "--step-verifier", "orm")).isEqualTo(2);
    assertThat(cli.err())
        .isEqualTo("error: search: --step-verifier must be 'prm' or 'prm+logprob', was 'orm'\n");
  }

  @Test
  void theTargetSwapAddsThePoliciesOwnCheckOfTheLastResult(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [6, 14, 18, 20],"
        + " \"target\": 32}\n");
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = new ArrayList<>();
    for (String v : List.of("orm+logprob", "orm+logprob+swap")) {
      Path o = dir.resolve(v + ".jsonl");
      assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon", "--n",
          "8", "--verifier", v, "--policy", POLICY, "--orm", ORM, "--seed", "1", "--out", o.toString()))
          .as(cli.err()).isZero();
      lines.add(json.readTree(Files.readString(o)));
    }
    assertThat(lines.get(1).get("policy_tokens").asLong()).isEqualTo(lines.get(0).get("policy_tokens").asLong());
    // the swap re-reads the texts with the policy: a prefill and one call per result token, as verifier calls
    assertThat(lines.get(1).get("verifier_calls").asLong()).isGreaterThan(lines.get(0).get("verifier_calls").asLong());
    assertThat(lines.get(1).get("score").asDouble()).isNegative().isGreaterThan(TargetSwapCheck.NO_EQUATION - 200);
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "auto",
        "--verifier", "orm+logprob+swap", "--out", dir.resolve("x.jsonl").toString())).isEqualTo(2);
    assertThat(cli.err()).startsWith("error: eval: --algorithm auto has bundled rules for"
        + " --verifier orm and orm+logprob, not for orm+logprob+swap");
  }

  @Test
  void smcRanksItsFinalParticlesByTheVerifierWhenOneIsGiven(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), TWO_PROBLEMS);
    ObjectMapper json = new ObjectMapper();
    List<List<JsonNode>> runs = new ArrayList<>();
    for (List<String> extra : List.of(List.<String>of(), List.of("--verifier", "orm+logprob", "--orm", ORM))) {
      Path o = dir.resolve(runs.size() + ".jsonl");
      List<String> args = new ArrayList<>(List.of("eval", "--task", "countdown", "--problems", problems.toString(),
          "--algorithm", "smc", "--n", "4", "--policy", POLICY, "--prm", PRM, "--seed", "1", "--out", o.toString()));
      args.addAll(extra);
      assertThat(run(args.toArray(String[]::new))).as(cli.err()).isZero();
      List<JsonNode> lines = new ArrayList<>();
      for (String l : Files.readAllLines(o)) {
        lines.add(json.readTree(l));
      }
      runs.add(lines);
    }
    for (int i = 0; i < 2; i++) {
      // the same particles (same seed, same PRM); the pick is scored by the PRM in [0, 1], or by log(ORM) + logprob
      assertThat(runs.get(0).get(i).get("policy_tokens").asLong())
          .isEqualTo(runs.get(1).get(i).get("policy_tokens").asLong());
      assertThat(runs.get(0).get(i).get("score").asDouble()).isBetween(0.0, 1.0);
      assertThat(runs.get(1).get(i).get("score").asDouble()).isNegative();
      assertThat(runs.get(1).get(i).get("verifier_calls").asLong())
          .isGreaterThan(runs.get(0).get(i).get("verifier_calls").asLong());
    }
  }

  @Test
  void logProbRanksOnlyBonAndAuto(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [1, 2], \"target\": 3}\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "weighted-bon",
        "--verifier", "orm+logprob", "--out", dir.resolve("o.jsonl").toString())).isEqualTo(2);
    assertThat(cli.err())
        .isEqualTo("error: eval: --verifier orm+logprob ranks the samples of bon, auto, smc and mcts, not"
            + " --algorithm weighted-bon\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "auto",
        "--verifier", "logprob", "--out", dir.resolve("o.jsonl").toString())).isEqualTo(2);
    assertThat(cli.err()).isEqualTo("error: eval: --algorithm auto has bundled rules for"
        + " --verifier orm and orm+logprob, not for logprob; give one fitted to its score with --auto-rule FILE\n");
    assertThat(run("search", "--model", "no/such/dir", "--prompt", "numbers: 1 2 target: 3\n",
        "--algorithm", "auto", "--verifier", "checker")).isEqualTo(2);
    assertThat(cli.err()).isEqualTo("error: search: --algorithm auto has bundled rules for"
        + " --verifier orm and orm+logprob, not for checker; eval --auto-rule FILE runs a rule of your own\n");
    assertThat(CountdownAlgorithms.autoRuleOrmLogProb().next()).as("the bundled orm+logprob rule is staged")
        .isNotNull();
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon",
        "--verifier", "logprobs", "--out", dir.resolve("o.jsonl").toString())).isEqualTo(2);
    assertThat(cli.err()).isEqualTo("error: eval: --verifier must be 'orm' (the trained"
        + " outcome reward model), 'checker' (the Countdown rule checker, an exact verifier), 'logprob', 'orm+logprob'"
        + " or 'orm+logprob+swap', was 'logprobs'\n");
  }

  /** search prints each sample's log-probability and score: with logprob they are equal, with orm+logprob the
   * score is log(ORM score) + log-probability for the same samples (same seed), ranked best first. */
  @Test
  void searchRanksBonByLogProbabilityAndByOrmTimesProbability() {
    Map<String, double[]> byLogProb = searchSamples("logprob");
    Map<String, double[]> byOrm = searchSamples("orm");
    Map<String, double[]> byBoth = searchSamples("orm+logprob");
    assertThat(byLogProb.keySet()).isEqualTo(byOrm.keySet()).isEqualTo(byBoth.keySet()).hasSizeGreaterThan(1);
    for (String text : byLogProb.keySet()) {
      assertThat(byLogProb.get(text)[1]).as(text).isCloseTo(byLogProb.get(text)[0], within(1e-4));
      // printed to 4 decimals: compare exp(score - logprob) with the ORM's score, both near 0.01-0.1
      assertThat(Math.exp(byBoth.get(text)[1] - byOrm.get(text)[0])).as(text)
          .isCloseTo(byOrm.get(text)[1], within(1e-4));
    }
    double firstScore = byBoth.values().iterator().next()[1]; // printed best first
    assertThat(firstScore).isEqualTo(byBoth.values().stream().mapToDouble(v -> v[1]).max().orElseThrow());
  }

  /** Text -> {log-probability, score} of every sample {@code search --algorithm bon --n 8} prints, in print order. */
  private Map<String, double[]> searchSamples(String verifier) {
    assertThat(run("search", "--model", POLICY, "--orm", ORM, "--prompt", "numbers: 6 14 18 20 target: 32\\n",
        "--algorithm", "bon", "--n", "8", "--seed", "3", "--verifier", verifier)).as(cli.err()).isZero();
    Map<String, double[]> samples = new java.util.LinkedHashMap<>();
    java.util.regex.Matcher head = java.util.regex.Pattern.compile(
        "--- sample \\d+  logprob (\\S+)  tokens \\d+  score (\\S+)[^\\n]*\\n((?:(?!---)[^\\n]*\\n)*)")
        .matcher(cli.out());
    while (head.find()) {
      samples.putIfAbsent(head.group(3), new double[] {Double.parseDouble(head.group(1)),
          Double.parseDouble(head.group(2))});
    }
    return samples;
  }

  @Test
  void searchTakesLogProbForLocalBonOnly() {
    assertThat(run("search", "--model", "x", "--prompt", "p", "--algorithm", "weighted-bon", "--verifier",
        "logprob")).isEqualTo(2);
    assertThat(cli.err())
        .isEqualTo("error: search: --verifier logprob ranks the samples of bon, auto, smc and mcts, not"
            + " --algorithm weighted-bon\n");
    assertThat(run("search", "--remote", "http://127.0.0.1:9", "--remote-model", "m", "--prompt", "p",
        "--algorithm", "bon", "--verifier", "orm+logprob")).isEqualTo(2);
    assertThat(cli.err()).isEqualTo("error: search: --verifier orm+logprob needs the"
        + " local policy's log-probabilities, not a remote policy\n");
  }
}
