package dev.ponder.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.Verifiers;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code eval --ensemble RULE}: what each rule makes of known member scores, and the errors for bad rules. */
class OrmEnsembleTest {
  private static final List<VerifierInput> INPUTS = List.of(VerifierInput.of("p", "a"), VerifierInput.of("p", "b"),
      VerifierInput.of("p", "c"));

  /** Two members with fixed scores per text: a = (0.2, 0.6), b = (0.5, 0.5), c = (0.9, 0.1). */
  private static List<Verifier> members() {
    Map<String, Double> first = Map.of("a", 0.2, "b", 0.5, "c", 0.9);
    Map<String, Double> second = Map.of("a", 0.6, "b", 0.5, "c", 0.1);
    return List.of(Verifiers.ofText("first", first::get), Verifiers.ofText("second", second::get));
  }

  private static double[] score(String rule) {
    return OrmEnsemble.rule("eval", rule).apply(members()).score(INPUTS, SearchContext.builder().seed(1).build());
  }

  @Test
  void meanAveragesTheMembers() {
    assertThat(score("mean")).containsExactly(new double[] {0.4, 0.5, 0.5}, within(1e-12));
  }

  @Test
  void minTakesTheMostPessimisticMember() {
    assertThat(score("min")).containsExactly(new double[] {0.2, 0.5, 0.1}, within(1e-12));
  }

  @Test
  void meanStdSubtractsBetaPopulationStandardDeviations() {
    // std over the two members: a 0.2, b 0, c 0.4
    assertThat(score("mean-std:1")).containsExactly(new double[] {0.2, 0.5, 0.1}, within(1e-12));
    assertThat(score("mean-std:0.5")).containsExactly(new double[] {0.3, 0.5, 0.3}, within(1e-12));
    assertThat(score("mean-std:0")).containsExactly(score("mean"), within(1e-12));
  }

  @Test
  void rankSumAddsEachMembersRankWithinTheList() {
    // first ranks a, b, c as 1, 2, 3; second as 3, 2, 1
    assertThat(score("rank-sum")).containsExactly(new double[] {4, 4, 4}, within(1e-12));
  }

  @Test
  void rulesIgnoreCaseAndSurroundingSpace() {
    assertThat(score(" MEAN-STD:1 ")).containsExactly(score("mean-std:1"), within(1e-12));
  }

  @ParameterizedTest
  @ValueSource(strings = {"median", "", "mean-std", "meanstd:1", "rank"})
  void unknownRulesNameTheAcceptedOnes(String rule) {
    assertThatThrownBy(() -> OrmEnsemble.rule("eval", rule)).isInstanceOf(UsageException.class)
        .hasMessage("eval: --ensemble must be " + OrmEnsemble.RULES + ", was '" + rule + "'");
  }

  @Test
  void meanStdNeedsANumber() {
    assertThatThrownBy(() -> OrmEnsemble.rule("eval", "mean-std:x")).isInstanceOf(UsageException.class)
        .hasMessage("eval: --ensemble mean-std:BETA needs a number for BETA, was 'mean-std:x'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"mean-std:-1", "mean-std:-0.5", "mean-std:1e400"})
  void meanStdNeedsAFiniteNonNegativeBeta(String rule) {
    assertThatThrownBy(() -> OrmEnsemble.rule("eval", rule)).isInstanceOf(UsageException.class)
        .hasMessageStartingWith("eval: --ensemble mean-std:BETA needs a finite BETA >= 0, was ");
  }

  @Test
  void checkRuleRejectsAnEnsembleOfOneAndBadRulesBeforeLoading() {
    List<Path> one = List.of(Path.of("does-not-exist"));
    List<Path> two = List.of(Path.of("x"), Path.of("y"));
    assertThatThrownBy(() -> OrmEnsemble.checkRule("eval", one, "mean")).isInstanceOf(UsageException.class)
        .hasMessageContaining("--ensemble combines several --orm models").hasMessageContaining("does-not-exist");
    assertThatThrownBy(() -> OrmEnsemble.checkRule("eval", two, "max")).isInstanceOf(UsageException.class)
        .hasMessageContaining("was 'max'");
    OrmEnsemble.checkRule("eval", one, null);
    OrmEnsemble.checkRule("eval", two, null);
    OrmEnsemble.checkRule("eval", two, "rank-sum");
  }

  @Test
  void loadedEnsembleDefaultsToTheMeanOfTheRealModels() {
    Path a = Zoo.root().resolve("onnx-models/countdown/orm-cached");
    Path b = Zoo.root().resolve("onnx-models/countdown/orm-v2-cached");
    List<VerifierInput> inputs = List.of(VerifierInput.of("numbers: 6 14 18 20 target: 32\n",
        "18 + 14 = 32\nanswer: 32"), VerifierInput.of("numbers: 6 14 18 20 target: 32\n",
        "14 + 6 = 18\n18 + 18 = 32\nanswer: 32"));
    SearchContext ctx = SearchContext.builder().seed(1).build();
    try (OnnxOutcomeReward first = OnnxOutcomeReward.load(a);
         OnnxOutcomeReward second = OnnxOutcomeReward.load(b);
         OrmEnsemble mean = OrmEnsemble.load("eval", List.of(a, b), null, ModelOptions.cpu())) {
      double[] s1 = first.score(inputs, ctx);
      double[] s2 = second.score(inputs, ctx);
      assertThat(s1[0]).isNotEqualTo(s2[0]);
      assertThat(mean.verifier().score(inputs, ctx))
          .containsExactly(new double[] {(s1[0] + s2[0]) / 2, (s1[1] + s2[1]) / 2}, within(1e-6));
    }
  }
}
