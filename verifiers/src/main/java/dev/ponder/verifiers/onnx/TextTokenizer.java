package dev.ponder.verifiers.onnx;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.Lifecycle;
import dev.ponder.verifiers.internal.Quoted;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward.Overflow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face {@code tokenizer.json} through DJL, with truncation and padding off (DJL would otherwise cut at
 * 512 tokens silently): lengths are checked and cut here, by an explicit {@link Overflow} policy.
 * Thread-safe; {@link #close()} waits for encodes in flight.
 *
 * <p>Encoding reads only the ids (and the special-token mask when a cut needs it) through DJL's JNI binding:
 * {@link HuggingFaceTokenizer#encode(String)} also builds every token's string and character span, which took
 * most of a best-of-16 ORM call's Java time (async-profiler, 2026-12-02).
 */
final class TextTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final boolean addSpecialTokens;
  private final Path file;
  private final Lifecycle lifecycle;

  private TextTokenizer(HuggingFaceTokenizer tokenizer, boolean addSpecialTokens, Path file) {
    this.tokenizer = tokenizer;
    this.addSpecialTokens = addSpecialTokens;
    this.file = file;
    this.lifecycle = new Lifecycle("tokenizer " + file);
  }

  /** @param addSpecialTokens whether to add the tokenizer's template tokens ([CLS] ... [SEP] for BERT) */
  static TextTokenizer load(Path tokenizerJson, boolean addSpecialTokens) {
    if (!Files.isRegularFile(tokenizerJson)) {
      throw new IllegalArgumentException("tokenizer file not found: " + tokenizerJson.toAbsolutePath()
          + " (expected a Hugging Face tokenizer.json beside model.onnx)");
    }
    try {
      return new TextTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("addSpecialTokens",
          String.valueOf(addSpecialTokens), "truncation", "false", "padding", "false")), addSpecialTokens, tokenizerJson);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("could not read tokenizer " + tokenizerJson.toAbsolutePath() + ": "
          + e.getMessage(), e);
    }
  }

  /** A tokenizer file of a model source: by path from a directory, from its bytes otherwise. */
  static TextTokenizer load(ModelSource source, String fileName, boolean addSpecialTokens) {
    Optional<Path> dir = source.directory();
    if (dir.isPresent()) {
      return load(dir.get().resolve(fileName), addSpecialTokens);
    }
    byte[] bytes = source.readIfPresent(fileName).orElseThrow(() -> new IllegalArgumentException(
        "tokenizer file not found: " + source.describe(fileName) + " (expected a Hugging Face tokenizer.json beside"
            + " model.onnx)"));
    try {
      return new TextTokenizer(HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(bytes),
          Map.of("addSpecialTokens", String.valueOf(addSpecialTokens), "truncation", "false", "padding", "false")),
          addSpecialTokens, Path.of(source.describe(fileName)));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("could not read tokenizer " + source.describe(fileName) + ": "
          + e.getMessage(), e);
    }
  }

  /** The ids of {@code text}, fitted to {@code maxLength} by {@code overflow}; at least one. */
  long[] encode(String text, int maxLength, Overflow overflow, String verifier) {
    return encode(text, maxLength, overflow, verifier, false);
  }

  /** The ids of {@code text}, fitted to {@code maxLength} by {@code overflow}; none only when {@code mayBeEmpty}. */
  long[] encode(String text, int maxLength, Overflow overflow, String verifier, boolean mayBeEmpty) {
    long[] ids;
    long[] special = null;
    try (Lifecycle.Guard entered = lifecycle.enter()) {
      long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, addSpecialTokens);
      try {
        ids = TokenizersLibrary.LIB.getTokenIds(encoding);
        if (ids.length > maxLength) {
          special = TokenizersLibrary.LIB.getSpecialTokenMask(encoding);
        }
      } finally {
        TokenizersLibrary.LIB.deleteEncoding(encoding);
      }
    }
    if (ids.length == 0 && !mayBeEmpty) {
      throw new IllegalArgumentException("verifier '" + verifier + "': the input " + Quoted.of(text)
          + " encodes to no tokens; a reward model needs at least one");
    }
    if (ids.length <= maxLength) {
      return ids;
    }
    return fit(ids, special, maxLength, overflow, () -> "verifier '" + verifier + "': the input "
        + Quoted.of(text) + " is " + ids.length + " tokens, more than the maximum length " + maxLength
        + "; shorten the input, raise maxLength (up to the model's positions), or choose Overflow.KEEP_FIRST or"
        + " Overflow.KEEP_LAST");
  }

  /** Cuts {@code ids} to {@code max} tokens, keeping special tokens at the cut end. */
  static long[] fit(long[] ids, long[] special, int max, Overflow overflow, java.util.function.Supplier<String> error) {
    if (overflow == Overflow.FAIL) {
      throw new IllegalArgumentException(error.get());
    }
    int n = ids.length;
    if (overflow == Overflow.KEEP_FIRST) {
      int tail = 0;
      while (tail < n && special[n - 1 - tail] == 1) {
        tail++;
      }
      tail = Math.min(tail, max - 1);
      long[] out = Arrays.copyOf(ids, max);
      System.arraycopy(ids, n - tail, out, max - tail, tail);
      return out;
    }
    int head = 0;
    while (head < n && special[head] == 1) {
      head++;
    }
    head = Math.min(head, max - 1);
    long[] out = new long[max];
    System.arraycopy(ids, 0, out, 0, head);
    System.arraycopy(ids, n - (max - head), out, head, max - head);
    return out;
  }

  Path file() {
    return file;
  }

  @Override
  public void close() {
    lifecycle.close(tokenizer::close);
  }
}
