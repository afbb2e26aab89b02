package dev.ponder.tasks.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import dev.ponder.engine.testing.Zoo;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every registry search over the same random-weight Llama in its two layouts (onnx-models/llama-tiny: the
 * onnxruntime-genai builder's GroupQueryAttention export, whose rows the engine keeps compact and writes in place,
 * and the optimum concat export): same seed, same scorers, same candidates. The searches fork, prune, resample and
 * reorder rows, so this checks the in-place layout's row moves end to end. The scorers are deterministic functions
 * of the text (no model), so any difference comes from the policy's calls.
 */
class GenaiLayoutSearchTest {
  private static final String PROMPT = "numbers: 6 14 18 20 target: 32\n";
  private static LanguageModel genai;
  private static LanguageModel optimum;

  @BeforeAll
  static void load() {
    genai = LanguageModel.load(Zoo.model("llama-tiny/genai-fp32"));
    optimum = LanguageModel.load(Zoo.model("llama-tiny/optimum"));
  }

  @AfterAll
  static void close() {
    genai.close();
    optimum.close();
  }

  /** The registry's names, and its step-level searches again with steps that end at a space (see {@link #run}). */
  static List<String> names() {
    List<String> out = new java.util.ArrayList<>(CountdownAlgorithms.NAMES);
    for (String n : CountdownAlgorithms.NAMES) {
      if (CountdownAlgorithms.stepsByLine(n)) {
        out.add(n + "/space");
      }
    }
    return out;
  }

  /** A score in [0, 1) that depends on every character of the text. */
  private static double textScore(String text) {
    return Math.floorMod(text.hashCode(), 1009) / 1009.0;
  }

  /**
   * The named search. "name/space": the registry's step-level search with steps that end at a space instead of a
   * newline (at most 8 tokens): this random-weight model writes spaces often and newlines rarely, so its steps
   * then end at different lengths, and rows of different lengths share calls after every selection or resampling.
   */
  private static SearchResult run(LanguageModel policy, String name) {
    OutcomeScorer<LmHypothesis> outcome = (hs, ctx) -> hs.stream().mapToDouble(h -> textScore(h.text())).toArray();
    ProcessScorer<LmHypothesis> prm = (hs, ctx) -> hs.stream().mapToDouble(h -> textScore(h.text())).toArray();
    Decoding decoding = Decoding.sampling().withMaxNewTokens(24);
    if (name.endsWith("/space")) {
      Decoding bySpace = decoding.withBoundary(StepBoundary.stopAt(8, " "));
      return (switch (name) {
        case "step-beam/space" -> Search.stepBeam(policy, prm).n(4).m(2).decoding(bySpace);
        case "dvts/space" -> Search.dvts(policy, prm).n(4).m(2).decoding(bySpace);
        case "mcts/space" -> Search.mcts(policy, prm).simulations(4).children(2).decoding(bySpace);
        case "smc/space" -> Search.particleFilter(policy, prm).particles(4).potential(Potential.DIFFERENCE, 10)
            .resampling(Resampling.SYSTEMATIC).decoding(bySpace);
        default -> throw new IllegalArgumentException(name);
      }).seed(5).run(PROMPT);
    }
    return CountdownAlgorithms.builder(name, policy, decoding, CountdownAlgorithms.Knobs.defaults().withN(4),
        () -> outcome, () -> prm).seed(5).run(PROMPT);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void sameCandidatesInBothLayouts(String name) {
    SearchResult a = run(genai, name);
    SearchResult b = run(optimum, name);
    List<Candidate> x = a.candidates();
    List<Candidate> y = b.candidates();
    assertThat(x).as(name).isNotEmpty().hasSameSizeAs(y);
    for (int i = 0; i < x.size(); i++) {
      assertThat(x.get(i).text()).as("%s candidate %d", name, i).isEqualTo(y.get(i).text());
      assertThat(x.get(i).score()).as("%s score %d", name, i).isCloseTo(y.get(i).score(), within(1e-4));
      assertThat(x.get(i).logProb()).as("%s log-probability %d", name, i).isCloseTo(y.get(i).logProb(), within(1e-3));
    }
    assertThat(a.stats().generatedTokens()).as(name).isEqualTo(b.stats().generatedTokens());
  }
}
