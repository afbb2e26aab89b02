package dev.ponder.engine.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The forward-noising schedule of a denoiser, read from diffusers' {@code scheduler_config.json}.
 *
 * <p>Convention (diffusers): {@code x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps} with
 * {@code abar_t = prod_{s <= t} (1 - beta_s)}, t in [0, num_train_timesteps - 1]; t = 0 is the least noisy level.
 * Everything is computed in double precision.
 *
 * <p>Supported: {@code beta_schedule} linear | scaled_linear | squaredcos_cap_v2; {@code timestep_spacing}
 * leading | trailing | linspace (with {@code steps_offset}, as diffusers applies it); {@code prediction_type}
 * epsilon only; {@code variance_type} fixed_small | fixed_small_log | fixed_large (DDPM only);
 * {@code clip_sample} with {@code clip_sample_range}; {@code set_alpha_to_one} (DDIM only, default true). A key
 * this class cannot honour ({@code trained_betas}, {@code thresholding}, {@code rescale_betas_zero_snr}, another
 * prediction type) is rejected when the file is read, never ignored. Immutable and thread-safe.
 */
final class NoiseSchedule {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SCHEDULES = List.of("linear", "scaled_linear", "squaredcos_cap_v2");
  private static final List<String> SPACINGS = List.of("leading", "trailing", "linspace");
  private static final List<String> VARIANCES = List.of("fixed_small", "fixed_small_log", "fixed_large");

  private final String source;
  private final double[] alphasCumprod;
  private final boolean clipSample;
  private final double clipSampleRange;
  private final String spacing;
  private final int stepsOffset;
  private final boolean setAlphaToOne;
  private final String varianceType;

  private NoiseSchedule(String source, double[] alphasCumprod, boolean clipSample, double clipSampleRange,
      String spacing, int stepsOffset, boolean setAlphaToOne, String varianceType) {
    this.source = source;
    this.alphasCumprod = alphasCumprod;
    this.clipSample = clipSample;
    this.clipSampleRange = clipSampleRange;
    this.spacing = spacing;
    this.stepsOffset = stepsOffset;
    this.setAlphaToOne = setAlphaToOne;
    this.varianceType = varianceType;
  }

  /**
   * Reads a diffusers scheduler config.
   *
   * @throws IllegalArgumentException when the file is missing or unparsable, or a key holds a value this class
   *                                  does not support (the message names the file, the key, the value and the
   *                                  supported values)
   */
  public static NoiseSchedule read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("missing " + file.toAbsolutePath() + " (a denoiser directory needs diffusers'"
          + " scheduler_config.json beside model.onnx)");
    }
    try {
      return parse(JSON.readTree(file.toFile()), file.toAbsolutePath().toString());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot parse " + file.toAbsolutePath() + ": " + e.getMessage(), e);
    }
  }

  /** Reads {@code scheduler_config.json} from a model source. */
  static NoiseSchedule read(dev.ponder.engine.model.ModelSource source) {
    String name = source.describe("scheduler_config.json");
    byte[] bytes = source.readIfPresent("scheduler_config.json").orElseThrow(() -> new IllegalArgumentException(
        "missing " + name + " (a denoiser needs diffusers' scheduler_config.json beside model.onnx)"));
    try {
      return parse(JSON.readTree(bytes), name);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot parse " + name + ": " + e.getMessage(), e);
    }
  }

  static NoiseSchedule parse(JsonNode c, String source) {
    Keys k = new Keys(c, source);
    int trainSteps = k.integer("num_train_timesteps", 1000);
    if (trainSteps < 1) {
      throw k.bad("num_train_timesteps", trainSteps, "a positive integer");
    }
    k.requireNull("trained_betas", "null (betas come from beta_start, beta_end and beta_schedule)");
    k.requireText("prediction_type", "epsilon", List.of("epsilon"));
    k.requireFalse("thresholding");
    k.requireFalse("rescale_betas_zero_snr");
    double betaStart = k.number("beta_start", 0.0001);
    double betaEnd = k.number("beta_end", 0.02);
    if (!(betaStart > 0 && betaStart <= betaEnd && betaEnd < 1)) {
      throw new IllegalArgumentException(source + ": beta_start " + betaStart + " and beta_end " + betaEnd
          + " must satisfy 0 < beta_start <= beta_end < 1");
    }
    String schedule = k.oneOf("beta_schedule", "linear", SCHEDULES);
    double clipRange = k.number("clip_sample_range", 1.0);
    if (!(clipRange > 0)) {
      throw k.bad("clip_sample_range", clipRange, "a positive number");
    }
    int offset = k.integer("steps_offset", 0);
    if (offset < 0) {
      throw k.bad("steps_offset", offset, "an integer >= 0");
    }
    double[] betas = betas(schedule, betaStart, betaEnd, trainSteps);
    double[] abar = new double[trainSteps];
    double prod = 1;
    for (int t = 0; t < trainSteps; t++) {
      prod *= 1 - betas[t];
      abar[t] = prod;
    }
    return new NoiseSchedule(source, abar, k.bool("clip_sample", true), clipRange,
        k.oneOf("timestep_spacing", "leading", SPACINGS), offset, k.bool("set_alpha_to_one", true),
        k.oneOf("variance_type", "fixed_small", VARIANCES));
  }

  static double[] betas(String schedule, double start, double end, int n) {
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      double f = n == 1 ? 0 : (double) i / (n - 1);
      switch (schedule) {
        case "linear" -> b[i] = start + (end - start) * f;
        case "scaled_linear" -> {
          double s = Math.sqrt(start) + (Math.sqrt(end) - Math.sqrt(start)) * f;
          b[i] = s * s;
        }
        default -> b[i] = Math.min(1 - cosineAlphaBar((i + 1.0) / n) / cosineAlphaBar((double) i / n), 0.999);
      }
    }
    return b;
  }

  /** Nichol and Dhariwal (2021), eq. 17 with s = 0.008, as diffusers' squaredcos_cap_v2. */
  private static double cosineAlphaBar(double t) {
    double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
    return c * c;
  }

  /** T, the number of training timesteps. */
  public int numTrainTimesteps() {
    return alphasCumprod.length;
  }

  /** {@code abar_t = prod_{s <= t} (1 - beta_s)} for t in [0, T - 1]. */
  public double alphaCumprod(int t) {
    if (t < 0 || t >= alphasCumprod.length) {
      throw new IllegalArgumentException("timestep " + t + " is outside [0, " + (alphasCumprod.length - 1) + "]");
    }
    return alphasCumprod[t];
  }

  /** Whether the predicted x_0 is clipped to [-clipSampleRange, clipSampleRange] at each step. */
  public boolean clipSample() {
    return clipSample;
  }

  public double clipSampleRange() {
    return clipSampleRange;
  }

  /**
   * The inference timesteps, noisiest first, by the configured {@code timestep_spacing} (diffusers' formulas):
   * leading {@code (i * (T / n)) + steps_offset} for i = n-1..0 (integer division); trailing
   * {@code round(T - i * T / n) - 1} for i = 0..n-1; linspace {@code round(linspace(0, T - 1, n))} reversed.
   * Rounding is half-to-even, as numpy's.
   *
   * @throws IllegalArgumentException when {@code n} is outside [1, T]
   */
  public int[] timesteps(int n) {
    int trainSteps = alphasCumprod.length;
    if (n < 1 || n > trainSteps) {
      throw new IllegalArgumentException("inference steps must lie in [1, num_train_timesteps = " + trainSteps
          + "] for " + source + ", was " + n + "; choose at most " + trainSteps + " steps");
    }
    int[] ts = new int[n];
    for (int i = 0; i < n; i++) {
      ts[i] = switch (spacing) {
        case "leading" -> (n - 1 - i) * (trainSteps / n) + stepsOffset;
        case "trailing" -> (int) Math.rint(trainSteps - i * ((double) trainSteps / n)) - 1;
        default -> (int) Math.rint(n == 1 ? 0 : (n - 1 - i) * ((trainSteps - 1) / (double) (n - 1)));
      };
      if (ts[i] < 0 || ts[i] >= trainSteps) {
        throw new IllegalArgumentException("with steps_offset " + stepsOffset + " and " + n + " " + spacing
            + " steps, timestep " + ts[i] + " falls outside [0, " + (trainSteps - 1) + "]; use fewer steps");
      }
    }
    return ts;
  }

  /** DDIM's abar for the step past t = 0: 1 with set_alpha_to_one, else abar_0. */
  double finalAlphaCumprod() {
    return setAlphaToOne ? 1.0 : alphasCumprod[0];
  }

  String varianceType() {
    return varianceType;
  }

  String source() {
    return source;
  }

  @Override
  public String toString() {
    return "NoiseSchedule[T=" + alphasCumprod.length + ", spacing=" + spacing + ", clipSample=" + clipSample + "]";
  }

  /** Typed reads of one config's keys, with errors that name the file, key, value and what is supported. */
  private record Keys(JsonNode c, String source) {
    IllegalArgumentException bad(String key, Object found, String supported) {
      return new IllegalArgumentException(source + ": key '" + key + "' is " + found + "; supported: " + supported
          + ". Re-export the scheduler config with a supported value");
    }

    private JsonNode get(String key) {
      JsonNode n = c.get(key);
      return n == null || n.isNull() ? null : n;
    }

    int integer(String key, int fallback) {
      JsonNode n = get(key);
      if (n == null) {
        return fallback;
      }
      if (!n.canConvertToInt() || !n.isIntegralNumber()) {
        throw bad(key, n, "an integer");
      }
      return n.asInt();
    }

    double number(String key, double fallback) {
      JsonNode n = get(key);
      if (n == null) {
        return fallback;
      }
      if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
        throw bad(key, n, "a finite number");
      }
      return n.asDouble();
    }

    boolean bool(String key, boolean fallback) {
      JsonNode n = get(key);
      if (n == null) {
        return fallback;
      }
      if (!n.isBoolean()) {
        throw bad(key, n, "true or false");
      }
      return n.asBoolean();
    }

    String oneOf(String key, String fallback, List<String> allowed) {
      JsonNode n = get(key);
      if (n == null) {
        return fallback;
      }
      String v = n.isTextual() ? n.asText().toLowerCase(Locale.ROOT) : null;
      if (v == null || !allowed.contains(v)) {
        throw bad(key, n, String.join(" | ", allowed));
      }
      return v;
    }

    void requireText(String key, String fallback, List<String> allowed) {
      oneOf(key, fallback, allowed);
    }

    void requireNull(String key, String supported) {
      if (get(key) != null) {
        throw bad(key, get(key).toString().length() > 60 ? "a non-null value" : get(key), supported);
      }
    }

    void requireFalse(String key) {
      if (bool(key, false)) {
        throw bad(key, true, "false (Ponder does not implement " + key + ")");
      }
    }
  }
}
