package dev.ponder.verifiers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.Verifier.Normalization;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.rules.AnswerVerifier;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuleVerifiersTest {
  private final SearchContext ctx = SearchContext.builder().build();

  private static List<VerifierInput> texts(String... texts) {
    return java.util.Arrays.stream(texts).map(t -> VerifierInput.of("Q: ", t)).toList();
  }

  @Test
  void exactAnswerMatchUsesTheLastMatchByDefault() {
    AnswerVerifier v = AnswerVerifier.builder().pattern("answer: (\\S+)").reference("85").build();
    assertThat(v.score(texts("answer: 85", "answer: 84\nanswer: 85", "answer: 85\nanswer: 84", "85", "answer: 85.0"),
        ctx)).containsExactly(1.0, 1.0, 0.0, 0.0, 0.0);
    assertThat(v.extract("x answer: 3 y answer: 4")).contains("4");
    assertThat(v.extract("nothing")).isEmpty();
    assertThat(ctx.counters().verifierCalls()).isEqualTo(1);
    assertThat(v.name()).isEqualTo("answer");
  }

  @Test
  void firstMatchNamedGroupAndWholeMatch() {
    AnswerVerifier named = AnswerVerifier.builder().pattern("(x)=(?<answer>\\d+)").first().reference("1").build();
    assertThat(named.extract("x=1 x=2")).contains("1");
    AnswerVerifier whole = AnswerVerifier.builder().pattern("\\d+").reference("7").build();
    assertThat(whole.extract("a 3 b 7")).contains("7");
  }

  @Test
  void numericToleranceIsAbsoluteOrRelative() {
    AnswerVerifier exact = AnswerVerifier.builder().pattern("= (\\S+)").reference("85").numeric(0, 0).build();
    assertThat(exact.score(texts("= 85", "= 85.000", "= +85", "= 85.0001", "= eighty", "= 8.5e1"), ctx))
        .containsExactly(1.0, 1.0, 1.0, 0.0, 0.0, 1.0);
    AnswerVerifier abs = AnswerVerifier.builder().pattern("= (\\S+)").reference("1.5").numeric(0.01, 0).build();
    assertThat(abs.score(texts("= 1.509", "= 1.511", "= 1.49"), ctx)).containsExactly(1.0, 0.0, 1.0);
    AnswerVerifier rel = AnswerVerifier.builder().pattern("= (\\S+)").reference("1000").numeric(0, 1e-3).build();
    assertThat(rel.score(texts("= 1000.9", "= 1001.5", "= 999.0"), ctx)).containsExactly(1.0, 0.0, 1.0);
  }

  @Test
  void referencePerInput() {
    Map<String, String> refs = Map.of("p1", "3", "p2", "4");
    AnswerVerifier v = AnswerVerifier.builder().pattern("(\\d+)").reference(in -> refs.get(in.prompt())).build();
    assertThat(v.score(List.of(VerifierInput.of("p1", "3"), VerifierInput.of("p2", "3")), ctx))
        .containsExactly(1.0, 0.0);
    assertThatThrownBy(() -> v.score(List.of(VerifierInput.of("p3", "3")), ctx))
        .hasMessageContaining("has no reference answer for prompt \"p3\"");
  }

  @Test
  void builderErrorsNameTheRuleAndTheFix() {
    assertThatThrownBy(() -> AnswerVerifier.builder().pattern("(").build())
        .hasMessageContaining("is not a valid Java regular expression");
    assertThatThrownBy(() -> AnswerVerifier.builder().reference("1").build()).hasMessageContaining("needs a pattern");
    assertThatThrownBy(() -> AnswerVerifier.builder().pattern("x").build()).hasMessageContaining("needs a reference");
    assertThatThrownBy(() -> AnswerVerifier.builder().pattern("x").pattern("y"))
        .hasMessage("pattern was already set to \"x\"");
    assertThatThrownBy(() -> AnswerVerifier.builder().numeric(-1, 0))
        .hasMessage("numeric tolerances must be finite and >= 0, were absolute=-1.0, relative=0.0");
    AnswerVerifier v = AnswerVerifier.builder().pattern("(\\S+)").reference("abc").numeric(0, 0).build();
    assertThatThrownBy(() -> v.score(texts("1"), ctx)).hasMessageContaining("the reference \"abc\" is not a number");
  }

  @Test
  void functionVerifiers() {
    Verifier len = Verifiers.ofText("length", String::length);
    assertThat(len.score(texts("ab", ""), ctx)).containsExactly(2.0, 0.0);
    Verifier full = Verifiers.of("full", in -> in.full().length());
    assertThat(full.score(texts("ab"), ctx)).containsExactly(5.0);
    assertThat(len.name()).isEqualTo("length");
    assertThatThrownBy(() -> Verifiers.ofText(" ", String::length)).hasMessageContaining("non-blank name");
  }

  @Test
  void ensemblesCombineExactly() {
    Verifier a = Verifiers.ofText("a", t -> Double.parseDouble(t.split(",")[0]));
    Verifier b = Verifiers.ofText("b", t -> Double.parseDouble(t.split(",")[1]));
    List<VerifierInput> in = texts("1,3", "4,0", "2,2");
    assertThat(Verifiers.mean(List.of(a, b)).score(in, ctx)).containsExactly(2.0, 2.0, 2.0);
    assertThat(Verifiers.min(List.of(a, b)).score(in, ctx)).containsExactly(1.0, 0.0, 2.0);
    // std over members: |1-3|/2 = 1, |4-0|/2 = 2, 0
    assertThat(Verifiers.meanMinusStd(0.5, List.of(a, b)).score(in, ctx)).containsExactly(1.5, 1.0, 2.0);
    // ranks by a: 1,3,2; by b: 3,1,2
    assertThat(Verifiers.rankSum(List.of(a, b)).score(in, ctx)).containsExactly(4.0, 4.0, 4.0);
    assertThat(Verifiers.rankSum(List.of(a, a)).score(in, ctx)).containsExactly(2.0, 6.0, 4.0);
    assertThat(Verifiers.meanMinusStd(1, List.of(a, b)).name()).isEqualTo("meanMinusStd[beta=1.0](a,b)");
    assertThatThrownBy(() -> Verifiers.mean(List.of())).hasMessageContaining("at least one member");
    assertThatThrownBy(() -> Verifiers.meanMinusStd(-1, List.of(a))).hasMessageContaining("must be finite and >= 0");
  }

  @Test
  void tiesShareTheirMeanRank() {
    assertThat(Normalization.ranks(new double[] {5, 1, 5, 3})).containsExactly(3.5, 1.0, 3.5, 2.0);
  }

  @Test
  void normalizationsAcrossTheCandidateSet() {
    double[] s = {1, 2, 3, 6};
    double mean = 3;
    double std = Math.sqrt((4 + 1 + 0 + 9) / 4.0);
    assertThat(Normalization.Z_SCORE.apply(s)).containsExactly((1 - mean) / std, (2 - mean) / std, 0.0, 3 / std);
    assertThat(Normalization.MIN_MAX.apply(s)).containsExactly(0.0, 0.2, 0.4, 1.0);
    assertThat(Normalization.RANK.apply(new double[] {10, 30, 20, 20})).containsExactly(0.0, 1.0, 0.5, 0.5);
    assertThat(Normalization.Z_SCORE.apply(new double[] {4, 4})).containsExactly(0.0, 0.0);
    assertThat(Normalization.MIN_MAX.apply(new double[] {4, 4})).containsExactly(0.5, 0.5);
    assertThat(Normalization.RANK.apply(new double[] {4})).containsExactly(0.5);
    assertThat(Normalization.RANK.apply(new double[0])).isEmpty();
    assertThatThrownBy(() -> Normalization.Z_SCORE.apply(new double[] {1, Double.NaN}))
        .hasMessage("Z_SCORE normalization needs finite scores; score 1 was NaN");
    Verifier len = Verifiers.ofText("len", String::length);
    Verifier norm = Verifiers.normalized(len, Normalization.MIN_MAX);
    assertThat(norm.score(texts("a", "abc", "ab"), ctx)).containsExactly(0.0, 1.0, 0.5);
    assertThat(norm.name()).isEqualTo("min_max(len)");
  }
}
