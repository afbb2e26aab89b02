package dev.ponder.engine.lm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.ponder.engine.onnx.Lifecycle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json}, through DJL's bindings, with truncation and padding switched off
 * explicitly (DJL would otherwise cut inputs at 512 tokens without a word). Special tokens are not added: the
 * prompt is encoded exactly as given.
 */
public final class LmTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final Path file;
  private final Lifecycle lifecycle;

  private LmTokenizer(HuggingFaceTokenizer tokenizer, Path file) {
    this.tokenizer = tokenizer;
    this.file = file;
    this.lifecycle = new Lifecycle("tokenizer " + file);
  }

  public static LmTokenizer load(Path tokenizerJson) {
    if (!Files.isRegularFile(tokenizerJson)) {
      throw new IllegalArgumentException("tokenizer file not found: " + tokenizerJson.toAbsolutePath()
          + " (expected a Hugging Face tokenizer.json beside the model)");
    }
    try {
      return new LmTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of(
          "addSpecialTokens", "false", "truncation", "false", "padding", "false")), tokenizerJson);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("could not read tokenizer " + tokenizerJson.toAbsolutePath() + ": " + e.getMessage(), e);
    }
  }

  public int[] encode(String text) {
    long[] ids;
    try (Lifecycle.Guard entered = lifecycle.enter()) {
      ids = tokenizer.encode(text, false, false).getIds();
    }
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /** Decodes tokens to text; special tokens are kept when {@code skipSpecial} is false. */
  public String decode(int[] tokens, boolean skipSpecial) {
    long[] ids = new long[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      ids[i] = tokens[i];
    }
    try (Lifecycle.Guard entered = lifecycle.enter()) {
      return tokenizer.decode(ids, skipSpecial);
    }
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    lifecycle.close(tokenizer::close);
  }
}
