package dev.ponder.verifiers.onnx;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.OnnxModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The one loader of the ONNX verifiers' exports, text and image alike, from any {@link ModelSource} (a directory,
 * the classpath, a URL): {@code model.onnx}, an optional {@code config.json} and, for text models,
 * {@code tokenizer.json}.
 */
record ModelDir(ModelSource source, JsonNode config) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static ModelDir open(Path dir) {
    return open(dir, "model.onnx and tokenizer.json");
  }

  /** The export in {@code dir}; {@code expected} names its files for the error when the directory is missing. */
  static ModelDir open(Path dir, String expected) {
    Objects.requireNonNull(dir, "model directory");
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model directory not found: " + dir.toAbsolutePath() + " (expected a"
          + " directory with " + expected + ")");
    }
    return open(ModelSource.directory(dir));
  }

  static ModelDir open(ModelSource source) {
    Objects.requireNonNull(source, "model source");
    JsonNode config = MissingNode.getInstance();
    Optional<byte[]> bytes = source.readIfPresent("config.json");
    if (bytes.isPresent()) {
      try {
        config = JSON.readTree(bytes.get());
      } catch (IOException e) {
        throw new IllegalArgumentException("could not read " + source.describe("config.json") + ": "
            + e.getMessage(), e);
      }
    }
    return new ModelDir(source, config);
  }

  /** The ONNX model, by path from a directory, from its bytes otherwise. */
  OnnxModel model(ModelOptions options) {
    return OnnxModel.load(source, "model.onnx", options);
  }

  /** The Hugging Face tokenizer beside the model. */
  TextTokenizer tokenizer(boolean addSpecialTokens) {
    return TextTokenizer.load(source, "tokenizer.json", addSpecialTokens);
  }

  /** Another file of the export, if there. */
  Optional<byte[]> read(String fileName) {
    return source.readIfPresent(fileName);
  }

  /** The first of these integer fields in config.json, or -1. */
  int configInt(String... names) {
    for (String n : names) {
      JsonNode v = config.get(n);
      if (v != null && v.canConvertToInt()) {
        return v.asInt();
      }
    }
    return -1;
  }

  /** How many positions the model handles: config.json's n_positions or max_position_embeddings, or -1. */
  int maxPositions() {
    return configInt("n_positions", "max_position_embeddings");
  }

  /** config.json's pad_token_id, else {@code fallback}. */
  int padId(int fallback) {
    int pad = configInt("pad_token_id");
    return pad >= 0 ? pad : fallback;
  }

  /** The label count from config.json (num_labels or id2label), or -1. */
  int labels() {
    int n = configInt("num_labels");
    if (n > 0) {
      return n;
    }
    JsonNode ids = config.get("id2label");
    return ids != null && ids.isObject() ? ids.size() : -1;
  }
}
