package dev.ponder.verifiers.onnx;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import dev.ponder.engine.onnx.TensorSpec;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.Verifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An outcome reward model: a sequence-classification ONNX export that reads a whole text and returns
 * {@code logits [B, labels]} (one or two labels), turned into a score by a {@link ScoreTransform}.
 *
 * <p>Directory layout: {@code model.onnx} with int64 inputs {@code input_ids} and {@code attention_mask}
 * ({@code position_ids} and {@code token_type_ids} are fed too when the model declares them) and a float output
 * {@code logits} of rank 2; {@code tokenizer.json} beside it; {@code config.json} for {@code n_positions} and
 * {@code pad_token_id}. The model reads {@code prompt + text} of each input, tokenized without special tokens.
 *
 * <p>One model call per list: the list is padded to its longest input (right padding by default, as the Countdown
 * ORM was trained; {@link Builder#padLeft()} for exports that want left padding). The call adds 1 to the
 * search's verifier calls and the real (non-padding) tokens to its verifier tokens. An input longer than the
 * maximum length fails with an error naming it, unless an {@link Overflow} truncation policy is chosen.
 *
 * <p><b>Cached exports.</b> An export with the decoder's KV-cache layout ({@code past_key_values.{i}.key|value}
 * and {@code position_ids} in, {@code logits [B, S, labels]} and {@code present.{i}.*} out, such as
 * {@code onnx-models/countdown/orm-cached}) scores a list in two calls: every distinct prompt once, then every
 * text over its prompt's cached state, the score read at the text's last token. Best-of-N's N texts share one
 * prompt, so the prompt is computed once instead of N times; the verifier tokens count it once. The prompt and
 * the text are tokenized separately (as the process reward model does); for a tokenizer that merges across that
 * boundary, the plain export's score of the joint encoding can differ. An input whose prompt and text together
 * pass the maximum length is encoded whole and, under a truncation policy, scored on its own from nothing.
 *
 * <pre>{@code
 * try (OnnxOutcomeReward orm = OnnxOutcomeReward.load(Path.of("onnx-models/countdown/orm"))) {
 *   double[] p = orm.score(inputs, ctx);     // sigmoid(logit) = P(correct)
 * }
 * }</pre>
 *
 * <p>Thread-safe; {@link #close()} is idempotent and waits for calls in flight.
 */
public final class OnnxOutcomeReward implements Verifier, AutoCloseable {
  private final String name;
  private final OnnxModel model;
  private final TextTokenizer tokenizer;
  private final int labels;
  private final ScoreTransform transform;
  private final int maxLength;
  private final Overflow overflow;
  private final boolean padLeft;
  private final long padId;
  /** Non-null for a cached export. */
  private final PrmForward cached;

  private OnnxOutcomeReward(Builder b, OnnxModel model, TextTokenizer tokenizer, int labels, int maxLength,
      long padId, PrmForward cached) {
    this.name = b.name;
    this.model = model;
    this.tokenizer = tokenizer;
    this.labels = labels;
    this.transform = b.transform != null ? b.transform : ScoreTransform.defaultFor(labels);
    this.maxLength = maxLength;
    this.overflow = b.overflow;
    this.padLeft = b.padLeft;
    this.padId = padId;
    this.cached = cached;
  }

  /** Loads an export directory with the defaults: sigmoid (one label) or softmax of label 1, fail on overflow. */
  public static OnnxOutcomeReward load(Path dir) {
    return builder(dir).build();
  }

  /** Loads an export from any source: a directory, the classpath, a URL (see {@link ModelSource}). */
  public static OnnxOutcomeReward load(ModelSource source) {
    return builder(source).build();
  }

  public static Builder builder(ModelSource source) {
    return new Builder(null, Objects.requireNonNull(source, "source"));
  }

  public static Builder builder(Path dir) {
    return new Builder(Objects.requireNonNull(dir, "dir"), null);
  }

  @Override
  public String name() {
    return name;
  }

  /** How many labels the model's logits have. */
  public int labels() {
    return labels;
  }

  /** The most tokens one input may have. */
  public int maxLength() {
    return maxLength;
  }

  public ScoreTransform transform() {
    return transform;
  }

  @Override
  public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
    if (inputs.isEmpty()) {
      return new double[0];
    }
    if (cached != null) {
      return scoreOverPrompts(inputs, ctx);
    }
    List<long[]> seqs = new ArrayList<>(inputs.size());
    for (VerifierInput in : inputs) {
      seqs.add(tokenizer.encode(in.full(), maxLength, overflow, name));
    }
    Batch batch = new Batch(seqs, padId, padLeft);
    float[] logits;
    try (TensorScope scope = model.scope()) {
      TensorScope.Outputs out = scope.run(batch.inputs(scope, model), Map.of());
      logits = Batch.read(out.tensor("logits"), "outcome reward '" + name + "' logits", batch.rows, labels);
    }
    ctx.counters().addVerifierCalls(1);
    ctx.counters().addVerifierTokens(batch.realTokens());
    double[] scores = new double[inputs.size()];
    for (int b = 0; b < scores.length; b++) {
      scores[b] = transform.apply(logits, b * labels, labels);
    }
    return scores;
  }

  /** The cached export's two calls: distinct prompts (and inputs scored whole), then the texts over their prompts. */
  private double[] scoreOverPrompts(List<VerifierInput> inputs, SearchContext ctx) {
    int n = inputs.size();
    List<PrmForward.Row> first = new ArrayList<>();
    Map<String, Integer> promptRow = new HashMap<>();
    int[] firstRow = new int[n]; // the input's prompt row (or whole row) in the first call
    long[][] texts = new long[n][];
    long fed = 0;
    for (int i = 0; i < n; i++) {
      VerifierInput in = inputs.get(i);
      long[] text = tokenizer.encode(in.text(), Integer.MAX_VALUE, Overflow.FAIL, name, true);
      Integer row = in.prompt().isEmpty() ? null : promptRow.get(in.prompt());
      long[] prompt = row != null ? first.get(row).tokens()
          : tokenizer.encode(in.prompt(), Integer.MAX_VALUE, Overflow.FAIL, name, true);
      if (prompt.length == 0 || text.length == 0 || prompt.length + text.length > maxLength) {
        long[] whole = tokenizer.encode(in.full(), maxLength, overflow, name); // fails as the plain export would
        firstRow[i] = first.size();
        first.add(new PrmForward.Row(null, whole, new int[] {whole.length}));
        fed += whole.length;
        continue;
      }
      if (row == null) {
        row = first.size();
        promptRow.put(in.prompt(), row);
        first.add(new PrmForward.Row(null, prompt, new int[] {prompt.length}));
        fed += prompt.length;
      }
      firstRow[i] = row;
      texts[i] = text;
    }
    List<PrmForward.Node[]> prompts = cached.run(first, !promptRow.isEmpty());
    List<PrmForward.Row> second = new ArrayList<>();
    int[] secondRow = new int[n];
    for (int i = 0; i < n; i++) {
      if (texts[i] != null) {
        secondRow[i] = second.size();
        second.add(new PrmForward.Row(prompts.get(firstRow[i])[0], texts[i], new int[] {texts[i].length}));
        fed += texts[i].length;
      }
    }
    List<PrmForward.Node[]> scored = second.isEmpty() ? List.of() : cached.run(second, false);
    ctx.counters().addVerifierCalls(second.isEmpty() ? 1 : 2);
    ctx.counters().addVerifierTokens(fed);
    double[] scores = new double[n];
    for (int i = 0; i < n; i++) {
      PrmForward.Node end = texts[i] != null ? scored.get(secondRow[i])[0] : prompts.get(firstRow[i])[0];
      scores[i] = transform.apply(end.logits, 0, labels);
    }
    return scores;
  }

  /** Whether this export has a KV cache, so a list's shared prompts are computed once. */
  public boolean cachesPrompts() {
    return cached != null;
  }

  OnnxModel model() {
    return model;
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
  }

  @Override
  public String toString() {
    return "OnnxOutcomeReward{" + name + ", " + model.file() + ", labels=" + labels + ", " + transform + ", maxLength="
        + maxLength + ", overflow=" + overflow + (cached != null ? ", caches prompts" : "") + "}";
  }

  /** Configures an {@link OnnxOutcomeReward}; every setting is optional and may be set once. */
  public static final class Builder {
    private final Path dir;
    private final ModelSource source;
    private String name = "orm";
    private ScoreTransform transform;
    private int maxLength = -1;
    private Overflow overflow = Overflow.FAIL;
    private boolean overflowSet;
    private boolean padLeft;
    private ModelOptions options = ModelOptions.cpu();

    private Builder(Path dir, ModelSource source) {
      this.dir = dir;
      this.source = source;
    }

    public Builder name(String value) {
      name = BuilderRules.name(value);
      return this;
    }

    /** How logits become a score; default sigmoid for one label, softmax of label 1 for two or more. */
    public Builder transform(ScoreTransform value) {
      transform = BuilderRules.once("transform", transform != null, transform, value);
      return this;
    }

    /** The most tokens one input may have; default and upper bound: the model's positions from config.json. */
    public Builder maxLength(int value) {
      maxLength = BuilderRules.maxLength(maxLength, value, 1);
      return this;
    }

    /** What to do with a longer input; default {@link Overflow#FAIL}. */
    public Builder overflow(Overflow value) {
      overflow = BuilderRules.once("overflow", overflowSet, overflow, value);
      overflowSet = true;
      return this;
    }

    /** Pad batches on the left instead of the right. */
    public Builder padLeft() {
      padLeft = true;
      return this;
    }

    public Builder options(ModelOptions value) {
      options = Objects.requireNonNull(value, "options");
      return this;
    }

    /**
     * Loads the model and checks it against the outcome-reward contract.
     *
     * @throws IllegalArgumentException when a file is missing or a setting does not fit the model
     * @throws ModelContractException   when the model's inputs or outputs break the contract
     */
    public OnnxOutcomeReward build() {
      ModelDir files = dir != null ? ModelDir.open(dir) : ModelDir.open(source);
      OnnxModel model = files.model(options);
      TextTokenizer tokenizer = null;
      try {
        boolean withCache = model.inputs().containsKey("past_key_values.0.key");
        ModelContract contract = ModelContract.of("outcome reward")
            .input(TensorSpec.int64("input_ids", 2)).input(TensorSpec.int64("attention_mask", 2))
            .output(TensorSpec.float32("logits", withCache ? 3 : 2));
        Set<String> fed = withCache ? PrmForward.addCache(contract, model, "outcome reward") : Batch.FED;
        contract.verify(model);
        Batch.requireOnlyFedInputs(model, "outcome reward", fed);
        if (withCache && padLeft) {
          throw new IllegalArgumentException("padLeft() applies to plain outcome reward exports; " + model.file()
              + " has a KV cache, whose calls lay out their own padding");
        }
        int labels = labelCount(model, files);
        (transform != null ? transform : ScoreTransform.defaultFor(labels)).check(labels, model.file().toString());
        int length = Lengths.resolve(maxLength, files, "outcome reward", model);
        PrmForward forward = withCache ? new PrmForward(model, files, labels, files.padId(0)) : null;
        tokenizer = files.tokenizer(false);
        return new OnnxOutcomeReward(this, model, tokenizer, labels, length, files.padId(0), forward);
      } catch (RuntimeException e) {
        model.close();
        if (tokenizer != null) {
          tokenizer.close();
        }
        throw e;
      }
    }
  }

  /**
   * The label count: the static last dimension of {@code logits}, else config.json's num_labels or id2label, else
   * what one probe call on a single token returns (transformers omits the default two labels from config.json).
   */
  static int labelCount(OnnxModel model, ModelDir files) {
    long[] shape = model.outputs().get("logits").getShape();
    int last = shape.length - 1;
    if (shape[last] > 0) {
      return Math.toIntExact(shape[last]);
    }
    int fromConfig = files.labels();
    if (fromConfig > 0) {
      return fromConfig;
    }
    if (model.inputs().containsKey("past_key_values.0.key")) {
      throw new ModelContractException("cannot tell how many labels " + model.file() + " has: its logits' last"
          + " dimension is symbolic and config.json has no num_labels or id2label; add num_labels to config.json");
    }
    Batch probe = new Batch(List.of(new long[] {files.padId(0)}), files.padId(0), false);
    try (TensorScope scope = model.scope()) {
      long[] found = scope.run(probe.inputs(scope, model), Map.of()).tensor("logits").getInfo().getShape();
      if (found[found.length - 1] < 1) {
        throw new ModelContractException("cannot tell how many labels " + model.file() + " has: a probe call returned"
            + " logits of shape " + java.util.Arrays.toString(found));
      }
      return Math.toIntExact(found[found.length - 1]);
    }
  }

  /** What a model-backed verifier does with an input longer than its maximum length (in tokens). */
  public enum Overflow {
    /** Fail with an error naming the input, its length and the limit (the default). */
    FAIL,
    /** Keep the first tokens, drop the rest (special tokens the tokenizer adds at the end are kept). */
    KEEP_FIRST,
    /** Keep the last tokens, drop the start (special tokens the tokenizer adds at the start are kept). */
    KEEP_LAST
  }
}
