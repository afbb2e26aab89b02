package dev.ponder.engine.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import dev.ponder.engine.testing.Zoo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DiffusionProcessTest {
  private static DiffusionModel model;

  @BeforeAll
  static void load() {
    model = DiffusionModel.load(Zoo.model("digits/denoiser"));
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static SearchContext ctx(long seed) {
    return SearchContext.builder().seed(seed).build();
  }

  private static List<Latent> runToEnd(DiffusionProcess p, List<Latent> hs, SearchContext ctx) {
    while (hs.stream().anyMatch(h -> !h.isTerminal())) {
      p.advance(hs.stream().filter(h -> !h.isTerminal()).toList(), ctx);
    }
    return hs;
  }

  private static float[][] samples(List<Latent> hs) {
    return hs.stream().map(Latent::sample).toArray(float[][]::new);
  }

  @Test
  void ddimTenStepsReproducesTheGoldenTrajectory() {
    JsonNode g = Goldens.read("digits/denoiser/golden_ddim10.json");
    assertThat(g.get("description").asText()).contains("eta=0").contains("use_clipped_model_output=True");
    float[][] xT = Goldens.rows(g.get("x_T"));
    try (DiffusionProcess p = model.process(DiffusionSampling.ddim(10, 0))) {
      assertThat(p.timesteps()).containsExactly(Goldens.ints(g.get("timesteps")));
      SearchContext ctx = ctx(0);
      List<Latent> hs = p.startFrom(Arrays.asList(xT), ctx);
      assertThat(hs.get(1).initialNoise()).containsExactly(xT[1]);
      JsonNode steps = g.get("steps");
      for (int k = 0; k < 10; k++) {
        assertThat(hs.get(0).timestep()).isEqualTo(steps.get(k).get("timestep").asInt());
        p.advance(hs, ctx);
        float[][] expected = Goldens.rows(steps.get(k).get("prev_sample"), 2, 64);
        assertThat(Goldens.maxAbsDiff(samples(hs), expected)).as("step %d", k).isLessThan(1e-4);
      }
      assertThat(hs.get(0).isTerminal()).isTrue();
      assertThat(hs.get(0).timestep()).isZero();
      // set_alpha_to_one: the last step returns the clipped x0 prediction itself
      assertThat(hs.get(0).sample()).containsExactly(hs.get(0).x0Prediction());
      // the NoiseGenerator view gives the same samples
      float[][] generated = p.generate(xT, ctx(0));
      assertThat(Goldens.maxAbsDiff(generated, samples(hs))).isZero();
    }
  }

  @Test
  void oneDdpmStepFollowsThePosteriorFormula() {
    try (DiffusionProcess p = model.process(DiffusionSampling.ddpm(10))) {
      SearchContext ctx = ctx(3);
      List<Latent> hs = p.start(3, ctx);
      float[][] x = samples(hs);
      float[][] eps = model.predictNoise(x, new int[] {900, 900, 900}, ctx(0));
      p.advance(hs, ctx);
      double abT = model.schedule().alphaCumprod(900);
      double abPrev = model.schedule().alphaCumprod(800);
      double beta = 1 - abT / abPrev;
      for (int i = 0; i < 3; i++) {
        Latent h = hs.get(i);
        assertThat(h.timestep()).isEqualTo(800);
        assertThat(h.stepsTaken()).isEqualTo(1);
        float[] x0 = h.x0Prediction();
        float[] next = h.sample();
        for (int j = 0; j < 64; j++) {
          double pred = Math.max(-1, Math.min(1, (x[i][j] - Math.sqrt(1 - abT) * eps[i][j]) / Math.sqrt(abT)));
          double mean = Math.sqrt(abPrev) * beta / (1 - abT) * pred + Math.sqrt(1 - beta) * (1 - abPrev) / (1 - abT) * x[i][j];
          double std = Math.sqrt((1 - abPrev) / (1 - abT) * beta);
          double z = ctx.random().gaussian(h.lineage(), 0, RandomStreams.Purpose.NOISE, j);
          assertThat((double) x0[j]).isCloseTo(pred, org.assertj.core.api.Assertions.within(1e-6));
          assertThat((double) next[j]).isCloseTo(mean + std * z, org.assertj.core.api.Assertions.within(1e-5));
        }
      }
      runToEnd(p, hs, ctx);
      for (Latent h : hs) {
        // the last DDPM step (t = 0, abar_prev = 1) adds no noise and returns the clipped x0
        assertThat(h.sample()).containsExactly(h.x0Prediction());
        for (float v : h.sample()) {
          assertThat(v).isBetween(-1f, 1f);
        }
      }
    }
  }

  @Test
  void oneStochasticDdimStepFollowsTheEtaFormula() {
    double eta = 0.5;
    try (DiffusionProcess p = model.process(DiffusionSampling.ddim(10, eta))) {
      SearchContext ctx = ctx(4);
      List<Latent> hs = p.start(2, ctx);
      p.advance(hs, ctx); // now at t = 800, previous timestep 700
      float[][] x = samples(hs);
      float[][] eps = model.predictNoise(x, new int[] {800, 800}, ctx(0));
      p.advance(hs, ctx);
      double abT = model.schedule().alphaCumprod(800);
      double abPrev = model.schedule().alphaCumprod(700);
      double sigma = eta * Math.sqrt((1 - abPrev) / (1 - abT)) * Math.sqrt(1 - abT / abPrev);
      for (int i = 0; i < 2; i++) {
        Latent h = hs.get(i);
        float[] next = h.sample();
        for (int j = 0; j < 64; j++) {
          double x0 = Math.max(-1, Math.min(1, (x[i][j] - Math.sqrt(1 - abT) * eps[i][j]) / Math.sqrt(abT)));
          double e = (x[i][j] - Math.sqrt(abT) * x0) / Math.sqrt(1 - abT);
          double z = ctx.random().gaussian(h.lineage(), 1, RandomStreams.Purpose.NOISE, j);
          double expected = Math.sqrt(abPrev) * x0 + Math.sqrt(1 - abPrev - sigma * sigma) * e + sigma * z;
          // x was rounded to float for the test's own eps; the process keeps x in double, hence 1e-5
          assertThat((double) next[j]).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-5));
        }
        assertThat(h.timestep()).isEqualTo(700);
        assertThat(p.alphaCumprodAt(h)).isEqualTo(abPrev);
      }
    }
  }

  /** Six hypotheses advanced in differently shaped batches; each schedule must give the same samples. */
  @ParameterizedTest
  @ValueSource(strings = {"DDPM", "DDIM"})
  void samplesDoNotDependOnBatchComposition(String kind) {
    DiffusionSampling sampling = kind.equals("DDPM") ? DiffusionSampling.ddpm(20) : DiffusionSampling.ddim(20, 0.7);
    List<BiConsumer<DiffusionProcess, List<Latent>>> schedules = List.of(
        (p, hs) -> runToEnd(p, hs, ctx(9)),
        (p, hs) -> hs.forEach(h -> runToEnd(p, List.of(h), ctx(9))),
        (p, hs) -> {
          runToEnd(p, hs.subList(0, 4), ctx(9));
          runToEnd(p, hs.subList(4, 6), ctx(9));
        },
        (p, hs) -> { // staggered: round r advances hypotheses 0..r, so batches mix timesteps
          for (int r = 0; hs.stream().anyMatch(h -> !h.isTerminal()); r++) {
            List<Latent> batch = new ArrayList<>(hs.subList(0, Math.min(6, r + 1)));
            batch.removeIf(Latent::isTerminal);
            p.advance(batch, ctx(9));
          }
        });
    float[][] reference = null;
    for (BiConsumer<DiffusionProcess, List<Latent>> schedule : schedules) {
      try (DiffusionProcess p = model.process(sampling)) {
        List<Latent> hs = p.start(6, ctx(9));
        schedule.accept(p, hs);
        float[][] out = samples(hs);
        if (reference == null) {
          reference = out;
        } else {
          assertThat(out).as("same seed, another batch shape").isDeepEqualTo(reference);
        }
      }
    }
    try (DiffusionProcess p = model.process(sampling)) {
      float[][] otherSeed = samples(runToEnd(p, p.start(6, ctx(10)), ctx(10)));
      assertThat(Goldens.maxAbsDiff(otherSeed, reference)).isGreaterThan(0.1);
    }
  }

  @Test
  void forksDivergeWithNoiseAndStayIdenticalWithout() {
    for (double eta : new double[] {0.5, 0.0}) {
      try (DiffusionProcess p = model.process(DiffusionSampling.ddim(10, eta))) {
        SearchContext ctx = ctx(21);
        Latent parent = p.start(1, ctx).get(0);
        for (int k = 0; k < 3; k++) {
          p.advance(List.of(parent), ctx);
        }
        Latent child = p.fork(parent, ctx);
        assertThat(child.lineage()).isEqualTo(RandomStreams.childLineage(parent.lineage(), 0));
        assertThat(child.stepsTaken()).isEqualTo(3);
        assertThat(child.sample()).containsExactly(parent.sample());
        assertThat(child.x0Prediction()).containsExactly(parent.x0Prediction());
        assertThat(child.initialNoise()).containsExactly(parent.initialNoise());
        runToEnd(p, List.of(parent, child), ctx);
        double diff = Goldens.maxAbsDiff(new float[][] {parent.sample()}, new float[][] {child.sample()});
        if (eta > 0) {
          assertThat(diff).as("eta %s", eta).isGreaterThan(0.01);
        } else {
          assertThat(diff).as("eta 0").isZero();
        }
      }
    }
  }

  @Test
  void theKthForkOfAParentAlwaysGetsTheSameLineage() {
    long[] seen = new long[2];
    for (int run = 0; run < 2; run++) {
      try (DiffusionProcess p = model.process(DiffusionSampling.ddim(5, 0.3))) {
        SearchContext ctx = ctx(run); // the seed does not enter lineages
        List<Latent> hs = p.start(2, ctx);
        assertThat(hs.get(1).lineage()).isEqualTo(RandomStreams.childLineage(0, 1));
        if (run == 1) {
          p.fork(hs.get(1), ctx); // other parents' forks do not shift this parent's counter
          p.advance(hs, ctx);
        }
        Latent first = p.fork(hs.get(0), ctx);
        Latent second = p.fork(hs.get(0), ctx);
        assertThat(first.lineage()).isEqualTo(RandomStreams.childLineage(hs.get(0).lineage(), 0));
        assertThat(p.fork(first, ctx).lineage()).isEqualTo(RandomStreams.childLineage(first.lineage(), 0));
        seen[run] = second.lineage();
      }
    }
    assertThat(seen[0]).isEqualTo(seen[1]).isEqualTo(RandomStreams.childLineage(RandomStreams.childLineage(0, 0), 1));
  }

  @Test
  void countersCountOneCallPerStepAndOneTokenPerRowStep() {
    try (DiffusionProcess p = model.process(DiffusionSampling.ddim(10, 0))) {
      SearchContext ctx = ctx(1);
      List<Latent> hs = runToEnd(p, p.start(5, ctx), ctx);
      assertThat(ctx.counters().modelCalls()).isEqualTo(10);
      assertThat(ctx.counters().policyTokens()).isEqualTo(50);
      assertThat(ctx.counters().generatedTokens()).isEqualTo(50);
      Candidate c = p.toCandidate(hs.get(2), 0.25);
      assertThat(c.sample()).containsExactly(hs.get(2).sample());
      assertThat(c.tokens()).isEqualTo(10);
      assertThat(c.finished()).isTrue();
      assertThat(c.score()).isEqualTo(0.25);
      assertThat(model.session().ledger().stillOpen()).isZero();
    }
  }

  @Test
  void aListenerSeesEachParticlesPredictionAfterEveryStepWithoutChangingTheSamples() {
    List<SearchEvent> events = new ArrayList<>();
    List<Latent> hs;
    try (DiffusionProcess p = model.process(DiffusionSampling.ddim(4, 1.0))) {
      SearchContext watched = SearchContext.builder().seed(9).listener(events::add).build();
      hs = p.start(3, watched);
      p.advance(hs, watched);
      List<SearchEvent.Preview> first = events.stream().map(SearchEvent.Preview.class::cast).toList();
      assertThat(first).extracting(SearchEvent.Preview::lineage)
          .containsExactly(hs.get(0).lineage(), hs.get(1).lineage(), hs.get(2).lineage());
      assertThat(first).extracting(SearchEvent.Preview::step).containsOnly(1);
      assertThat(first.get(1).sample()).containsExactly(hs.get(1).x0Prediction());
      runToEnd(p, hs, watched);
      assertThat(events).hasSize(3 * 4);
      SearchEvent.Preview last = (SearchEvent.Preview) events.get(events.size() - 1);
      assertThat(last.step()).isEqualTo(4);

    }
    try (DiffusionProcess p = model.process(DiffusionSampling.ddim(4, 1.0))) {
      SearchContext unwatched = ctx(9);
      assertThat(unwatched.isListening()).isFalse();
      List<Latent> same = runToEnd(p, p.start(3, unwatched), unwatched);
      assertThat(samples(same)).isDeepEqualTo(samples(hs));
    }
  }

  @Test
  void misuseIsRejectedClearly() {
    DiffusionProcess p = model.process(DiffusionSampling.ddim(2, 0));
    SearchContext ctx = ctx(1);
    List<Latent> hs = p.start(2, ctx);
    Latent fresh = hs.get(0);
    assertThat(fresh.timestep()).isEqualTo(500);
    assertThat(fresh.x0Prediction()).isNull();
    assertThat(fresh.sample()).containsExactly(fresh.initialNoise());
    assertThat(fresh.initialNoise()[3])
        .isEqualTo((float) ctx.random().gaussian(fresh.lineage(), -1, RandomStreams.Purpose.NOISE, 3));
    assertThatThrownBy(() -> p.advance(List.of(fresh, fresh), ctx)).hasMessageContaining("appears twice");
    assertThatThrownBy(() -> p.startFrom(List.of(new float[63]), ctx))
        .hasMessageContaining("noise vector 0 has length 63").hasMessageContaining("D = 64");
    try (DiffusionProcess other = model.process(DiffusionSampling.ddim(2, 0))) {
      assertThatThrownBy(() -> other.advance(List.of(fresh), ctx)).hasMessageContaining("belongs to another process");
    }
    runToEnd(p, hs, ctx);
    assertThatThrownBy(() -> p.advance(hs, ctx)).hasMessageContaining("is terminal (all 2 steps taken)");
    p.release(hs.get(1));
    p.release(hs.get(1));
    assertThatThrownBy(() -> p.fork(hs.get(1), ctx)).hasMessageContaining("was released");
    p.close();
    p.close();
    assertThatThrownBy(() -> p.start(1, ctx)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThat(model.session().isClosed()).isFalse();
  }

  @Test
  void unsteeredDdimFiftyStepSamplesLookLikeDigits() {
    float[][] images;
    try (DiffusionProcess p = model.process(DiffusionSampling.ddim(50, 0))) {
      SearchContext ctx = ctx(2024);
      images = samples(runToEnd(p, p.start(20, ctx), ctx));
      assertThat(ctx.counters().modelCalls()).isEqualTo(50);
    }
    float[][] logits = classify(images);
    double meanConfidence = 0;
    for (float[] row : logits) {
      double max = Double.NEGATIVE_INFINITY;
      for (float v : row) {
        max = Math.max(max, v);
      }
      double z = 0;
      for (float v : row) {
        z += Math.exp(v - max);
      }
      meanConfidence += 1 / z / logits.length;
    }
    // metrics.json: 0.84 for DDIM-50 teacher samples; pure noise or a wrong scheduler scores far lower
    assertThat(meanConfidence).isGreaterThan(0.6);
  }

  private static float[][] classify(float[][] images) {
    try (OnnxModel classifier = OnnxModel.load(Zoo.model("digits/classifier/model.onnx"), ModelOptions.cpu());
         TensorScope scope = classifier.scope()) {
      FloatBuffer in = ByteBuffer.allocateDirect(images.length * 64 * Float.BYTES).order(ByteOrder.nativeOrder())
          .asFloatBuffer();
      for (float[] row : images) {
        in.put(row);
      }
      in.flip();
      OnnxTensor out = scope.run(Map.of("image", scope.floats(in, images.length, 64)), Map.of()).tensor("logits");
      assertThat(out.getInfo().getShape()).containsExactly(images.length, 10);
      FloatBuffer fb = out.getFloatBuffer();
      float[][] logits = new float[images.length][10];
      for (float[] row : logits) {
        fb.get(row);
      }
      return logits;
    }
  }
}
