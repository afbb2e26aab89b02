package dev.ponder.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a served model directory holds, read from its {@code config.json}. */
public enum ModelKind {
  /** A causal language model (Hugging Face {@code *LMHeadModel} / {@code *ForCausalLM}): the policy. */
  POLICY("policy"),
  /** A causal language model served by another engine behind /v1/completions ({@link RemoteModel}). */
  REMOTE_POLICY("remote-policy"),
  /** A sequence classifier: an outcome reward model (one score per text). */
  ORM("orm"),
  /** A token classifier: a process reward model (one score per step). */
  PRM("prm"),
  /** A diffusion denoiser (digits). */
  DENOISER("denoiser"),
  /** An image classifier on clean samples (digits). */
  CLASSIFIER("classifier"),
  /** An image classifier on noisy samples at a timestep (digits). */
  NOISY_CLASSIFIER("noisy-classifier"),
  /** A one-step generator from noise (digits). */
  GENERATOR("generator"),
  /** A reward with its gradient with respect to the generator's noise (digits). */
  REWARD_GRADIENT("reward-gradient");

  private final String label;

  ModelKind(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /**
   * Reads {@code dir/config.json}; fails naming the file and what it found when the kind cannot be told. A folder
   * with onnxruntime-genai's {@code genai_config.json} and no config.json is a policy (the model builder writes
   * decoder language models).
   */
  public static ModelKind of(Path dir) {
    Path config = dir.resolve("config.json");
    if (!Files.exists(config) && Files.isRegularFile(dir.resolve("genai_config.json"))) {
      return POLICY;
    }
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(Files.readString(config));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + config + ": " + e.getMessage(), e);
    }
    String kind = node.path("kind").asText("");
    switch (kind) {
      case "denoiser":
        return DENOISER;
      case "classifier":
        return CLASSIFIER;
      case "noise-aware classifier":
        return NOISY_CLASSIFIER;
      case "one-step generator":
        return GENERATOR;
      case "differentiable reward":
        return REWARD_GRADIENT;
      default:
        break;
    }
    JsonNode archs = node.path("architectures");
    String arch = archs.isArray() && archs.size() > 0 ? archs.get(0).asText() : "";
    if (arch.endsWith("LMHeadModel") || arch.endsWith("ForCausalLM")) {
      return POLICY;
    }
    if (arch.endsWith("ForSequenceClassification")) {
      return ORM;
    }
    if (arch.endsWith("ForTokenClassification")) {
      return PRM;
    }
    throw new IllegalArgumentException(config + ": expected \"architectures\" ending in LMHeadModel, ForCausalLM,"
        + " ForSequenceClassification or ForTokenClassification, or a digits \"kind\"; found architectures "
        + archs + " and kind '" + kind + "'");
  }
}
