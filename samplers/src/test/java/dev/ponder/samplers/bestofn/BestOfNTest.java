package dev.ponder.samplers.bestofn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.bestofn.BestOfNSearch.Selection;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BestOfNTest {
  private static LanguageModel lm;

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  private static Candidate c(String text, double score) {
    return new Candidate(text, score, 0, 1, true);
  }

  private static final List<Candidate> POOL = List.of(
      c("x=1", 0.9), c("y=2", 0.5), c("z=2", 0.45), c("w=2", 0.1), c("v=3", 0.6));
  private static final Function<String, String> ANSWER = t -> t.substring(t.indexOf('=') + 1);

  @Test
  void argmaxRanksByScore() {
    List<Candidate> r = BestOfN.rank(POOL, Selection.argmax(), ANSWER, SearchContext.builder().build());
    assertThat(r).extracting(Candidate::text).containsExactly("x=1", "v=3", "y=2", "z=2", "w=2");
  }

  @Test
  void weightedSumsScoresPerAnswer() {
    // answer 2: 0.5 + 0.45 + 0.1 = 1.05 beats answer 1 (0.9) and answer 3 (0.6).
    List<Candidate> r = BestOfN.rank(POOL, Selection.weighted(), ANSWER, SearchContext.builder().build());
    assertThat(r).extracting(Candidate::text).containsExactly("y=2", "z=2", "w=2", "x=1", "v=3");
  }

  @Test
  void majorityCountsAnswers() {
    List<Candidate> pool = List.of(c("a=1", 0.9), c("b=2", 0.1), c("c=2", 0.2), c("d=3", 0.95));
    List<Candidate> r = BestOfN.rank(pool, Selection.majority(), ANSWER, SearchContext.builder().build());
    assertThat(r.get(0).text()).isEqualTo("c=2");
    // Ties in count (answers 1 and 3, one each) are broken by the best score: 3 (0.95) before 1 (0.9).
    assertThat(r).extracting(Candidate::text).containsExactly("c=2", "b=2", "d=3", "a=1");
  }

  @Test
  void softPicksInProportionToExpLambdaScore() {
    List<Candidate> pool = List.of(c("hi", 1.0), c("lo", 0.0));
    int hi = 0;
    int trials = 4000;
    for (int seed = 0; seed < trials; seed++) {
      List<Candidate> r = BestOfN.rank(pool, Selection.soft(Math.log(3)), ANSWER, SearchContext.builder().seed(seed).build());
      hi += r.get(0).text().equals("hi") ? 1 : 0;
    }
    // P(hi) = 3 / (3 + 1) = 0.75; the binomial standard deviation over 4000 draws is 0.0068.
    assertThat(hi / (double) trials).isBetween(0.75 - 4 * 0.0068, 0.75 + 4 * 0.0068);
  }

  @Test
  void identicalSamplesAreScoredOnceAndEveryoneGetsTheScore() {
    List<Integer> batchSizes = new ArrayList<>();
    SearchResult r = Search.bestOfN(lm, (List<LmHypothesis> hs, SearchContext ctx) -> {
          batchSizes.add(hs.size());
          return hs.stream().mapToDouble(h -> h.text().length()).toArray();
        })
        .n(6).decoding(Decoding.greedy().withMaxNewTokens(8)).seed(1).run("12 + ");
    assertThat(batchSizes).containsExactly(1); // greedy: six identical samples, one scorer call with one text
    assertThat(r.candidates()).hasSize(6).allSatisfy(c -> assertThat(c.score()).isEqualTo(r.best().text().length()));
  }

  @Test
  void argmaxReturnsTheHighestScoringSample() {
    SearchResult r = Search.bestOfN(lm, (List<LmHypothesis> hs, SearchContext ctx) ->
            hs.stream().mapToDouble(h -> -Math.abs(h.text().length() - 5)).toArray())
        .n(8).decoding(Decoding.sampling().withMaxNewTokens(12)).seed(3).run("answer:");
    double best = r.candidates().stream().mapToDouble(Candidate::score).max().orElseThrow();
    assertThat(r.best().score()).isEqualTo(best);
    assertThat(r.candidates()).hasSize(8);
  }
}
