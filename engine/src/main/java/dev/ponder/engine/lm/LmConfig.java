package dev.ponder.engine.lm;

import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.onnx.ModelContractException;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What Ponder needs to know about a decoder export, read from the model's own input metadata first and from
 * {@code config.json} / {@code generation_config.json} only where the metadata leaves a dimension symbolic.
 */
record LmConfig(int layers, int kvHeads, int headDim, int vocab, int maxPositions, boolean hasCache,
    boolean hasPositionIds, Set<Integer> eosIds, int padId, int defaultMaxNewTokens) {

  private static final ObjectMapper JSON = new ObjectMapper();

  static LmConfig read(OnnxModel model, Path dir) {
    JsonNode config = readJson(dir.resolve("config.json"), true);
    JsonNode generation = readJson(dir.resolve("generation_config.json"), false);

    ModelContract contract = ModelContract.of("decoder language")
        .input(TensorSpec.int64("input_ids", 2))
        .input(TensorSpec.int64("attention_mask", 2))
        .output(TensorSpec.float32("logits", 3));
    boolean hasPositionIds = model.inputs().containsKey("position_ids");
    if (hasPositionIds) {
      contract.input(TensorSpec.int64("position_ids", 2));
    }
    int layers = countLayers(model);
    for (int i = 0; i < layers; i++) {
      for (String kv : List.of("key", "value")) {
        contract.input(TensorSpec.float32("past_key_values." + i + "." + kv, 4));
        contract.output(TensorSpec.float32("present." + i + "." + kv, 4));
      }
    }
    contract.verify(model);

    int vocab = dimOrConfig(model.outputs().get("logits"), 2, config, "vocab_size");
    int kvHeads = 0;
    int headDim = 0;
    if (layers > 0) {
      TensorInfo past = model.inputs().get("past_key_values.0.key");
      int heads = firstInt(config, "num_key_value_heads", "n_head", "num_attention_heads");
      kvHeads = dimOr(past, 1, heads);
      int hidden = firstInt(config, "n_embd", "hidden_size");
      int attnHeads = firstInt(config, "n_head", "num_attention_heads");
      int fromConfig = config.has("head_dim") ? config.get("head_dim").asInt()
          : (hidden > 0 && attnHeads > 0 ? hidden / attnHeads : -1);
      headDim = dimOr(past, 3, fromConfig);
      if (kvHeads <= 0 || headDim <= 0) {
        throw new ModelContractException("cannot tell the KV-cache shape of " + model.file() + ": past_key_values.0.key is "
            + java.util.Arrays.toString(past.getShape()) + " and config.json gives no usable head count or head size");
      }
    }
    int maxPositions = firstInt(config, "n_positions", "max_position_embeddings");
    Set<Integer> eos = ids(generation.has("eos_token_id") ? generation.get("eos_token_id") : config.get("eos_token_id"));
    if (eos.isEmpty()) {
      throw new ModelContractException("no eos_token_id in " + dir.resolve("generation_config.json") + " or config.json");
    }
    Set<Integer> pads = ids(generation.has("pad_token_id") ? generation.get("pad_token_id") : config.get("pad_token_id"));
    int pad = pads.isEmpty() ? eos.iterator().next() : pads.iterator().next();
    int maxNew = generation.has("max_new_tokens") ? generation.get("max_new_tokens").asInt() : 64;
    return new LmConfig(layers, kvHeads, headDim, vocab, maxPositions > 0 ? maxPositions : Integer.MAX_VALUE,
        layers > 0, hasPositionIds, eos, pad, maxNew);
  }

  private static int countLayers(OnnxModel model) {
    int n = 0;
    while (model.inputs().containsKey("past_key_values." + n + ".key")) {
      n++;
    }
    for (String name : model.inputs().keySet()) {
      if (name.startsWith("past_key_values.") && !name.matches("past_key_values\\.\\d+\\.(key|value)")) {
        throw new ModelContractException("unexpected KV input '" + name + "' in " + model.file()
            + "; expected past_key_values.{i}.key / past_key_values.{i}.value");
      }
    }
    return n;
  }

  private static int dimOr(TensorInfo info, int axis, int fallback) {
    long d = info.getShape()[axis];
    return d > 0 ? (int) d : fallback;
  }

  private static int dimOrConfig(TensorInfo info, int axis, JsonNode config, String key) {
    long d = info.getShape()[axis];
    if (d > 0) {
      return (int) d;
    }
    if (config.has(key)) {
      return config.get(key).asInt();
    }
    throw new ModelContractException("logits has a symbolic vocabulary axis and config.json has no " + key);
  }

  private static int firstInt(JsonNode config, String... keys) {
    for (String k : keys) {
      if (config.has(k) && config.get(k).canConvertToInt()) {
        return config.get(k).asInt();
      }
    }
    return -1;
  }

  private static Set<Integer> ids(JsonNode node) {
    Set<Integer> out = new LinkedHashSet<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (node.isArray()) {
      node.forEach(n -> out.add(n.asInt()));
    } else {
      out.add(node.asInt());
    }
    return out;
  }

  private static JsonNode readJson(Path file, boolean required) {
    if (!Files.isRegularFile(file)) {
      if (required) {
        throw new IllegalArgumentException("missing " + file.toAbsolutePath() + " (expected a Hugging Face export directory"
            + " with model.onnx, config.json, tokenizer.json and generation_config.json)");
      }
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot parse " + file.toAbsolutePath() + ": " + e.getMessage(), e);
    }
  }

  List<String> pastNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      names.add("past_key_values." + i + ".key");
      names.add("past_key_values." + i + ".value");
    }
    return names;
  }
}
