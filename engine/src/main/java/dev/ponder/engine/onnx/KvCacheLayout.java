package dev.ponder.engine.onnx;

import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.engine.model.ModelContractException;
import java.util.Arrays;
import java.util.List;

/**
 * The KV cache of a decoder export, as the policy and the reward models both read it: {@code layers} pairs of
 * {@code past_key_values.{i}.key|value} inputs and {@code present.{i}.key|value} outputs, each
 * {@code [batch, kvHeads, positions, headDim]}. The graph's own shapes win; {@code config.json} fills only the
 * dimensions the graph leaves symbolic. {@link #NONE} for an export without a cache.
 */
public record KvCacheLayout(int layers, int kvHeads, int headDim) {
  public static final KvCacheLayout NONE = new KvCacheLayout(0, 0, 0);

  /**
   * Reads the layout of {@code model}.
   *
   * @param config the export's config.json (a missing node when there is none)
   * @throws ModelContractException when a KV input is misnamed, or neither the graph nor the config tells the
   *                                head count or head size
   */
  public static KvCacheLayout read(OnnxModel model, JsonNode config) {
    int layers = countLayers(model);
    if (layers == 0) {
      return NONE;
    }
    TensorInfo past = model.inputs().get(pastName(0, true));
    int kvHeads = dimOr(past, 1, firstInt(config, "num_key_value_heads", "n_head", "num_attention_heads"));
    int hidden = firstInt(config, "n_embd", "hidden_size");
    int attnHeads = firstInt(config, "n_head", "num_attention_heads");
    int fromConfig = firstInt(config, "head_dim") > 0 ? firstInt(config, "head_dim")
        : hidden > 0 && attnHeads > 0 ? hidden / attnHeads : -1;
    int headDim = dimOr(past, 3, fromConfig);
    if (kvHeads <= 0 || headDim <= 0) {
      throw new ModelContractException("cannot tell the KV-cache shape of " + model.file() + ": " + pastName(0, true)
          + " is " + Arrays.toString(past.getShape()) + " and config.json gives no usable head count or head size");
    }
    return new KvCacheLayout(layers, kvHeads, headDim);
  }

  /** Whether the export has a cache at all. */
  public boolean cached() {
    return layers > 0;
  }

  /** Declares every past input and present output in {@code contract}. */
  public ModelContract declare(ModelContract contract) {
    for (int l = 0; l < layers; l++) {
      for (boolean key : List.of(true, false)) {
        contract.input(TensorSpec.float32(pastName(l, key), 4));
        contract.output(TensorSpec.float32(presentName(l, key), 4));
      }
    }
    return contract;
  }

  /** Floats of KV state (every layer's keys and values) one position of one row holds. */
  public int floatsPerPosition() {
    return layers * 2 * kvHeads * headDim;
  }

  /** The shape of a past or present tensor of {@code rows} rows at {@code positions} positions. */
  public long[] shape(int rows, int positions) {
    return new long[] {rows, kvHeads, positions, headDim};
  }

  public static String pastName(int layer, boolean key) {
    return "past_key_values." + layer + (key ? ".key" : ".value");
  }

  public static String presentName(int layer, boolean key) {
    return "present." + layer + (key ? ".key" : ".value");
  }

  private static int countLayers(OnnxModel model) {
    int n = 0;
    while (model.inputs().containsKey(pastName(n, true))) {
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

  private static int firstInt(JsonNode config, String... keys) {
    for (String k : keys) {
      JsonNode v = config.get(k);
      if (v != null && v.canConvertToInt()) {
        return v.asInt();
      }
    }
    return -1;
  }
}
