package dev.ponder.engine.lm;

import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.OnnxModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A decoder language model exported in Hugging Face optimum's layout: {@code model.onnx}, {@code config.json},
 * {@code tokenizer.json} and {@code generation_config.json}, read from a directory, the classpath or any other
 * {@link ModelSource}.
 *
 * <p>The layer count, KV heads and head size come from the model's own inputs; nothing is tied to one
 * architecture. The vocabulary and the positions come from the graph (the logits' width, the embedding and
 * position tables) and {@code config.json} is checked against them: a configuration that disagrees with its model
 * fails at load, naming both. An export without {@code past_key_values.*} inputs still works, by recomputing the
 * whole sequence every step (a warning says so, and the token counters show the cost). An export without
 * {@code position_ids} is fed none and computes positions itself.
 *
 * <p>Prompts given as text are encoded as Hugging Face's {@code tokenizer(prompt)} encodes them: with the
 * tokenizer's special tokens (a BOS for Llama-family tokenizers), unless
 * {@link ModelOptions#withSpecialTokens(boolean)} turns that off. A character the tokenizer cannot encode is an
 * error, never dropped.
 *
 * <p>Thread-safe: several searches may decode with one model at once, each through its own {@link LmProcess}.
 *
 * <p>Closing: {@link #close()} refuses new processes at once, then waits for every open process to be closed
 * (a search in flight finishes and returns its result), up to {@link ModelOptions#closeTimeout()}; then it frees
 * the session, the tokenizer and the idle buffers. A process still open after the timeout is abandoned: its next
 * call fails with an {@link IllegalStateException} saying the model was closed under it (a model call already
 * running finishes first; native memory is never freed under it). {@code close()} is idempotent; a second call
 * returns at once.
 *
 * <p>Memory: between searches the model keeps the KV buffers the last closed process used, up to
 * {@value #IDLE_KV_BYTES} bytes of direct memory, and the next process starts with them; so a service that runs
 * one search after another allocates no native memory per search. {@link #close()} hands them to the next model
 * loaded in this JVM (at most {@value #IDLE_KV_BYTES} bytes wait for it), so loading and closing models does not
 * leave each model's buffers to the garbage collector. A process may hold at most
 * {@link ModelOptions#batchMemoryLimit()} bytes of KV cache and logits, counting what its next model call adds; a
 * call that would pass it fails before allocating, with the numbers and the ways to fit (an
 * {@link IllegalStateException}, not the JVM's OutOfMemoryError).
 *
 * <pre>{@code
 * try (LanguageModel policy = LanguageModel.load(Path.of("onnx-models/countdown/policy"));
 *      LmProcess p = policy.process("numbers: 3 7 25 50 target: 85\n", Decoding.sampling())) {
 *   ...
 * }
 * // models packed in the application's jar, under models/countdown/policy/:
 * LanguageModel.load(ModelSource.classpath("models/countdown/policy"), ModelOptions.cpu());
 * }</pre>
 */
public final class LanguageModel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LanguageModel.class);

  private final ModelSource source;
  private final OnnxModel session;
  private final LmTokenizer tokenizer;
  private final LmConfig config;
  private final ModelOptions options;
  private final String[] tokenTexts;
  /** Most direct memory kept idle between searches (64 MiB: the KV ping-pong sets of a best-of-64 at 128 tokens). */
  static final long IDLE_KV_BYTES = 64L << 20;
  private final BufferShelf shelf = new BufferShelf(IDLE_KV_BYTES);
  private final Object processes = new Object();
  private int openProcesses;
  private boolean closing;
  private volatile boolean freed;
  private final long batchMemoryLimit;
  /** Continuous batching: one scheduler per lane (null when off); a lane runs one merged call at a time. */
  private volatile StepScheduler[] lanes;
  /** GroupQueryAttention export (onnxruntime-genai): its calls use {@link GqaForward}'s compact, in-place layout. */
  private final boolean maskSumAttention;

  private LanguageModel(ModelSource source, OnnxModel session, LmTokenizer tokenizer, LmConfig config,
      ModelOptions options, boolean maskSumAttention) {
    this.maskSumAttention = maskSumAttention;
    this.source = source;
    this.session = session;
    this.tokenizer = tokenizer;
    this.config = config;
    this.options = options;
    this.batchMemoryLimit = options.batchMemoryLimit();
    shelf.putBack(BufferShelf.SPARE.take(Integer.MAX_VALUE)); // a closed model's idle buffers, if any
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
   * @throws dev.ponder.engine.model.ModelContractException when the model's inputs or outputs break the decoder
   *                                   contract, or its configuration disagrees with its graph
   */
  public static LanguageModel load(Path dir, ModelOptions options) {
    Objects.requireNonNull(dir, "dir");
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model directory not found: " + dir.toAbsolutePath());
    }
    return load(ModelSource.directory(dir), options);
  }

  /**
   * Loads a model from a directory, the classpath, a URL or any other source of its files.
   *
   * @throws IllegalArgumentException  when one of its files is missing or unreadable
   * @throws dev.ponder.engine.model.ModelContractException when the model's inputs or outputs break the decoder
   *                                   contract, or its configuration disagrees with its graph
   */
  public static LanguageModel load(ModelSource source, ModelOptions options) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(options, "options");
    Optional<GenaiConfig> genai = GenaiConfig.read(source);
    OnnxModel session = OnnxModel.load(source, genai.map(GenaiConfig::file).orElse("model.onnx"), options);
    LmTokenizer tokenizer = null;
    try {
      LmConfig config = LmConfig.read(session, source, genai);
      boolean maskSum = GenaiConfig.maskSumAttention(session, genai);
      tokenizer = LmTokenizer.load(source, "tokenizer.json", options.addSpecialTokens());
      if (!config.hasCache()) {
        LOG.warn("{} has no past_key_values inputs: every step recomputes the whole sequence", source);
      }
      return new LanguageModel(source, session, tokenizer, config, options, maskSum);
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
    synchronized (processes) {
      requireNotClosing();
    }
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
    synchronized (processes) {
      requireNotClosing();
      openProcesses++;
    }
    try {
      return new LmProcess(this, promptTokens.clone(), decoding);
    } catch (RuntimeException | Error e) {
      processClosed(null);
      throw e;
    }
  }

  private void requireNotClosing() {
    if (closing) {
      throw new IllegalStateException("language model " + source + " is closed: it starts no new process");
    }
  }

  /** Called once by each process's close, with the lane it was attached to (null without batching). */
  void processClosed(StepScheduler lane) {
    synchronized (processes) {
      if (lane != null) {
        lane.detach();
      }
      openProcesses--;
      processes.notifyAll();
    }
  }

  /** Processes made and not yet closed. */
  public int openProcesses() {
    synchronized (processes) {
      return openProcesses;
    }
  }

  /** Whether {@link #close()} freed this model while a process was still open (that process can only fail). */
  boolean isFreed() {
    return freed;
  }

  /** The source's description, for messages. */
  String name() {
    return source.toString();
  }

  /**
   * The token ids of {@code text}, special tokens added as {@link ModelOptions#addSpecialTokens()} says.
   *
   * @throws IllegalArgumentException naming the characters the tokenizer cannot encode
   */
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

  /**
   * The directory the model was loaded from.
   *
   * @throws IllegalStateException when it was loaded from another kind of {@link ModelSource}
   */
  public Path directory() {
    return source.directory().orElseThrow(() -> new IllegalStateException("language model " + source
        + " was not loaded from a directory; see source()"));
  }

  /** Where the model was loaded from. */
  public ModelSource source() {
    return source;
  }

  /** The options it was loaded with. */
  public ModelOptions options() {
    return options;
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

  /** The ONNX session (for this package's tests: the native-value ledger and the execution provider). */
  OnnxModel session() {
    return session;
  }

  /**
   * Native ONNX Runtime values this model has created and not yet closed: zero between calls when nothing leaks
   * (the soak test and the decode benchmarks check it).
   */
  public long openNativeValues() {
    return session.ledger().stillOpen();
  }

  /**
   * Continuous batching across searches (off by default): with it on, the processes made from now on hand their
   * model calls to a scheduler, which merges the calls of every search decoding at that moment into one ONNX
   * Runtime call per step (rows join and leave between steps; see docs/architecture.md). Results are the same as
   * without it, seed for seed (log-probabilities to float rounding); each search keeps its own budget, deadline,
   * cancellation and counters. It pays when several searches run at once on this model; a lone search waits for
   * no one. Processes already open keep the way they were made with.
   *
   * <p>Lanes: one merged call runs at a time per lane, and each process joins the lane with the fewest processes.
   * With {@code on}, the lanes are the available processors divided by the model's intra-op threads (one lane
   * when ONNX Runtime chooses its threads), so that merged calls keep every core busy.
   *
   * @return this model
   */
  public LanguageModel batchAcrossSearches(boolean on) {
    int threads = options.intraOpThreads();
    return batchAcrossSearches(!on ? 0 : threads == 0 ? 1
        : Math.max(1, Runtime.getRuntime().availableProcessors() / threads));
  }

  /**
   * Continuous batching with this many lanes (merged calls that may run at once); 0 turns it off.
   *
   * @return this model
   * @throws IllegalArgumentException      when {@code lanes < 0}
   * @throws UnsupportedOperationException when {@code lanes > 0} on a model that {@link #canBatchAcrossSearches}
   *                                       says cannot merge
   */
  public LanguageModel batchAcrossSearches(int lanes) {
    if (lanes < 0) {
      throw new IllegalArgumentException("lanes must be >= 0 (0 = off), was " + lanes);
    }
    if (lanes > 0 && !canBatchAcrossSearches()) {
      throw new UnsupportedOperationException("continuous batching does not merge the calls of " + name()
          + ": a GroupQueryAttention export keeps each search's KV in its own in-place buffer, which the"
          + " scheduler cannot stack yet (docs/architecture.md); run it without batchAcrossSearches, or use an"
          + " export with the past -> present concat layout");
    }
    synchronized (processes) {
      if (lanes == 0) {
        this.lanes = null;
      } else if (this.lanes == null || this.lanes.length != lanes) {
        StepScheduler[] made = new StepScheduler[lanes];
        for (int i = 0; i < lanes; i++) {
          made[i] = new StepScheduler(session, config, batchMemoryLimit);
        }
        this.lanes = made;
      }
    }
    return this;
  }

  /**
   * Whether {@link #batchAcrossSearches} can merge this model's calls: not for a GroupQueryAttention export
   * (onnxruntime-genai's layout, KV in place), whose searches keep their own KV buffers.
   */
  public boolean canBatchAcrossSearches() {
    return !maskSumAttention;
  }

  /** Whether {@link #batchAcrossSearches} is on. */
  public boolean batchesAcrossSearches() {
    return lanes != null;
  }

  /**
   * What continuous batching has done on this model since it was last turned on, over all lanes (all zero when
   * it is off).
   *
   * @param calls         merged ONNX Runtime calls
   * @param requests      the searches' own calls they carried (each search counts these as its model calls)
   * @param rows          rows in all merged calls
   * @param tokens        input positions fed (rows times each call's new positions, padding included)
   * @param pastPadding   past positions added to align rows of different searches (masked, computed anyway)
   * @param gatheredCalls merged calls whose past KV was copied into a new buffer because the batch changed
   * @param closedUpCalls merged calls whose past rows were moved down in place instead (rows or searches left)
   * @param callNanos     wall time in merged calls, their input and output copies included, summed over lanes
   * @param runNanos      of which inside ONNX Runtime's run
   */
  public record SharedCalls(long calls, long requests, long rows, long tokens, long pastPadding, long gatheredCalls,
      long closedUpCalls, long callNanos, long runNanos) {}

  public SharedCalls sharedCalls() {
    StepScheduler[] ls = lanes;
    long[] sum = new long[9];
    for (StepScheduler l : ls == null ? new StepScheduler[0] : ls) {
      SharedCalls c = l.stats();
      sum[0] += c.calls();
      sum[1] += c.requests();
      sum[2] += c.rows();
      sum[3] += c.tokens();
      sum[4] += c.pastPadding();
      sum[5] += c.gatheredCalls();
      sum[6] += c.closedUpCalls();
      sum[7] += c.callNanos();
      sum[8] += c.runNanos();
    }
    return new SharedCalls(sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6], sum[7], sum[8]);
  }

  /** The lane a new process joins (the one with the fewest processes), attached; null when batching is off. */
  boolean maskSumAttention() {
    return maskSumAttention;
  }

  StepScheduler scheduler() {
    StepScheduler[] ls = lanes;
    if (ls == null) {
      return null;
    }
    synchronized (processes) {
      StepScheduler best = ls[0];
      for (StepScheduler l : ls) {
        if (l.attached() < best.attached()) {
          best = l;
        }
      }
      best.attach();
      return best;
    }
  }

  /** The most bytes of KV cache and logits one process may hold, counting its next call. */
  long batchMemoryLimit() {
    return batchMemoryLimit;
  }

  LmConfig config() {
    return config;
  }

  BufferShelf shelf() {
    return shelf;
  }

  /**
   * Refuses new processes, waits up to {@link ModelOptions#closeTimeout()} for the open ones to be closed, then
   * frees the model (see the class comment for a process still open then). Idempotent: a second call returns at
   * once.
   */
  @Override
  public void close() {
    synchronized (processes) {
      if (closing) {
        return;
      }
      closing = true;
      long deadline = System.nanoTime() + options.closeTimeout().toNanos();
      boolean interrupted = false;
      while (openProcesses > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          processes.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          interrupted = true;
          break;
        }
      }
      if (openProcesses > 0) {
        LOG.warn("closing {} with {} process(es) still open after {}{}: they fail on their next call", source,
            openProcesses, options.closeTimeout(), interrupted ? " (close was interrupted)" : "");
      }
      freed = true;
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    session.close();
    tokenizer.close();
    shelf.close();
  }
}
