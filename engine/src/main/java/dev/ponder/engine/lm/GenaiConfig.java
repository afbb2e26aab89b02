package dev.ponder.engine.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.OnnxModel;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * An export written by onnxruntime-genai's model builder, as its {@code genai_config.json} describes it: the
 * decoder's file, head counts, head size, layers, context length, vocabulary and eos/pad ids (its {@code model}
 * section), and whether past and present share one buffer ({@code search.past_present_share_buffer}).
 *
 * <p>Ponder reads the tensors by its own names ({@code input_ids}, {@code attention_mask}, {@code logits},
 * {@code past_key_values.%d.key|value}, {@code present.%d.key|value}), which are the builder's; an export that
 * renames them is refused with the names expected and found.
 */
record GenaiConfig(String file, JsonNode hfConfig, boolean shareBuffer) {
  static final String NAME = "genai_config.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** genai_config key (decoder.inputs / decoder.outputs) -> the tensor name Ponder uses. */
  private static final Map<String, String> INPUTS = Map.of("input_ids", "input_ids", "attention_mask",
      "attention_mask", "position_ids", "position_ids", "past_key_names", "past_key_values.%d.key",
      "past_value_names", "past_key_values.%d.value");
  private static final Map<String, String> OUTPUTS = Map.of("logits", "logits", "present_key_names",
      "present.%d.key", "present_value_names", "present.%d.value");

  /** The export's genai_config.json, empty when it has none. */
  static Optional<GenaiConfig> read(ModelSource source) {
    Optional<byte[]> bytes = source.readIfPresent(NAME);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes.get());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot parse " + source.describe(NAME) + ": " + e.getMessage(), e);
    }
    String where = source.describe(NAME);
    JsonNode model = root == null ? null : root.get("model");
    JsonNode decoder = model == null ? null : model.get("decoder");
    if (decoder == null || !decoder.isObject()) {
      throw new ModelContractException(where + " has no model.decoder section: expected the genai_config.json that"
          + " onnxruntime-genai's model builder writes for a decoder-only model");
    }
    checkNames(decoder.path("inputs"), INPUTS, where, "inputs");
    checkNames(decoder.path("outputs"), OUTPUTS, where, "outputs");
    ObjectNode hf = JSON.createObjectNode(); // the config.json keys LmConfig and KvCacheLayout read
    copy(decoder, "num_hidden_layers", hf, "num_hidden_layers");
    copy(decoder, "num_attention_heads", hf, "num_attention_heads");
    copy(decoder, "num_key_value_heads", hf, "num_key_value_heads");
    copy(decoder, "head_size", hf, "head_dim");
    copy(decoder, "hidden_size", hf, "hidden_size");
    copy(model, "context_length", hf, "max_position_embeddings");
    copy(model, "vocab_size", hf, "vocab_size");
    copy(model, "eos_token_id", hf, "eos_token_id");
    copy(model, "pad_token_id", hf, "pad_token_id");
    String file = decoder.path("filename").asText("model.onnx");
    boolean share = root.path("search").path("past_present_share_buffer").asBoolean(false);
    return Optional.of(new GenaiConfig(file, hf, share));
  }

  /**
   * Whether the graph computes its attention from each row's mask sum, as {@code GroupQueryAttention} does
   * ({@code seqlens_k = sum(attention_mask) - 1}, {@code total_sequence_length = mask width}): rotary positions
   * inside the graph (a {@code cos_cache} initializer, no {@code position_ids} input) or a shared past/present
   * buffer, which only GroupQueryAttention exports declare. Such a graph needs {@link GqaForward}'s layout, also
   * when it comes with a config.json instead of its genai_config.json.
   */
  static boolean maskSumAttention(OnnxModel model, Optional<GenaiConfig> genai) {
    boolean shareBuffer = genai.map(GenaiConfig::shareBuffer).orElse(false);
    boolean rotaryInside = model.initializerNames().stream().anyMatch(n -> n.equals("cos_cache") || n.endsWith(
        ".cos_cache")) && !model.inputs().containsKey("position_ids");
    return shareBuffer || rotaryInside;
  }

  private static void checkNames(JsonNode names, Map<String, String> ours, String where, String section) {
    names.fields().forEachRemaining(e -> {
      String expected = ours.get(e.getKey());
      if (expected == null) {
        throw new ModelContractException(where + ": decoder." + section + " names '" + e.getKey() + "' (tensor '"
            + e.getValue().asText() + "'), which Ponder does not feed; supported: " + ours.keySet());
      }
      if (!expected.equals(e.getValue().asText())) {
        throw new ModelContractException(where + ": decoder." + section + "." + e.getKey() + " is '"
            + e.getValue().asText() + "'; Ponder reads this tensor as '" + expected + "' (the model builder's name)."
            + " Re-export with the builder's names");
      }
    });
  }

  private static void copy(JsonNode from, String key, ObjectNode to, String as) {
    if (from.has(key)) {
      to.set(as, from.get(key));
    }
  }
}
