package dev.ponder.engine.lm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.onnx.Lifecycle;
import dev.ponder.engine.model.ModelSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json}, through DJL's bindings, with truncation and padding switched off
 * explicitly (DJL would otherwise cut inputs at 512 tokens without a word).
 *
 * <p>Special tokens: with {@code addSpecialTokens} (the default, as Hugging Face's {@code tokenizer(text)}), the
 * tokenizer's post-processor adds what it adds (a BOS for Llama-family exports; nothing for GPT-2 and for a
 * tokenizer without a post-processor); without it the text is encoded exactly as given.
 *
 * <p>Text the tokenizer cannot encode is an error, never dropped: {@link #encode} fails naming every character
 * that no token covers (a vocabulary without it and no byte fallback) or that only the unknown token stands for.
 * Whitespace that a whitespace-splitting pre-tokenizer (BERT, Whitespace) consumes is not such a character.
 *
 * <p>Thread-safe; {@link #close()} waits for calls in flight.
 */
public final class LmTokenizer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HuggingFaceTokenizer tokenizer;
  private final String name;
  private final boolean addSpecialTokens;
  private final long unknownId;
  private final boolean splitsOnWhitespace;
  /** The contents of the tokenizer's added tokens, matched whole in the text before anything else. */
  private final List<String> addedTokens;
  private final Lifecycle lifecycle;
  /** Characters already encoded alone: whether each gave a known token. */
  private final java.util.concurrent.ConcurrentHashMap<Integer, Boolean> probed = new java.util.concurrent.ConcurrentHashMap<>();

  private LmTokenizer(HuggingFaceTokenizer tokenizer, String name, boolean addSpecialTokens, JsonNode json) {
    this.tokenizer = tokenizer;
    this.name = name;
    this.addSpecialTokens = addSpecialTokens;
    this.unknownId = unknownId(json.path("model"));
    this.splitsOnWhitespace = splitsOnWhitespace(json.path("pre_tokenizer"));
    List<String> added = new ArrayList<>();
    json.path("added_tokens").forEach(t -> {
      if (!t.path("content").asText("").isEmpty()) {
        added.add(t.path("content").asText());
      }
    });
    this.addedTokens = List.copyOf(added);
    this.lifecycle = new Lifecycle("tokenizer " + name);
  }

  /** A tokenizer file that adds special tokens by its own rules (as Hugging Face's default does). */
  public static LmTokenizer load(Path tokenizerJson) {
    return load(tokenizerJson, true);
  }

  /** A tokenizer file; {@code addSpecialTokens} as Hugging Face's {@code add_special_tokens}. */
  public static LmTokenizer load(Path tokenizerJson, boolean addSpecialTokens) {
    if (!Files.isRegularFile(tokenizerJson)) {
      throw new IllegalArgumentException("tokenizer file not found: " + tokenizerJson.toAbsolutePath()
          + " (expected a Hugging Face tokenizer.json beside the model)");
    }
    return load(ModelSource.directory(tokenizerJson.toAbsolutePath().getParent()),
        tokenizerJson.getFileName().toString(), addSpecialTokens);
  }

  /** The tokenizer file {@code fileName} of a model source, read in memory (nothing is staged on disk). */
  static LmTokenizer load(ModelSource source, String fileName, boolean addSpecialTokens) {
    String name = source.describe(fileName);
    byte[] bytes = source.readIfPresent(fileName).orElseThrow(() -> new IllegalArgumentException(
        "tokenizer file not found: " + name + " (expected a Hugging Face tokenizer.json beside the model)"));
    try {
      JsonNode json = JSON.readTree(bytes);
      HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), Map.of(
          "addSpecialTokens", String.valueOf(addSpecialTokens), "truncation", "false", "padding", "false"));
      return new LmTokenizer(t, name, addSpecialTokens, json);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("could not read tokenizer " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * The ids of {@code text}, special tokens added or not as this tokenizer was loaded.
   *
   * @throws IllegalArgumentException naming each character the tokenizer cannot encode and its index in
   *                                  {@code text} (UTF-16, as {@link String#charAt})
   */
  public int[] encode(String text) {
    long[] ids;
    CharSpan[] spans;
    try (Lifecycle.Guard entered = lifecycle.enter()) {
      long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, addSpecialTokens);
      try {
        ids = TokenizersLibrary.LIB.getTokenIds(encoding);
        spans = TokenizersLibrary.LIB.getTokenCharSpans(encoding);
      } finally {
        TokenizersLibrary.LIB.deleteEncoding(encoding);
      }
    }
    checkEncodable(text, ids, spans);
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /**
   * Fails when a character of {@code text} is covered by no token, or only by the unknown token. The spans are a
   * quick test only (a BPE model that drops a character shifts the spans of the tokens after it), so when they
   * show a gap or the unknown token, each distinct character is encoded alone to find the ones the tokenizer
   * cannot encode.
   */
  private void checkEncodable(String text, long[] ids, CharSpan[] spans) {
    int[] codePoints = text.codePoints().toArray();
    boolean[] covered = new boolean[codePoints.length];
    boolean suspect = false;
    for (int t = 0; t < ids.length; t++) {
      suspect |= ids[t] == unknownId;
      if (spans[t] == null) { // special tokens the post-processor adds have empty spans; those in the text do not
        continue;
      }
      for (int c = Math.max(0, spans[t].getStart()); c < Math.min(codePoints.length, spans[t].getEnd()); c++) {
        covered[c] = true;
      }
    }
    for (int c = 0; c < codePoints.length && !suspect; c++) {
      suspect = !covered[c] && !(splitsOnWhitespace && Character.isWhitespace(codePoints[c]));
    }
    if (!suspect) {
      return;
    }
    boolean[] inAdded = addedTokenChars(text, codePoints.length);
    List<String> bad = new ArrayList<>();
    int utf16 = 0;
    for (int c = 0; c < codePoints.length; c++) {
      int cp = codePoints[c];
      if (!inAdded[c] && !(splitsOnWhitespace && Character.isWhitespace(cp)) && !encodesAlone(cp)) {
        bad.add(String.format("'%s' (U+%04X) at %d", new String(Character.toChars(cp)), cp, utf16));
      }
      utf16 += Character.charCount(cp);
    }
    if (!bad.isEmpty()) {
      throw new IllegalArgumentException("tokenizer " + name + " cannot encode " + bad.size() + " character(s) of the"
          + " text: " + String.join(", ", bad.subList(0, Math.min(20, bad.size())))
          + (bad.size() > 20 ? " and " + (bad.size() - 20) + " more" : "")
          + "; they are not in its vocabulary (and it has no byte fallback), so the model would never see them."
          + " Remove or replace them.");
    }
  }

  /**
   * Which characters (by code point index) belong to an occurrence of an added token ({@code <|endoftext|>},
   * {@code <s>}) in the text: the tokenizer matches those whole, so their characters need no token of their own.
   */
  private boolean[] addedTokenChars(String text, int codePoints) {
    boolean[] in = new boolean[codePoints];
    for (String token : addedTokens) {
      for (int at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + token.length())) {
        int first = text.codePointCount(0, at);
        int n = token.codePointCount(0, token.length());
        java.util.Arrays.fill(in, first, first + n, true);
      }
    }
    return in;
  }

  /** Whether the character alone encodes to some token other than the unknown token. */
  private boolean encodesAlone(int codePoint) {
    Boolean known = probed.get(codePoint);
    if (known != null) {
      return known;
    }
    long[] ids;
    try (Lifecycle.Guard entered = lifecycle.enter()) {
      long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), new String(Character.toChars(codePoint)), false);
      try {
        ids = TokenizersLibrary.LIB.getTokenIds(encoding);
      } finally {
        TokenizersLibrary.LIB.deleteEncoding(encoding);
      }
    }
    boolean ok = java.util.Arrays.stream(ids).anyMatch(id -> id != unknownId);
    if (probed.size() < 4096) {
      probed.put(codePoint, ok);
    }
    return ok;
  }

  /** The unknown token's id, or -1 when the model has none. */
  private static long unknownId(JsonNode model) {
    if (model.hasNonNull("unk_id")) {
      return model.get("unk_id").asLong(); // Unigram
    }
    String unk = model.path("unk_token").asText(null);
    JsonNode vocab = model.path("vocab");
    return unk != null && vocab.isObject() && vocab.has(unk) ? vocab.get(unk).asLong() : -1;
  }

  /** Whether the pre-tokenizer splits on (and so consumes) whitespace. */
  private static boolean splitsOnWhitespace(JsonNode pre) {
    String type = pre.path("type").asText("");
    if (type.equals("Sequence")) {
      for (JsonNode p : pre.path("pretokenizers")) {
        if (splitsOnWhitespace(p)) {
          return true;
        }
      }
      return false;
    }
    return type.equals("BertPreTokenizer") || type.equals("Whitespace") || type.equals("WhitespaceSplit");
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

  /** Whether {@link #encode} adds the tokenizer's special tokens. */
  public boolean addsSpecialTokens() {
    return addSpecialTokens;
  }

  /** Where the tokenizer came from: a path, a {@code classpath:} name or a URL. */
  public String name() {
    return name;
  }

  /** Whether {@link #close()} has been called (the native tokenizer is then freed, or about to be). */
  public boolean isClosed() {
    return lifecycle.isClosed();
  }

  @Override
  public void close() {
    lifecycle.close(tokenizer::close);
  }
}
