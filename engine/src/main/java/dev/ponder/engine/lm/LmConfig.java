package dev.ponder.engine.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.KvCacheLayout;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What Ponder needs to know about a decoder export, read from the model's own input metadata first and from
 * {@code config.json} / {@code generation_config.json} only where the metadata leaves a dimension symbolic.
 */
record LmConfig(int layers, int kvHeads, int headDim, int vocab, int maxPositions, boolean hasCache,
    boolean hasPositionIds, Set<Integer> eosIds, int padId, int defaultMaxNewTokens) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Embedding tables whose rows are the vocabulary, by the last parts of the names Hugging Face models give them
   * (an export may prefix them: {@code transformer.wte.weight}, {@code g.t.wte.weight}).
   */
  private static final List<String> EMBEDDINGS = List.of("wte.weight", "embed_tokens.weight", "embed_in.weight",
      "word_embeddings.weight");
  /** Learned position tables, by the last parts of their names, and how many rows are not positions (OPT: 2). */
  private static final List<Map.Entry<String, Integer>> POSITION_TABLES = List.of(Map.entry("wpe.weight", 0),
      Map.entry("decoder.embed_positions.weight", 2));

  /**
   * Reads and cross-checks an export: the graph's own shapes win, and a {@code config.json} or
   * {@code generation_config.json} value that disagrees with them is an error naming both.
   *
   * @throws ModelContractException when the graph breaks the decoder contract, is not a language model, or its
   *                                configuration disagrees with it
   * @throws IllegalArgumentException when config.json is missing or unreadable
   */
  static LmConfig read(OnnxModel model, ModelSource source) {
    return read(model, source, Optional.empty());
  }

  /** As {@link #read(OnnxModel, ModelSource)}; an onnxruntime-genai export without config.json is read from its genai_config.json. */
  static LmConfig read(OnnxModel model, ModelSource source, Optional<GenaiConfig> genai) {
    boolean fromGenai = genai.isPresent() && source.readIfPresent("config.json").isEmpty();
    JsonNode config = fromGenai ? genai.get().hfConfig() : readJson(source, "config.json", true);
    JsonNode generation = readJson(source, "generation_config.json", false);
    String configName = source.describe(fromGenai ? GenaiConfig.NAME : "config.json");

    ModelContract contract = ModelContract.of("decoder language")
        .input(TensorSpec.int64("input_ids", 2))
        .input(TensorSpec.int64("attention_mask", 2))
        .output(TensorSpec.float32("logits", 3));
    boolean hasPositionIds = model.inputs().containsKey("position_ids");
    if (hasPositionIds) {
      contract.input(TensorSpec.int64("position_ids", 2));
    }
    KvCacheLayout kv = KvCacheLayout.read(model, config);
    kv.declare(contract);
    contract.verify(model);

    int vocab = vocabulary(model, config, configName);
    int maxPositions = positions(model, config, configName);
    String generationName = source.describe("generation_config.json");
    boolean eosInGeneration = generation.has("eos_token_id");
    Set<Integer> eos = ids(eosInGeneration ? generation.get("eos_token_id") : config.get("eos_token_id"),
        "eos_token_id", eosInGeneration ? generationName : configName, vocab);
    if (eos.isEmpty()) {
      throw new ModelContractException("no eos_token_id in " + generationName + " or " + configName);
    }
    boolean padInGeneration = generation.has("pad_token_id");
    Set<Integer> pads = ids(padInGeneration ? generation.get("pad_token_id") : config.get("pad_token_id"),
        "pad_token_id", padInGeneration ? generationName : configName, vocab);
    int pad = pads.isEmpty() ? eos.iterator().next() : pads.iterator().next();
    int maxNew = 64;
    if (generation.hasNonNull("max_new_tokens")) {
      JsonNode n = generation.get("max_new_tokens");
      if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1) {
        throw new ModelContractException(generationName + ": max_new_tokens must be an integer >= 1, was " + n);
      }
      maxNew = n.asInt();
    }
    return new LmConfig(kv.layers(), kv.kvHeads(), kv.headDim(), vocab, maxPositions, kv.cached(), hasPositionIds, eos,
        pad, maxNew);
  }

  /**
   * The vocabulary: the last dimension of {@code logits} when the graph fixes it, else the rows of the embedding
   * table, else {@code vocab_size}; a {@code vocab_size} that disagrees with the graph is an error.
   */
  private static int vocabulary(OnnxModel model, JsonNode config, String configName) {
    OptionalInt declared = positiveInt(config, "vocab_size", configName);
    long[] logits = model.outputs().get("logits").getShape();
    String found = null;
    int graph = -1;
    if (logits[2] > 0) {
      graph = Math.toIntExact(logits[2]);
      found = "the graph's 'logits' output " + java.util.Arrays.toString(logits) + " has " + graph;
    } else {
      for (String name : model.initializerNames()) {
        Optional<long[]> shape = model.initializerShape(name);
        if (EMBEDDINGS.stream().anyMatch(e -> named(name, e)) && shape.get().length == 2) {
          graph = Math.toIntExact(shape.get()[0]);
          found = "the graph's embedding table '" + name + "' " + java.util.Arrays.toString(shape.get()) + " has " + graph
              + " rows";
          break;
        }
      }
    }
    rejectClassifier(model, config, declared, graph);
    if (graph > 0) {
      if (declared.isPresent() && declared.getAsInt() != graph) {
        throw new ModelContractException(configName + " says vocab_size " + declared.getAsInt() + " but " + found
            + ": the configuration does not describe " + model.file() + "; export them together or fix vocab_size");
      }
      return graph;
    }
    if (declared.isEmpty()) {
      throw new ModelContractException("cannot tell the vocabulary of " + model.file() + ": 'logits' has a symbolic last"
          + " dimension, the graph has no embedding table (named *" + EMBEDDINGS + "), and " + configName
          + " has no vocab_size");
    }
    return declared.getAsInt();
  }

  /** A token- or sequence-classification head is a reward model, not a policy: say so instead of a vocab error. */
  private static void rejectClassifier(OnnxModel model, JsonNode config, OptionalInt vocab, int logitsWidth) {
    String architecture = null;
    for (JsonNode a : config.path("architectures")) {
      if (a.asText().endsWith("ForTokenClassification") || a.asText().endsWith("ForSequenceClassification")) {
        architecture = a.asText();
      }
    }
    int labels = config.path("id2label").size();
    boolean labelWidth = labels > 0 && logitsWidth == labels && (vocab.isEmpty() || vocab.getAsInt() != labels);
    if (architecture != null || labelWidth) {
      throw new ModelContractException(model.file() + " is a classification model, not a language model: "
          + (architecture != null ? "config.json names " + architecture + ", and " : "")
          + "its 'logits' output has " + (logitsWidth > 0 ? logitsWidth : "a symbolic number of") + " value(s) per position"
          + (labels > 0 ? " (" + labels + " label(s) in id2label)" : "") + " where a language model has one per"
          + " vocabulary token" + (vocab.isPresent() ? " (vocab_size " + vocab.getAsInt() + ")" : "")
          + ". Load a token-classification model as a process reward model (verifiers: OnnxProcessReward) and a"
          + " sequence-classification model as an outcome reward model (OnnxOutcomeReward).");
    }
  }

  /**
   * The positions the model handles: the rows of its learned position table when it has one (a config value that
   * disagrees is an error), else {@code n_positions} / {@code max_position_embeddings}, else the rows of a
   * rotary cos/sin cache; a model that tells none of these is an error, so the prompt-length guard always holds.
   */
  private static int positions(OnnxModel model, JsonNode config, String configName) {
    OptionalInt declared = positiveInt(config, "n_positions", configName);
    String key = "n_positions";
    if (declared.isEmpty()) {
      declared = positiveInt(config, "max_position_embeddings", configName);
      key = "max_position_embeddings";
    }
    for (String name : model.initializerNames()) {
      Optional<long[]> shape = model.initializerShape(name);
      Optional<Map.Entry<String, Integer>> table = POSITION_TABLES.stream()
          .filter(t -> named(name, t.getKey())).findFirst();
      if (table.isPresent() && shape.get().length == 2) {
        int rows = Math.toIntExact(shape.get()[0]) - table.get().getValue();
        if (declared.isPresent() && declared.getAsInt() != rows) {
          throw new ModelContractException(configName + " says " + key + " " + declared.getAsInt() + " but the graph's"
              + " position table '" + name + "' " + java.util.Arrays.toString(shape.get()) + " holds " + rows
              + " positions: prompts past " + rows + " tokens would fail inside the model; set " + key + " to " + rows
              + " or remove it");
        }
        return rows;
      }
    }
    if (declared.isPresent()) {
      return declared.getAsInt(); // rotary models: nothing in the graph bounds positions, the config is all there is
    }
    for (String name : model.initializerNames()) {
      Optional<long[]> shape = model.initializerShape(name);
      if ((name.contains("cos_cached") || name.contains("cos_cache")) && shape.get().length == 2) {
        return Math.toIntExact(shape.get()[0]);
      }
    }
    throw new ModelContractException("cannot tell how many positions " + model.file() + " handles: " + configName
        + " has no n_positions or max_position_embeddings, and the graph has neither a learned position table (named *"
        + POSITION_TABLES.stream().map(Map.Entry::getKey).toList() + ") nor a rotary cos cache; add max_position_embeddings to " + configName);
  }

  /** Whether an initializer's name is {@code suffix} or ends with {@code .suffix}. */
  private static boolean named(String name, String suffix) {
    return name.equals(suffix) || name.endsWith("." + suffix);
  }

  /**
   * The value of an integer key, empty when absent or null.
   *
   * @throws ModelContractException when it is present but not a positive integer
   */
  private static OptionalInt positiveInt(JsonNode config, String key, String file) {
    JsonNode n = config.get(key);
    if (n == null || n.isNull()) {
      return OptionalInt.empty();
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 1) {
      throw new ModelContractException(file + ": " + key + " must be a positive integer, was " + n);
    }
    return OptionalInt.of(n.asInt());
  }

  /** Token ids (one or a list), each checked against the vocabulary the graph has. */
  private static Set<Integer> ids(JsonNode node, String key, String file, int vocab) {
    Set<Integer> out = new LinkedHashSet<>();
    if (node == null || node.isNull()) {
      return out;
    }
    for (JsonNode n : node.isArray() ? node : List.of(node)) {
      if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0 || n.asInt() >= vocab) {
        throw new ModelContractException(file + ": " + key + " " + node + " is not a token id of this model; expected"
            + " integers in [0, " + vocab + ") (the vocabulary of its graph)");
      }
      out.add(n.asInt());
    }
    return out;
  }

  private static JsonNode readJson(ModelSource source, String name, boolean required) {
    Optional<byte[]> bytes = source.readIfPresent(name);
    if (bytes.isEmpty()) {
      if (required) {
        throw new IllegalArgumentException("missing " + source.describe(name) + " (expected a Hugging Face export"
            + " with model.onnx, config.json, tokenizer.json and generation_config.json)");
      }
      return JSON.createObjectNode();
    }
    try {
      JsonNode node = JSON.readTree(bytes.get());
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException("cannot parse " + source.describe(name) + ": expected a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot parse " + source.describe(name) + ": " + e.getMessage(), e);
    }
  }

  List<String> pastNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      names.add(KvCacheLayout.pastName(i, true));
      names.add(KvCacheLayout.pastName(i, false));
    }
    return names;
  }
}
