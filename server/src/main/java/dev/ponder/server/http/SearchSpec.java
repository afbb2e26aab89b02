package dev.ponder.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One search as a request asks for it, validated against the server's {@link Limits}: which model, which
 * algorithm with which knobs, decoding, budget and seed. Shared by {@code /v1/search} and the {@code "ponder"}
 * field of the OpenAI endpoints.
 */
public record SearchSpec(String algorithm, int n, int m, String verifier, long seed, double temperature, int topK,
    double topP, double minP, Integer maxNewTokens, long policyTokens, long modelCalls, long verifierCalls,
    Duration deadline, double lambda, String resampling, int targetClass, int steps, double eta, List<String> stop) {

  /** Algorithms over a language-model policy. */
  public static final List<String> LM_ALGORITHMS = List.of("sample", "greedy", "bon", "weighted-bon", "majority",
      "beam", "step-beam", "dvts", "smc", "mcts", "auto");
  /** Algorithms over the digits diffusion model. */
  public static final List<String> DIFFUSION_ALGORITHMS = List.of("fk", "diffusion-sample");
  /** Noise optimization over the digits one-step generator: ReNO (reward gradients) and zero-order search. */
  public static final List<String> NOISE_ALGORITHMS = List.of("reno", "zero-order");

  static final Set<String> KNOB_FIELDS = Set.of("algorithm", "n", "m", "verifier", "lambda", "resampling",
      "target_class", "steps", "eta", "budget");
  static final Set<String> DECODING_FIELDS = Set.of("seed", "temperature", "top_k", "top_p", "min_p",
      "max_new_tokens");
  private static final Set<String> BUDGET_FIELDS = Set.of("policy_tokens", "model_calls", "verifier_calls",
      "deadline_ms");

  public boolean needsOutcomeVerifier() {
    return algorithm.equals("bon") || algorithm.equals("weighted-bon") || algorithm.equals("auto");
  }

  public boolean needsProcessVerifier() {
    return algorithm.equals("step-beam") || algorithm.equals("dvts") || algorithm.equals("smc")
        || algorithm.equals("mcts") || CountdownAlgorithms.needsProcessScorer(algorithm); // auto: if its rule can
  }

  /** The kind of model the request's {@code model} must name. */
  public ModelKind modelKind() {
    if (DIFFUSION_ALGORITHMS.contains(algorithm)) {
      return ModelKind.DENOISER;
    }
    return NOISE_ALGORITHMS.contains(algorithm) ? ModelKind.GENERATOR : ModelKind.POLICY;
  }

  /** Whether the search starts from noise drawn from the seed (a digit search) rather than from a prompt. */
  public boolean startsFromNoise() {
    return modelKind() != ModelKind.POLICY;
  }

  /**
   * Reads the search fields of {@code body}; {@code fallbackAlgorithm} applies when it names none. Decoding fields
   * are read from {@code decodingSource} (the same object for /v1/search, the OpenAI body for the OpenAI endpoints,
   * which have their own names for them and pass them in already translated).
   */
  public static SearchSpec parse(ObjectNode knobs, ObjectNode decodingSource, String fallbackAlgorithm, Limits limits) {
    String algorithm = Json.text(knobs, "algorithm", fallbackAlgorithm);
    if (!LM_ALGORITHMS.contains(algorithm) && !DIFFUSION_ALGORITHMS.contains(algorithm)
        && !NOISE_ALGORITHMS.contains(algorithm)) {
      throw ApiError.invalid("algorithm", "'algorithm' must be one of " + LM_ALGORITHMS + " (language models), "
          + DIFFUSION_ALGORITHMS + " (digits diffusion) or " + NOISE_ALGORITHMS + " (digits generator), found '"
          + algorithm + "'");
    }
    int defaultN = algorithm.equals("sample") || algorithm.equals("greedy") || NOISE_ALGORITHMS.contains(algorithm)
        ? 1 : 8;
    int n = Json.integer(knobs, "n", defaultN, 1, limits.maxN());
    if (algorithm.equals("greedy") && n != 1) {
      throw ApiError.invalid("n", "'greedy' decodes one text (every draw would be the same); found n=" + n);
    }
    int m = Json.integer(knobs, "m", 4, 1, limits.maxN());
    String verifier = Json.text(knobs, "verifier", null);
    double lambda = Json.number(knobs, "lambda", 10, 0, 1e6);
    String resampling = Json.text(knobs, "resampling", "systematic");
    if (!List.of("multinomial", "stratified", "systematic", "residual").contains(resampling)) {
      throw ApiError.invalid("resampling", "'resampling' must be multinomial, stratified, systematic or residual,"
          + " found '" + resampling + "'");
    }
    int targetClass = Json.integer(knobs, "target_class", -1, 0, 9);
    if ((algorithm.equals("fk") || NOISE_ALGORITHMS.contains(algorithm)) && targetClass < 0) {
      throw ApiError.missing("target_class", "a digit 0..9 to steer toward");
    }
    // Denoising steps for the diffusion searches; iterations (reno) or rounds (zero-order) for noise optimization.
    int steps = Json.integer(knobs, "steps", NOISE_ALGORITHMS.contains(algorithm) ? 20 : 50, 1, 1000);
    double eta = Json.number(knobs, "eta", 1.0, 0, 1);

    long seed = Json.optionalLong(decodingSource, "seed") == null ? 0 : Json.optionalLong(decodingSource, "seed");
    double temperature = Json.number(decodingSource, "temperature", 1.0, 0, 100);
    int topK = Json.integer(decodingSource, "top_k", 0, 0, Integer.MAX_VALUE);
    double topP = Json.number(decodingSource, "top_p", 1.0, 0, 1);
    if (topP == 0) {
      throw ApiError.invalid("top_p", "'top_p' must be in (0, 1], found 0");
    }
    double minP = Json.number(decodingSource, "min_p", 0.0, 0, 0.999999);
    int maxNew = Json.integer(decodingSource, "max_new_tokens", 0, 0, limits.maxNewTokens());
    if (Json.present(decodingSource, "max_new_tokens") && maxNew < 1) {
      throw ApiError.invalid("max_new_tokens", "'max_new_tokens' must be in [1, " + limits.maxNewTokens()
          + "], found 0");
    }

    ObjectNode budget = Json.object(knobs, "budget");
    long policyTokens = limits.maxPolicyTokens();
    long modelCalls = Long.MAX_VALUE;
    long verifierCalls = Long.MAX_VALUE;
    Duration deadline = limits.maxDeadline();
    if (budget != null) {
      Json.rejectUnknown(budget, "budget.", BUDGET_FIELDS);
      policyTokens = bounded(budget, "policy_tokens", limits.maxPolicyTokens());
      modelCalls = bounded(budget, "model_calls", Long.MAX_VALUE);
      verifierCalls = bounded(budget, "verifier_calls", Long.MAX_VALUE);
      long maxMs = limits.maxDeadline().toMillis();
      deadline = Duration.ofMillis(bounded(budget, "deadline_ms", maxMs));
    }
    return new SearchSpec(algorithm, n, m, verifier, seed, temperature, topK, topP, minP,
        maxNew > 0 ? maxNew : null, policyTokens, modelCalls, verifierCalls, deadline, lambda, resampling,
        targetClass, steps, eta, List.of());
  }

  /** The same search, ending each text at the first of these strings it generates (OpenAI's {@code stop}). */
  public SearchSpec withStop(List<String> value) {
    return new SearchSpec(algorithm, n, m, verifier, seed, temperature, topK, topP, minP, maxNewTokens, policyTokens,
        modelCalls, verifierCalls, deadline, lambda, resampling, targetClass, steps, eta, List.copyOf(value));
  }

  private static long bounded(ObjectNode budget, String field, long max) {
    Long v = Json.optionalLong(budget, field);
    if (v == null) {
      return max;
    }
    if (v < 1 || v > max) {
      throw ApiError.invalid("budget." + field, "'budget." + field + "' must be in [1, " + max + "], found " + v);
    }
    return v;
  }
}
