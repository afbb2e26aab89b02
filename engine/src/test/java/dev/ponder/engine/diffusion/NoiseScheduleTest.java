package dev.ponder.engine.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.testing.Zoo;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NoiseScheduleTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static NoiseSchedule digits() {
    return NoiseSchedule.read(Zoo.model("digits/denoiser/scheduler_config.json"));
  }

  private static NoiseSchedule with(String key, Object value) {
    ObjectNode c = JSON.createObjectNode().put("num_train_timesteps", 1000);
    c.set(key, JSON.valueToTree(value));
    return NoiseSchedule.parse(c, "test-config.json");
  }

  @Test
  void alphaCumprodIsTheProductOfOneMinusLinearBetas() {
    NoiseSchedule s = digits();
    assertThat(s.numTrainTimesteps()).isEqualTo(1000);
    assertThat(s.alphaCumprod(0)).isEqualTo(1 - 1e-4);
    double prod = 1;
    for (int t = 0; t < 1000; t++) {
      prod *= 1 - (1e-4 + (0.02 - 1e-4) * t / 999.0);
    }
    assertThat(s.alphaCumprod(999)).isCloseTo(prod, within(1e-15));
    assertThat(s.alphaCumprod(999)).isCloseTo(4.035e-5, within(1e-7)); // diffusers' float32 value 4.0358e-05
    assertThat(s.alphaCumprod(500)).isCloseTo(0.07788, within(1e-4));
    assertThat(s.clipSample()).isTrue();
    assertThat(s.clipSampleRange()).isEqualTo(1.0);
    assertThatThrownBy(() -> s.alphaCumprod(1000)).hasMessageContaining("timestep 1000 is outside [0, 999]");
  }

  @Test
  void scaledLinearAndCosineSchedulesFollowDiffusers() {
    ObjectNode c = JSON.createObjectNode().put("num_train_timesteps", 4).put("beta_start", 0.01).put("beta_end", 0.09)
        .put("beta_schedule", "scaled_linear");
    NoiseSchedule s = NoiseSchedule.parse(c, "x");
    // sqrt-betas 0.1, 0.1667, 0.2333, 0.3 squared
    double[] b = {0.01, Math.pow(0.1 + 0.2 / 3, 2), Math.pow(0.1 + 0.4 / 3, 2), 0.09};
    assertThat(s.alphaCumprod(3)).isCloseTo((1 - b[0]) * (1 - b[1]) * (1 - b[2]) * (1 - b[3]), within(1e-15));
    NoiseSchedule cos = with("beta_schedule", "squaredcos_cap_v2");
    double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
    double f1 = Math.pow(Math.cos((0.001 + 0.008) / 1.008 * Math.PI / 2), 2);
    assertThat(cos.alphaCumprod(0)).isCloseTo(f1 / f0, within(1e-15));
    assertThat(cos.alphaCumprod(999)).isCloseTo(0, within(1e-6)); // capped betas drive abar to ~0 at the end
  }

  @Test
  void leadingTimestepsMatchTheGoldensAndDiffusers() {
    NoiseSchedule s = digits();
    assertThat(s.timesteps(10)).containsExactly(900, 800, 700, 600, 500, 400, 300, 200, 100, 0);
    assertThat(s.timesteps(3)).containsExactly(666, 333, 0);
    assertThat(s.timesteps(1)).containsExactly(0);
    assertThat(s.timesteps(1000)[0]).isEqualTo(999);
    assertThat(s.timesteps(50)).hasSize(50).startsWith(980, 960).endsWith(20, 0);
    NoiseSchedule offset = NoiseSchedule.parse(JSON.createObjectNode().put("steps_offset", 1), "x");
    assertThat(offset.timesteps(4)).containsExactly(751, 501, 251, 1);
  }

  @Test
  void trailingAndLinspaceTimestepsMatchDiffusers() {
    NoiseSchedule trailing = with("timestep_spacing", "trailing");
    assertThat(trailing.timesteps(10)).containsExactly(999, 899, 799, 699, 599, 499, 399, 299, 199, 99);
    // np.round(np.arange(1000, 0, -1000/3)) - 1 = [999, 666, 332]  (666.67 -> 667, 333.33 -> 333)
    assertThat(trailing.timesteps(3)).containsExactly(999, 666, 332);
    NoiseSchedule linspace = with("timestep_spacing", "linspace");
    // np.linspace(0, 999, 10).round()[::-1]: 999, 888, 777, 666, 555, 444, 333, 222, 111, 0
    assertThat(linspace.timesteps(10)).containsExactly(999, 888, 777, 666, 555, 444, 333, 222, 111, 0);
    // np.linspace(0, 999, 4) = 0, 333, 666, 999; np.linspace(0, 999, 3) = 0, 499.5 (rounds to even: 500), 999
    assertThat(linspace.timesteps(4)).containsExactly(999, 666, 333, 0);
    assertThat(linspace.timesteps(3)).containsExactly(999, 500, 0);
  }

  @Test
  void stepCountsOutsideTheScheduleAreRejected() {
    NoiseSchedule s = digits();
    assertThatThrownBy(() -> s.timesteps(0)).hasMessageContaining("[1, num_train_timesteps = 1000]")
        .hasMessageContaining("was 0");
    assertThatThrownBy(() -> s.timesteps(2000)).hasMessageContaining("was 2000");
  }

  @Test
  void unsupportedKeysAreRejectedNamingKeyValueAndSupportedValues() {
    assertThatThrownBy(() -> with("prediction_type", "v_prediction"))
        .hasMessageContaining("test-config.json").hasMessageContaining("'prediction_type'")
        .hasMessageContaining("v_prediction").hasMessageContaining("supported: epsilon");
    assertThatThrownBy(() -> with("beta_schedule", "sigmoid")).hasMessageContaining("'beta_schedule'")
        .hasMessageContaining("sigmoid").hasMessageContaining("linear | scaled_linear | squaredcos_cap_v2");
    assertThatThrownBy(() -> with("timestep_spacing", "karras")).hasMessageContaining("'timestep_spacing'")
        .hasMessageContaining("leading | trailing | linspace");
    assertThatThrownBy(() -> with("trained_betas", new double[] {0.1, 0.2})).hasMessageContaining("'trained_betas'");
    assertThatThrownBy(() -> with("thresholding", true)).hasMessageContaining("'thresholding' is true");
    assertThatThrownBy(() -> with("rescale_betas_zero_snr", true)).hasMessageContaining("'rescale_betas_zero_snr'");
    assertThatThrownBy(() -> with("variance_type", "learned_range")).hasMessageContaining("'variance_type'")
        .hasMessageContaining("fixed_small | fixed_small_log | fixed_large");
    assertThatThrownBy(() -> with("clip_sample", "yes")).hasMessageContaining("'clip_sample'")
        .hasMessageContaining("true or false");
  }

  @Test
  void aDenoiserWithAVPredictionSchedulerIsRejectedAtLoad(@TempDir Path dir) throws Exception {
    Path src = Zoo.model("digits/denoiser");
    Files.copy(src.resolve("model.onnx"), dir.resolve("model.onnx"));
    ObjectNode config = (ObjectNode) JSON.readTree(src.resolve("scheduler_config.json").toFile());
    config.put("prediction_type", "v_prediction");
    JSON.writeValue(dir.resolve("scheduler_config.json").toFile(), config);
    assertThatThrownBy(() -> DiffusionModel.load(dir)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(dir.resolve("scheduler_config.json").toAbsolutePath().toString())
        .hasMessageContaining("key 'prediction_type' is \"v_prediction\"").hasMessageContaining("supported: epsilon");
    Files.delete(dir.resolve("scheduler_config.json"));
    assertThatThrownBy(() -> DiffusionModel.load(dir)).hasMessageContaining("missing")
        .hasMessageContaining("scheduler_config.json");
  }

  @ParameterizedTest
  @CsvSource({"DDIM, 0, 0.0, steps must be >= 1", "DDIM, 10, 1.5, eta must be a finite number in [0, 1]",
      "DDIM, 10, NaN, eta must be a finite number", "DDPM, 10, 0.5, DDPM sampling has eta = 1 by definition"})
  void samplingConfigsAreValidated(DiffusionSampling.Kind kind, int steps, double eta, String message) {
    assertThatThrownBy(() -> new DiffusionSampling(kind, steps, eta)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void samplingFactories() {
    assertThat(DiffusionSampling.ddpm(20)).isEqualTo(new DiffusionSampling(DiffusionSampling.Kind.DDPM, 20, 1));
    assertThat(DiffusionSampling.ddim(50, 0).isStochastic()).isFalse();
    assertThat(DiffusionSampling.ddim(50, 0.3).isStochastic()).isTrue();
    assertThat(DiffusionSampling.ddpm(5).isStochastic()).isTrue();
  }
}
