package dev.ponder.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.testing.Zoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line's help, version and errors: one line, the right exit code, never a stack trace. */
class CliTest {
  private final CliRun cli = new CliRun();

  private int run(String... args) {
    return cli.run(args);
  }

  private String out() {
    return cli.out();
  }

  private String err() {
    return cli.err();
  }

  private static String policy() {
    return Zoo.root().resolve("onnx-models/countdown/policy").toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"search", "eval", "serve"})
  void everyCommandHasHelpWithDefaultsAndNoInternalNames(String command) {
    assertThat(run(command, "--help")).isZero();
    String help = out();
    assertThat(help).contains("\nUsage: ponder " + command + " ").contains("Default: ");
    assertThat(help).doesNotContain("RandomStreams", "childLineage", "dev.ponder");
    // picocli wraps at 80 columns; a hand-made line break in a description would show as a short or long line.
    assertThat(help.lines().filter(l -> l.length() > 80).toList()).isEmpty();
    assertThat(err()).isEmpty();
  }

  @Test
  void helpOfServeShowsTheServersLimits() {
    run("serve", "--help");
    assertThat(out()).contains("--max-n=N", "Default: 64", "--max-deadline-ms=MS", "Default: 60000");
  }

  @Test
  void versionIsTheProjectVersion() {
    assertThat(run("--version")).isZero();
    assertThat(out()).matches("ponder \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n");
    assertThat(run("search", "--version")).isZero();
    assertThat(out()).startsWith("ponder ");
  }

  @Test
  void noCommandPrintsTheCommandsAndFails() {
    assertThat(run()).isEqualTo(2);
    assertThat(err()).startsWith("error: ponder: missing COMMAND (one of search, eval, serve)\n")
        .contains("Commands:");
  }

  @Test
  void anUnknownOptionIsNamedWithTheNearestKnownOne() {
    assertThat(run("eval", "--task", "countdown", "--algoritm", "bon")).isEqualTo(2);
    assertThat(err()).isEqualTo("error: eval: Unknown option: '--algoritm'; did you mean '--algorithm'?\n");
    assertThat(run("search", "--prompt=x", "--zzzzzzzz=1")).isEqualTo(2);
    assertThat(err()).isEqualTo("error: search: Unknown option: '--zzzzzzzz'\n");
  }

  @Test
  void aModelThatFailsToLoadIsOneLineNamingThePathAndTheCause(@TempDir Path dir) throws Exception {
    Path broken = Files.createDirectories(dir.resolve("broken"));
    for (String f : List.of("config.json", "generation_config.json", "tokenizer.json")) {
      Files.copy(Path.of(policy(), f), broken.resolve(f));
    }
    Files.writeString(broken.resolve("model.onnx"), "garbage\n");
    assertThat(run("search", "--model", broken.toString(), "--prompt", "x")).isEqualTo(1);
    assertThat(err()).isEqualTo("error: search: cannot load --model " + broken + ": cannot read the ONNX graph of "
        + broken.resolve("model.onnx") + ": not an ONNX model: protobuf wire type 7 at byte 1\n");
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [1, 2], \"target\": 3}\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "greedy",
        "--policy", broken.toString(), "--out", dir.resolve("o.jsonl").toString())).isEqualTo(1);
    assertThat(err()).startsWith("error: eval: cannot load --policy " + broken + ": cannot read the ONNX graph")
        .hasLineCount(1);
  }

  @Test
  void anUnwritableOutIsOneLineNamingThePathAndTheCause(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [1, 2], \"target\": 3}\n");
    Path missing = dir.resolve("no-such-folder").resolve("o.jsonl");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "greedy",
        "--policy", policy(), "--out", missing.toString())).isEqualTo(1);
    assertThat(err()).isEqualTo("error: eval: cannot write --out " + missing + ": folder " + missing.getParent()
        + " does not exist\n");
    assertThat(run("eval", "--task", "digits", "--target-class", "3", "--algorithm", "unsteered",
        "--out", dir.toString())).isEqualTo(1);
    assertThat(err()).isEqualTo("error: eval: cannot write --out " + dir + ": is a directory\n");
  }

  @Test
  void maxNewTokensBelowOneIsAUsageError() {
    assertThat(run("search", "--model", policy(), "--prompt", "x", "--max-new-tokens", "0")).isEqualTo(2);
    assertThat(err()).isEqualTo("error: search: --max-new-tokens must be >= 1, was 0\n");
    assertThat(out()).isEmpty();
  }

  @Test
  void nIsRefusedForAlgorithmsThatMakeOneText(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [1, 2], \"target\": 3}\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "sample",
        "--n", "16", "--out", dir.resolve("o.jsonl").toString())).isEqualTo(2);
    assertThat(err()).isEqualTo("error: eval: --n does not apply to --algorithm sample, which makes one text per"
        + " problem; bon, weighted-bon and majority draw N\n");
    assertThat(run("search", "--model", policy(), "--prompt", "x", "--algorithm", "greedy", "--n", "4"))
        .isEqualTo(2);
    assertThat(err()).isEqualTo("error: search: --n does not apply to --algorithm greedy, which makes one text\n");
    assertThat(run("search", "--model", policy(), "--prompt", "x", "--algorithm", "bon", "--samples", "4"))
        .isEqualTo(2);
    assertThat(err()).isEqualTo("error: search: --samples is for --algorithm sample; --algorithm bon takes --n\n");
  }

  @Test
  void knobsThatTheAlgorithmWouldIgnoreAreRefused(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [1, 2], \"target\": 3}\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "step-beam",
        "--verifier", "checker", "--out", dir.resolve("o.jsonl").toString())).isEqualTo(2);
    assertThat(err()).isEqualTo("error: eval: --verifier applies to bon, weighted-bon, auto, smc and mcts, not to"
        + " --algorithm step-beam, which the PRM under --prm guides\n");
    assertThat(run("search", "--model", policy(), "--prompt", "x", "--algorithm", "bon", "--m", "2")).isEqualTo(2);
    assertThat(err()).isEqualTo("error: search: --m applies to step-beam, dvts and mcts, not to --algorithm bon\n");
  }

  @Test
  void sampleSaysWhatRan(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [1, 2], \"target\": 3}\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "sample",
        "--policy", policy(), "--seed", "1", "--out", dir.resolve("o.jsonl").toString())).as(err()).isZero();
    assertThat(out()).startsWith("eval countdown algorithm=sample n=1 seed=1 problems=1 accuracy=");
  }

  @Test
  void autoSaysWhatItChosePerProblemAndRefusesN(@TempDir Path dir) throws Exception {
    Path problems = Files.writeString(dir.resolve("p.jsonl"), "{\"id\": \"a\", \"numbers\": [6, 14, 18, 20],"
        + " \"target\": 32}\n{\"id\": \"b\", \"numbers\": [3, 7, 25, 50], \"target\": 85}\n");
    Path o = dir.resolve("o.jsonl");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "auto",
        "--policy", policy(), "--orm", Zoo.root().resolve("onnx-models/countdown/orm-cached").toString(), "--seed", "1",
        "--out", o.toString())).as(err()).isZero();
    assertThat(out()).startsWith("eval countdown algorithm=auto n=rule seed=1 problems=2 accuracy=");
    List<String> lines = Files.readAllLines(o);
    assertThat(lines).hasSize(2).allMatch(l -> l.matches(".*\"auto_chosen\":\"(stop|bon-\\d+)\".*"))
        .allMatch(l -> l.contains("\"auto_reason\":\"best_score ") || l.contains("\"auto_reason\":\"no clause"));
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "auto",
        "--n", "16", "--out", o.toString())).isEqualTo(2);
    assertThat(err()).startsWith("error: eval: --n does not apply to --algorithm auto");

    // a caller's own rule: read from --auto-rule, checked, and only for auto
    Path rule = Files.writeString(dir.resolve("rule.txt"), "probe 2\notherwise bon 3\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "auto",
        "--auto-rule", rule.toString(), "--policy", policy(), "--orm",
        Zoo.root().resolve("onnx-models/countdown/orm-cached").toString(), "--out", o.toString())).as(err()).isZero();
    assertThat(Files.readAllLines(o)).allMatch(l -> l.contains("\"auto_chosen\":\"bon-3\""));
    Files.writeString(rule, "probe 2\nwhen best < 0.5 stop\notherwise bon 3\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "auto",
        "--auto-rule", rule.toString(), "--out", o.toString())).isEqualTo(2);
    assertThat(err()).isEqualTo("error: eval: --auto-rule " + rule + ": auto rule line 2: expected a feature"
        + " (agreement, best_score, mean_score, mean_entropy), found 'best'\n");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon",
        "--auto-rule", rule.toString(), "--out", o.toString())).isEqualTo(2);
    assertThat(err()).isEqualTo("error: eval: --auto-rule applies to --algorithm auto, not to bon\n");
  }

  @Test
  void optionsOfTheOtherTaskAreRefused(@TempDir Path dir) {
    assertThat(run("eval", "--task", "countdown", "--problems", "p.jsonl", "--algorithm", "bon", "--particles", "4",
        "--out", dir.resolve("o.jsonl").toString())).isEqualTo(2);
    assertThat(err()).isEqualTo("error: eval: --particles is an option of --task digits, not of --task countdown\n");
  }

  @Test
  void searchMarksCountdownSamplesWithTheRuleChecker() {
    assertThat(run("search", "--model", policy(), "--prompt", "numbers: 3 7 25 50 target: 85\\n", "--samples", "2",
        "--seed", "7")).as(err()).isZero();
    assertThat(out()).containsPattern("--- sample 1  logprob -\\d+\\.\\d{4}  tokens \\d+  (correct|wrong \\(\\w+\\))\\n")
        .containsPattern("--- countdown: \\d of 2 correct by the rule checker\\n")
        .contains("--- the bundled Countdown policy is tiny");
  }

  @Test
  void searchRunsBestOfNWithTheChecker() {
    assertThat(run("search", "--model", policy(), "--prompt", "numbers: 3 7 25 50 target: 85\\n", "--algorithm",
        "bon", "--n", "16", "--verifier", "checker", "--seed", "7")).as(err()).isZero();
    // Sixteen candidates, each scored by the checker: 1 exactly when it is marked correct.
    List<String> heads = out().lines().filter(l -> l.startsWith("--- sample ")).toList();
    assertThat(heads).hasSize(16);
    for (String h : heads) {
      assertThat(h).containsAnyOf("score 1.0000", "score 0.0000");
      assertThat(h.contains("score 1.0000")).as(h).isEqualTo(h.endsWith("  correct"));
    }
  }

  @Test
  void searchRunsAStepLevelSearchWithThePrm() {
    assertThat(run("search", "--model", policy(), "--prompt", "numbers: 3 7 25 50 target: 85\\n", "--algorithm",
        "step-beam", "--n", "4", "--m", "2", "--prm", Zoo.root().resolve("onnx-models/countdown/prm-cached").toString(),
        "--seed", "1")).as(err()).isZero();
    assertThat(out()).contains("--- sample 1  logprob ", "  score ", "--- outcome COMPLETED");
    assertThat(out()).containsPattern("verifier_calls=[1-9]");
  }

  @Test
  void remoteOptionsAreCheckedBeforeAnyConnection() {
    assertThat(run("search", "--remote", "http://127.0.0.1:9", "--remote-model", "m", "--prompt", "x",
        "--algorithm", "beam")).isEqualTo(2);
    assertThat(err()).isEqualTo("error: search: --algorithm beam (token-level beam search) needs every next-token"
        + " distribution, which only a local model gives; with --remote use step-beam\n");
    assertThat(run("search", "--remote", "http://127.0.0.1:9", "--prompt", "x")).isEqualTo(2);
    assertThat(err()).isEqualTo("error: search: --remote needs --remote-model NAME\n");
    assertThat(run("search", "--remote-model", "m", "--model", policy(), "--prompt", "x")).isEqualTo(2);
    assertThat(err()).isEqualTo("error: search: --remote-model, --remote-api-key-env and --remote-group need"
        + " --remote URL\n");
    assertThat(run("search", "--remote", "http://127.0.0.1:9", "--remote-model", "m", "--remote-group", "0",
        "--prompt", "x")).isEqualTo(2);
    assertThat(err()).isEqualTo("error: search: --remote-group must be >= 1 (1 = one request per hypothesis), was"
        + " 0\n");
  }

  @Test
  void editDistanceCountsASwapOfNeighboursAsOneEdit() {
    assertThat(Errors.distance("serach", "search")).isEqualTo(1);
    assertThat(Errors.distance("--algoritm", "--algorithm")).isEqualTo(1);
    assertThat(Errors.nearest("--sed", List.of("--seed", "--steps", "--n"))).isEqualTo("--seed");
    assertThat(Errors.nearest("--zzzzzzzz", List.of("--seed", "--steps"))).isNull();
  }
}
