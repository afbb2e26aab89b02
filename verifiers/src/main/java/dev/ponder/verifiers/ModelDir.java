package dev.ponder.verifiers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** An export directory: {@code model.onnx}, {@code tokenizer.json} and an optional {@code config.json}. */
record ModelDir(Path dir, JsonNode config) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static ModelDir open(Path dir) {
    Objects.requireNonNull(dir, "model directory");
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model directory not found: " + dir.toAbsolutePath() + " (expected a"
          + " directory with model.onnx and tokenizer.json)");
    }
    Path cfg = dir.resolve("config.json");
    JsonNode config = MissingNode.getInstance();
    if (Files.isRegularFile(cfg)) {
      try {
        config = JSON.readTree(cfg.toFile());
      } catch (IOException e) {
        throw new IllegalArgumentException("could not read " + cfg.toAbsolutePath() + ": " + e.getMessage(), e);
      }
    }
    return new ModelDir(dir, config);
  }

  Path model() {
    return dir.resolve("model.onnx");
  }

  Path tokenizer() {
    return dir.resolve("tokenizer.json");
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
