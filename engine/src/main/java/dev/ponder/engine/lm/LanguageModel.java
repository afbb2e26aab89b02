package dev.ponder.engine.lm;

import dev.ponder.engine.onnx.ModelOptions;
import dev.ponder.engine.onnx.OnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A decoder language model exported in Hugging Face optimum's layout: a directory with {@code model.onnx},
 * {@code config.json}, {@code tokenizer.json} and {@code generation_config.json}.
 *
 * <p>The layer count, KV heads and head size come from the model's own inputs; nothing is tied to one
 * architecture. An export without {@code past_key_values.*} inputs still works, by recomputing the whole
 * sequence every step (a warning says so, and the token counters show the cost). An export without
 * {@code position_ids} is fed none and computes positions itself.
 *
 * <p>Thread-safe: several searches may decode with one model at once, each through its own {@link LmProcess}.
 * {@link #close()} is idempotent and waits for calls in flight.
 *
 * <p>Memory: between searches the model keeps the KV buffers the last closed process used, up to
 * {@value #IDLE_KV_BYTES} bytes of direct memory, and the next process starts with them; so a service that runs
 * one search after another allocates no native memory per search. {@link #close()} lets them go.
 *
 * <pre>{@code
 * try (LanguageModel policy = LanguageModel.load(Path.of("onnx-models/countdown/policy"))) {
 *   LmProcess p = policy.process("numbers: 3 7 25 50 target: 85\n", Decoding.sampling());
 * }
 * }</pre>
 */
public final class LanguageModel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LanguageModel.class);

  private final Path dir;
  private final OnnxModel session;
  private final LmTokenizer tokenizer;
  private final LmConfig config;
  private final String[] tokenTexts;
  /** Most direct memory kept idle between searches (64 MiB: the KV ping-pong sets of a best-of-64 at 128 tokens). */
  static final long IDLE_KV_BYTES = 64L << 20;
  private final BufferShelf shelf = new BufferShelf(IDLE_KV_BYTES);

  private LanguageModel(Path dir, OnnxModel session, LmTokenizer tokenizer, LmConfig config) {
    this.dir = dir;
    this.session = session;
    this.tokenizer = tokenizer;
    this.config = config;
    this.tokenTexts = new String[config.vocab()];
    int[] one = new int[1];
    for (int i = 0; i < tokenTexts.length; i++) {
      one[0] = i;
      tokenTexts[i] = tokenizer.decode(one, false);
    }
  }

  public static LanguageModel load(Path dir) {
    return load(dir, ModelOptions.cpu());
  }

  /**
   * @throws IllegalArgumentException  when the directory or one of its files is missing or unreadable
   * @throws dev.ponder.engine.onnx.ModelContractException when the model's inputs or outputs break the decoder
   *                                   contract
   */
  public static LanguageModel load(Path dir, ModelOptions options) {
    Objects.requireNonNull(dir, "dir");
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model directory not found: " + dir.toAbsolutePath());
    }
    OnnxModel session = OnnxModel.load(dir.resolve("model.onnx"), options);
    LmTokenizer tokenizer = null;
    try {
      LmConfig config = LmConfig.read(session, dir);
      tokenizer = LmTokenizer.load(dir.resolve("tokenizer.json"));
      if (!config.hasCache()) {
        LOG.warn("{} has no past_key_values inputs: every step recomputes the whole sequence", dir);
      }
      return new LanguageModel(dir, session, tokenizer, config);
    } catch (RuntimeException e) {
      session.close();
      if (tokenizer != null) {
        tokenizer.close();
      }
      throw e;
    }
  }

  /** A new decoding process over one prompt; close it when the search is done. */
  public LmProcess process(String prompt, Decoding decoding) {
    Objects.requireNonNull(prompt, "prompt");
    return process(encode(prompt), decoding);
  }

  /** A new decoding process over a prompt given as token ids. */
  public LmProcess process(int[] promptTokens, Decoding decoding) {
    Objects.requireNonNull(decoding, "decoding");
    if (promptTokens.length == 0) {
      throw new IllegalArgumentException("the prompt is empty: it must encode to at least one token");
    }
    if (promptTokens.length >= config.maxPositions()) {
      throw new IllegalArgumentException("the prompt has " + promptTokens.length + " tokens; this model handles at most "
          + config.maxPositions() + " positions in all");
    }
    for (int t : promptTokens) {
      if (t < 0 || t >= config.vocab()) {
        throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + config.vocab() + ")");
      }
    }
    return new LmProcess(this, promptTokens.clone(), decoding);
  }

  public int[] encode(String text) {
    return tokenizer.encode(text);
  }

  /** Decodes generated tokens to text, dropping end-of-sequence tokens. */
  public String decodeGenerated(int[] tokens) {
    int[] kept = Arrays.stream(tokens).filter(t -> !config.eosIds().contains(t)).toArray();
    return tokenizer.decode(kept, false);
  }

  String tokenText(int token) {
    return tokenTexts[token];
  }

  public LmTokenizer tokenizer() {
    return tokenizer;
  }

  public Path directory() {
    return dir;
  }

  public int vocabSize() {
    return config.vocab();
  }

  public int layers() {
    return config.layers();
  }

  public int kvHeads() {
    return config.kvHeads();
  }

  public int headDim() {
    return config.headDim();
  }

  public boolean hasKvCache() {
    return config.hasCache();
  }

  public boolean hasPositionIds() {
    return config.hasPositionIds();
  }

  public java.util.Set<Integer> eosTokenIds() {
    return config.eosIds();
  }

  public int defaultMaxNewTokens() {
    return config.defaultMaxNewTokens();
  }

  /** The ONNX session (for the native-value ledger and the execution provider). */
  public OnnxModel session() {
    return session;
  }

  LmConfig config() {
    return config;
  }

  BufferShelf shelf() {
    return shelf;
  }

  @Override
  public void close() {
    session.close();
    tokenizer.close();
    shelf.close();
  }
}
