package dev.ponder.engine.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.testing.Zoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiffusionModelTest {

  @Test
  void denoiserMatchesTheGoldenNoisePredictions() {
    JsonNode g = Goldens.read("digits/denoiser/golden.json");
    float[][] x = Goldens.rows(g.get("inputs").get("sample"));
    int[] t = Goldens.ints(g.get("inputs").get("timestep").get("data"));
    float[][] expected = Goldens.rows(g.get("outputs").get("noise_pred"));
    assertThat(t).containsExactly(0, 500, 999);
    try (DiffusionModel m = DiffusionModel.load(Zoo.model("digits/denoiser"))) {
      assertThat(m.dimension()).isEqualTo(64);
      SearchContext ctx = SearchContext.builder().build();
      float[][] eps = m.predictNoise(x, t, ctx);
      assertThat(Goldens.maxAbsDiff(eps, expected)).isLessThan(1e-4);
      assertThat(ctx.counters().modelCalls()).isEqualTo(1);
      assertThat(ctx.counters().policyTokens()).isEqualTo(3);
      assertThat(m.session().ledger().stillOpen()).isZero();
    }
  }

  @Test
  void predictNoiseChecksItsArguments() {
    try (DiffusionModel m = DiffusionModel.load(Zoo.model("digits/denoiser"))) {
      SearchContext ctx = SearchContext.builder().build();
      assertThatThrownBy(() -> m.predictNoise(new float[2][64], new int[] {1}, ctx))
          .hasMessageContaining("2 rows but 1 timesteps");
      assertThatThrownBy(() -> m.predictNoise(new float[1][63], new int[] {1}, ctx))
          .hasMessageContaining("row 0 has 63 values").hasMessageContaining("exactly 64");
      assertThatThrownBy(() -> m.predictNoise(new float[1][64], new int[] {1000}, ctx))
          .hasMessageContaining("timestep 1000 is outside [0, 999]");
      assertThat(m.predictNoise(new float[0][], new int[0], ctx)).isEmpty();
      assertThat(ctx.counters().modelCalls()).isZero();
    }
  }

  @Test
  void aModelThatIsNotADenoiserIsRejectedNamingExpectedAndFoundInputs() {
    assertThatThrownBy(() -> DiffusionModel.load(Zoo.model("digits/classifier")))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("denoiser model")
        .hasMessageContaining("input 'sample' missing")
        .hasMessageContaining("input 'timestep' missing")
        .hasMessageContaining("Expected inputs [sample: FLOAT rank 2, timestep: INT64 rank 1]")
        .hasMessageContaining("found inputs [image: FLOAT");
    assertThatThrownBy(() -> GeneratorModel.load(Zoo.model("digits/denoiser")))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("one-step generator model")
        .hasMessageContaining("input 'noise' missing")
        .hasMessageContaining("found inputs [sample: FLOAT");
  }

  @Test
  void stepCountsOutsideTheScheduleAreRejectedWhenTheProcessIsMade() {
    try (DiffusionModel m = DiffusionModel.load(Zoo.model("digits/denoiser"))) {
      assertThatThrownBy(() -> m.process(DiffusionSampling.ddim(2000, 0)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[1, num_train_timesteps = 1000]").hasMessageContaining("was 2000");
      assertThatThrownBy(() -> m.process(DiffusionSampling.ddpm(0))).hasMessageContaining("steps must be >= 1");
      assertThat(m.process(DiffusionSampling.ddpm(1000)).steps()).isEqualTo(1000);
    }
  }

  @Test
  void missingDirectoriesAreNamedAndCloseIsIdempotent(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> DiffusionModel.load(dir.resolve("nope"))).hasMessageContaining("denoiser directory not found");
    assertThatThrownBy(() -> GeneratorModel.load(dir.resolve("nope"))).hasMessageContaining("generator directory not found");
    assertThatThrownBy(() -> DiffusionModel.load(dir)).hasMessageContaining("ONNX model file not found");
    DiffusionModel m = DiffusionModel.load(Zoo.model("digits/denoiser"));
    m.close();
    m.close();
    assertThat(m.session().isClosed()).isTrue();
    assertThat(Files.exists(dir)).isTrue();
  }

  @Test
  void generatorMatchesItsGolden() {
    JsonNode g = Goldens.read("digits/generator/golden.json");
    float[][] noise = Goldens.rows(g.get("inputs").get("noise"));
    float[][] expected = Goldens.rows(g.get("outputs").get("sample"));
    try (GeneratorModel gen = GeneratorModel.load(Zoo.model("digits/generator"))) {
      assertThat(gen.noiseDimension()).isEqualTo(64);
      assertThat(gen.sampleDimension()).isEqualTo(64);
      SearchContext ctx = SearchContext.builder().build();
      assertThat(Goldens.maxAbsDiff(gen.generate(noise, ctx), expected)).isLessThan(1e-4);
      assertThat(ctx.counters().modelCalls()).isEqualTo(1);
      assertThat(ctx.counters().policyTokens()).isEqualTo(3);
    }
  }

  @Test
  void generatorProcessTakesOneStep() {
    try (GeneratorModel gen = GeneratorModel.load(Zoo.model("digits/generator"))) {
      SearchContext ctx = SearchContext.builder().seed(5).build();
      var p = gen.process();
      List<Latent> hs = p.start(3, ctx);
      Latent h = hs.get(0);
      assertThat(h.timestep()).isEqualTo(999);
      assertThat(h.x0Prediction()).isNull();
      assertThat(h.isTerminal()).isFalse();
      assertThat(h.initialNoise()[5]).isEqualTo((float) ctx.random().gaussian(h.lineage(), -1,
          dev.ponder.engine.SearchContext.RandomStreams.Purpose.NOISE, 5));
      assertThat(p.advance(hs, ctx)).isSameAs(hs);
      float[][] direct = gen.generate(new float[][] {h.initialNoise()}, SearchContext.builder().build());
      assertThat(h.sample()).containsExactly(direct[0]);
      assertThat(h.x0Prediction()).containsExactly(direct[0]);
      assertThat(h.timestep()).isZero();
      assertThat(h.stepsTaken()).isEqualTo(1);
      assertThat(p.isTerminal(h)).isTrue();
      assertThat(p.toCandidate(h, 0.5).sample()).containsExactly(direct[0]);
      assertThat(ctx.counters().modelCalls()).isEqualTo(1);
      assertThat(ctx.counters().policyTokens()).isEqualTo(3);
      assertThatThrownBy(() -> p.advance(hs, ctx)).hasMessageContaining("is terminal");
      p.release(h);
      p.release(h);
      p.close();
      p.close();
    }
  }

  @Test
  void thePublicSurfaceIsSmall() throws Exception {
    for (String name : List.of("DiffusionModel", "DiffusionProcess", "DiffusionModel$DiffusionSampling", "Latent",
        "GeneratorModel")) {
      assertThat(java.lang.reflect.Modifier.isPublic(Class.forName("dev.ponder.engine.diffusion." + name).getModifiers()))
          .as(name).isTrue();
    }
    for (String name : List.of("RowBatch", "ReverseStep", "GeneratorProcess", "NoiseSchedule")) {
      assertThat(java.lang.reflect.Modifier.isPublic(Class.forName("dev.ponder.engine.diffusion." + name).getModifiers()))
          .as(name).isFalse();
    }
  }
}
