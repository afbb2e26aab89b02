package dev.ponder.verifiers.onnx;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.NoiseReward.DifferentiableReward;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.DiffusionProcess;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.diffusion.Latent;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.testing.Zoo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The digits reward models through the verifier layer: golden outputs, what each scorer reads, errors. */
class ImageRewardsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static ImageClassifier clean;
  private static ImageClassifier noisy;
  private static DiffusionModel denoiser;

  @BeforeAll
  static void load() {
    clean = ImageClassifier.load(Zoo.model("digits/classifier"));
    noisy = ImageClassifier.load(Zoo.model("digits/noisy-classifier"));
    denoiser = DiffusionModel.load(Zoo.model("digits/denoiser"));
  }

  @AfterAll
  static void close() {
    clean.close();
    noisy.close();
    denoiser.close();
  }

  @Test
  void cleanClassifierGivesTheGoldenLogSoftmax() throws IOException {
    JsonNode g = golden("digits/classifier");
    float[][] images = rows(g.get("inputs").get("image"));
    double[][] logits = doubles(g.get("outputs").get("logits"));
    SearchContext ctx = SearchContext.builder().build();
    double[][] lp = clean.logProbabilities(images, null, ctx);
    assertThat(clean.noiseAware()).isFalse();
    assertThat(clean.dimension()).isEqualTo(64);
    assertThat(clean.classes()).isEqualTo(10);
    for (int i = 0; i < images.length; i++) {
      double[] expected = logSoftmax(logits[i]);
      for (int k = 0; k < 10; k++) {
        assertThat(lp[i][k]).as("image %d class %d", i, k).isCloseTo(expected[k], offset(1e-4));
      }
    }
    assertThat(ctx.counters().verifierCalls()).isEqualTo(1);
    assertThat(ctx.counters().verifierTokens()).isEqualTo(images.length);
  }

  @Test
  void noiseAwareClassifierReadsTheTimestep() throws IOException {
    JsonNode g = golden("digits/noisy-classifier");
    float[][] x = rows(g.get("inputs").get("sample"));
    int[] t = new int[x.length];
    for (int i = 0; i < t.length; i++) {
      t[i] = g.get("inputs").get("timestep").get("data").get(i).asInt();
    }
    double[][] logits = doubles(g.get("outputs").get("logits"));
    double[][] lp = noisy.logProbabilities(x, t, SearchContext.builder().build());
    for (int i = 0; i < x.length; i++) {
      double[] expected = logSoftmax(logits[i]);
      for (int k = 0; k < 10; k++) {
        assertThat(lp[i][k]).as("sample %d (t=%d) class %d", i, t[i], k).isCloseTo(expected[k], offset(1e-4));
      }
    }
    assertThatThrownBy(() -> noisy.logProbabilities(x, new int[] {1}, SearchContext.builder().build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one timestep per image");
  }

  @Test
  void rewardGradientGraphGivesTheGoldenRewardAndGradientPerClass() throws IOException {
    JsonNode g = golden("digits/reward-grad");
    float[][] noise = rows(g.get("inputs").get("noise"));
    double[][] grad = doubles(g.get("outputs").get("grad"));
    try (OnnxRewardGradient graph = OnnxRewardGradient.load(Zoo.model("digits/reward-grad"))) {
      assertThat(graph.dimension()).isEqualTo(64);
      for (int i = 0; i < noise.length; i++) {
        int target = g.get("inputs").get("target_class").get("data").get(i).asInt();
        SearchContext ctx = SearchContext.builder().build();
        DifferentiableReward.ValueAndGradient vg = graph.forClass(target).valueAndGradient(new float[][] {noise[i]}, ctx);
        assertThat(vg.values()[0]).isCloseTo(g.get("outputs").get("reward").get("data").get(i).asDouble(), offset(1e-4));
        for (int j = 0; j < 64; j++) {
          assertThat((double) vg.gradients()[0][j]).as("row %d grad %d", i, j).isCloseTo(grad[i][j], offset(1e-4));
        }
        assertThat(ctx.counters().verifierCalls()).isEqualTo(1);
      }
    }
  }

  @Test
  void scorersReadThePredictionTheNoisyStateOrTheSample() {
    SearchContext ctx = SearchContext.builder().seed(3).build();
    try (DiffusionProcess p = denoiser.process(DiffusionSampling.ddim(10, 0.5))) {
      List<Latent> hs = p.start(3, ctx);
      p.advance(hs, ctx);
      p.advance(hs, ctx);
      float[][] preds = hs.stream().map(Latent::x0Prediction).toArray(float[][]::new);
      float[][] xs = hs.stream().map(Latent::sample).toArray(float[][]::new);
      int[] ts = hs.stream().mapToInt(Latent::timestep).toArray();
      assertThat(ts).containsOnly(700); // timesteps 900, 800, 700, ...: two steps taken
      assertThat(clean.onPrediction(4).score(hs, ctx)).containsExactly(clean.logProbability(preds, null, 4, ctx));
      assertThat(noisy.onNoisySample(4).score(hs, ctx)).containsExactly(noisy.logProbability(xs, ts, 4, ctx));
      // One draw with no spread is the prediction itself; more draws average probabilities (log-mean-exp).
      assertThat(clean.onPredictionSamples(4, 1, 0.0, denoiser::alphaCumprod).score(hs, ctx))
          .containsExactly(clean.logProbability(preds, null, 4, ctx));
      double[] spread = clean.onPredictionSamples(4, 6, 1.0, denoiser::alphaCumprod).score(hs, ctx);
      assertThat(spread).doesNotContain(clean.logProbability(preds, null, 4, ctx)[0]);
      assertThat(java.util.Arrays.stream(spread).max().getAsDouble()).isNegative();
      assertThat(clean.onPredictionSamples(4, 6, 1.0, denoiser::alphaCumprod).score(hs, ctx))
          .as("draws keyed by lineage and timestep: the same states score the same").containsExactly(spread);
      while (!p.isTerminal(hs.get(0))) {
        p.advance(hs, ctx);
      }
      float[][] finals = hs.stream().map(Latent::sample).toArray(float[][]::new);
      assertThat(clean.onPrediction(4).score(hs, ctx)).containsExactly(clean.logProbability(finals, null, 4, ctx));
      assertThat(clean.onSample(4).score(hs, ctx)).containsExactly(clean.logProbability(finals, null, 4, ctx));
    }
  }

  @Test
  void logMeanExpIsExactAndStable() {
    double[] lp = {Math.log(0.2), Math.log(0.6), -1e4, -1e4 + Math.log(3)};
    double[] out = LatentViews.logMeanExp(lp, 2, 2);
    assertThat(out[0]).isCloseTo(Math.log(0.4), offset(1e-12));
    assertThat(out[1]).isCloseTo(-1e4 + Math.log(2), offset(1e-9));
  }

  @Test
  void badUseIsRejectedWithTheFix() {
    assertThatThrownBy(() -> clean.onNoisySample(1)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("clean classifier").hasMessageContaining("onPrediction");
    assertThatThrownBy(() -> noisy.onPrediction(1)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("noise-aware").hasMessageContaining("onNoisySample");
    assertThatThrownBy(() -> clean.onSample(10)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[0, 9]").hasMessageContaining("10");
    assertThatThrownBy(() -> clean.logProbabilities(new float[][] {new float[63]}, null, SearchContext.builder().build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("63").hasMessageContaining("64");
    assertThatThrownBy(() -> ImageClassifier.load(Zoo.model("digits/generator")))
        .isInstanceOf(ModelContractException.class).hasMessageContaining("image").hasMessageContaining("noise");
    assertThatThrownBy(() -> OnnxRewardGradient.load(Zoo.model("digits/classifier")))
        .isInstanceOf(ModelContractException.class).hasMessageContaining("target_class");
    assertThatThrownBy(() -> ImageClassifier.load(Path.of("/nonexistent")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model.onnx");
  }

  private static JsonNode golden(String model) throws IOException {
    return JSON.readTree(Zoo.model(model).resolve("golden.json").toFile());
  }

  private static float[][] rows(JsonNode tensor) {
    double[][] d = doubles(tensor);
    float[][] out = new float[d.length][];
    for (int i = 0; i < d.length; i++) {
      out[i] = new float[d[i].length];
      for (int j = 0; j < d[i].length; j++) {
        out[i][j] = (float) d[i][j];
      }
    }
    return out;
  }

  private static double[][] doubles(JsonNode tensor) {
    int b = tensor.get("shape").get(0).asInt();
    int d = tensor.get("shape").get(1).asInt();
    double[][] out = new double[b][d];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < d; j++) {
        out[i][j] = tensor.get("data").get(i * d + j).asDouble();
      }
    }
    return out;
  }

  private static double[] logSoftmax(double[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : z) {
      sum += Math.exp(v - max);
    }
    double[] out = new double[z.length];
    for (int k = 0; k < z.length; k++) {
      out[k] = z[k] - max - Math.log(sum);
    }
    return out;
  }
}
