package dev.ponder.verifiers.onnx;

import dev.ponder.verifiers.Verifier.VerifierInput;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.ProcessScorer.Aggregation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class OnnxProcessRewardTest {
  private static final double TOL = 1e-4;
  private static final String P = "numbers: 3 7 25 50 target: 85\n";

  /** The golden logits at the step ends of text {@code i}: every "\n" after the prompt, else the prompt's end. */
  static double[] goldenSteps(int i) {
    String full = Fixtures.texts().get(i);
    double[] logits = Fixtures.row("prm", i);
    int promptEnd = full.indexOf('\n');
    List<Double> out = new ArrayList<>();
    for (int c = promptEnd + 1; c < full.length(); c++) {
      if (full.charAt(c) == '\n') {
        out.add(logits[c]);
      }
    }
    if (out.isEmpty()) {
      out.add(logits[promptEnd]);
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Test
  void stepScoresMatchTransformersForPlainAndIncrementalExports() {
    List<VerifierInput> inputs = Fixtures.inputs();
    for (String dir : List.of("prm", "prm-cached")) {
      for (long state : new long[] {0, 1 << 20}) {
        try (OnnxProcessReward prm = OnnxProcessReward.builder(Fixtures.dir(dir)).transform(ScoreTransform.raw())
            .stateCacheBytes(state).build()) {
          assertThat(prm.isIncremental()).isEqualTo(dir.equals("prm-cached"));
          SearchContext ctx = SearchContext.builder().build();
          for (int round = 0; round < 2; round++) { // the second round is answered from the kept state
            List<double[]> got = prm.stepScores(inputs, ctx);
            for (int i = 0; i < inputs.size(); i++) {
              double[] want = goldenSteps(i);
              assertThat(got.get(i)).as(dir + " text " + i).hasSize(want.length);
              for (int j = 0; j < want.length; j++) {
                assertThat(got.get(i)[j]).as(dir + " text " + i + " step " + j).isCloseTo(want[j], within(TOL));
              }
            }
          }
          assertThat(prm.model().ledger().stillOpen()).isZero();
        }
      }
    }
  }

  @Test
  void aggregations() {
    assertThat(Aggregation.LAST.combine(new double[] {0.5, 0.2, 0.8})).isEqualTo(0.8);
    assertThat(Aggregation.MIN.combine(new double[] {0.5, 0.2, 0.8})).isEqualTo(0.2);
    assertThat(Aggregation.PRODUCT.combine(new double[] {0.5, 0.2, 0.8})).isCloseTo(0.08, within(1e-15));
    assertThat(Aggregation.MEAN.combine(new double[] {0.5, 0.2, 0.8})).isCloseTo(0.5, within(1e-15));
    List<VerifierInput> inputs = Fixtures.inputs();
    for (Aggregation a : Aggregation.values()) {
      try (OnnxProcessReward prm = OnnxProcessReward.builder(Fixtures.dir("prm-cached")).aggregation(a).build()) {
        double[] s = prm.score(inputs, SearchContext.builder().build());
        for (int i = 0; i < inputs.size(); i++) {
          double[] r = java.util.Arrays.stream(goldenSteps(i)).map(Fixtures::sigmoid).toArray();
          assertThat(s[i]).as(a + " text " + i).isCloseTo(a.combine(r), within(TOL));
        }
      }
    }
  }

  /** A step tree as a step-level beam search grows it: 4 first steps, then 2 children of 2 of them, and so on. */
  static List<List<VerifierInput>> searchRounds() {
    List<List<VerifierInput>> rounds = new ArrayList<>();
    rounds.add(List.of(in("50 + 25 = 75\n"), in("50 + 7 = 57\n"), in("25 * 3 = 75\n"), in("50 - 3 = 47\n")));
    rounds.add(List.of(in("50 + 25 = 75\n75 + 7 = 82\n"), in("50 + 25 = 75\n75 + 3 = 78\n"),
        in("50 + 7 = 57\n57 - 3 = 54\n"), in("50 + 7 = 57\n57 + 25 = 82\n")));
    rounds.add(List.of(in("50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\n"), in("50 + 25 = 75\n75 + 7 = 82\n82 - 3 = 79\n"),
        in("50 + 7 = 57\n57 + 25 = 82\n82 + 3 = 85\n"), in("50 + 25 = 75\n75 + 3 = 78\n78 + 7 = 85\n")));
    rounds.add(List.of(in("50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85"),
        in("50 + 7 = 57\n57 + 25 = 82\n82 + 3 = 85\nanswer: 85"), in("50 + 25 = 75\n75 + 3 = 78\n78 + 7 = 85\nanswer: 85")));
    return rounds;
  }

  static VerifierInput in(String text) {
    return VerifierInput.of(P, text);
  }

  /** Characters up to the last step end (the character-level tokenizer makes characters tokens). */
  static String scoredPart(VerifierInput in) {
    String full = in.full();
    int end = in.text().lastIndexOf('\n');
    return end < 0 ? in.prompt() : full.substring(0, in.prompt().length() + end + 1);
  }

  @Test
  void incrementalScoringProcessesEachDistinctStepPrefixOnce() {
    // the step tree: every distinct step prefix (prompt, prompt+step 1, ...) with the length of its last segment
    java.util.Map<String, Integer> stepPrefixes = new java.util.HashMap<>();
    long sumOfPrefixes = 0;
    for (List<VerifierInput> round : searchRounds()) {
      for (VerifierInput in : round) {
        String s = scoredPart(in);
        sumOfPrefixes += s.length();
        int from = 0;
        for (int end = P.length(); end <= s.length(); end = s.indexOf('\n', end) + 1) {
          stepPrefixes.put(s.substring(0, end), end - from);
          from = end;
          if (end == s.length()) {
            break;
          }
        }
      }
    }
    long distinct = stepPrefixes.values().stream().mapToLong(Integer::longValue).sum();
    try (OnnxProcessReward cached = OnnxProcessReward.load(Fixtures.dir("prm-cached"));
         OnnxProcessReward plain = OnnxProcessReward.load(Fixtures.dir("prm"))) {
      SearchContext c = SearchContext.builder().build();
      SearchContext p = SearchContext.builder().build();
      for (List<VerifierInput> round : searchRounds()) {
        double[] a = cached.score(round, c);
        double[] b = plain.score(round, p);
        for (int i = 0; i < a.length; i++) {
          assertThat(a[i]).isCloseTo(b[i], within(TOL));
        }
      }
      assertThat(c.counters().verifierTokens()).as("incremental PRM tokens = distinct tokens of the step tree")
          .isEqualTo(distinct);
      assertThat(p.counters().verifierTokens()).as("plain PRM tokens = sum of the scored prefixes")
          .isEqualTo(sumOfPrefixes);
      assertThat(distinct).isEqualTo(30 + 13 + 3 * 12 + (3 * 12 + 13) + 4 * 12);
      assertThat(sumOfPrefixes).isEqualTo(857);
      // round 1 needs 2 calls (the shared prompt first, with one child; then the other three); the final round with
      // answer lines needs none: their last step prefixes are known
      assertThat(c.counters().verifierCalls()).isEqualTo(2 + 1 + 1);
      assertThat(p.counters().verifierCalls()).isEqualTo(4);
    }
  }

  @Test
  void identicalAndBranchingInputsInOneListFeedEachStepPrefixOnce() {
    String t = "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\n";
    try (OnnxProcessReward prm = OnnxProcessReward.load(Fixtures.dir("prm-cached"))) {
      SearchContext ctx = SearchContext.builder().build();
      double[] s = prm.score(List.of(in(t), in(t), in(t)), ctx);
      assertThat(s[1]).isEqualTo(s[0]);
      assertThat(s[2]).isEqualTo(s[0]);
      assertThat(ctx.counters().verifierCalls()).isEqualTo(1);
      assertThat(ctx.counters().verifierTokens()).isEqualTo(P.length() + t.length());
      // two inputs sharing an unseen first step, then branching: the shared part once, then both branches
      SearchContext c2 = SearchContext.builder().build();
      prm.score(List.of(in("50 - 3 = 47\n47 + 7 = 54\n"), in("50 - 3 = 47\n47 - 7 = 40\n")), c2);
      assertThat(c2.counters().verifierTokens()).isEqualTo("50 - 3 = 47\n".length() + 2 * "47 + 7 = 54\n".length());
      assertThat(c2.counters().verifierCalls()).isEqualTo(2);
    }
  }

  @Test
  void tinyStateStillScoresCorrectly() {
    try (OnnxProcessReward tiny = OnnxProcessReward.builder(Fixtures.dir("prm-cached")).stateCacheBytes(1).build();
         OnnxProcessReward plain = OnnxProcessReward.load(Fixtures.dir("prm"))) {
      SearchContext ctx = SearchContext.builder().build();
      for (List<VerifierInput> round : searchRounds()) {
        double[] a = tiny.score(round, ctx);
        double[] b = plain.score(round, ctx);
        for (int i = 0; i < a.length; i++) {
          assertThat(a[i]).isCloseTo(b[i], within(TOL));
        }
      }
      assertThat(tiny.statesHeld()).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void concurrentSearchesAgree() throws Exception {
    try (OnnxProcessReward prm = OnnxProcessReward.load(Fixtures.dir("prm-cached"));
         OnnxProcessReward plain = OnnxProcessReward.load(Fixtures.dir("prm"))) {
      List<double[]> want = new ArrayList<>();
      for (List<VerifierInput> round : searchRounds()) {
        want.add(plain.score(round, SearchContext.builder().build()));
      }
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
          fs.add(pool.submit(() -> {
            List<List<VerifierInput>> rounds = searchRounds();
            for (int r = 0; r < rounds.size(); r++) {
              double[] got = prm.score(rounds.get(r), SearchContext.builder().build());
              for (int i = 0; i < got.length; i++) {
                assertThat(got[i]).isCloseTo(want.get(r)[i], within(TOL));
              }
            }
            return null;
          }));
        }
        for (Future<?> f : fs) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(prm.model().ledger().stillOpen()).isZero();
    }
  }

  @Test
  void configurationErrors() {
    assertThatThrownBy(() -> OnnxProcessReward.load(Fixtures.dir("orm1")))
        .isInstanceOf(dev.ponder.engine.model.ModelContractException.class).hasMessageContaining("process reward model");
    assertThatThrownBy(() -> OnnxProcessReward.builder(Fixtures.dir("prm")).stepDelimiter(""))
        .hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> OnnxProcessReward.builder(Fixtures.dir("prm")).stateCacheBytes(-1))
        .hasMessage("stateCacheBytes must be >= 0 (0 keeps no state), was -1");
    assertThatThrownBy(() -> OnnxProcessReward.builder(Fixtures.dir("prm")).aggregation(Aggregation.MIN)
        .aggregation(Aggregation.LAST)).hasMessage("aggregation was already set to MIN");
    try (OnnxProcessReward prm = OnnxProcessReward.builder(Fixtures.dir("prm-cached")).maxLength(40).build()) {
      SearchContext ctx = SearchContext.builder().build();
      assertThatThrownBy(() -> prm.score(List.of(in("50 + 25 = 75\n")), ctx))
          .hasMessageContaining("is 43 tokens up to its last step, more than the maximum length 40");
      assertThat(prm.score(List.of(in("50 + 25 = 75")), ctx)).hasSize(1); // unfinished step is not read
      assertThatThrownBy(() -> prm.score(List.of(VerifierInput.of("", "no step")), ctx))
          .hasMessageContaining("has nothing to score");
    }
  }

  @Test
  void customDelimiter() {
    try (OnnxProcessReward semi = OnnxProcessReward.builder(Fixtures.dir("prm")).stepDelimiter("= ")
        .transform(ScoreTransform.raw()).build()) {
      List<double[]> s = semi.stepScores(List.of(in("50 + 25 = 75\n75 + 7 = 8")), SearchContext.builder().build());
      double[] logits = Fixtures.row("prm", 2); // text 2 begins with the same characters
      int first = P.length() + "50 + 25 = ".length() - 1;
      int second = P.length() + "50 + 25 = 75\n75 + 7 = ".length() - 1;
      assertThat(s.get(0)).hasSize(2);
      assertThat(s.get(0)[0]).isCloseTo(logits[first], within(TOL));
      assertThat(s.get(0)[1]).isCloseTo(logits[second], within(TOL));
    }
  }
}
