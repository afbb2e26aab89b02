package dev.ponder.verifiers.onnx;

import dev.ponder.verifiers.internal.Quoted;

import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifier.VerifierInput;

import dev.ponder.verifiers.internal.LmScorer;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ponder.engine.ProcessScorer.Aggregation;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorSpec;
import dev.ponder.verifiers.onnx.PrmForward.Node;
import dev.ponder.verifiers.onnx.PrmForward.Row;
import dev.ponder.verifiers.onnx.StepTokens.Prefix;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A process reward model: a token-classification ONNX export whose {@code logits [B, S, labels]} are read at the
 * last token of every reasoning step, turned into step scores by a {@link ScoreTransform} and aggregated into one
 * score per partial hypothesis ({@link Aggregation}).
 *
 * <p><b>Steps.</b> The prompt is one segment; the generated text is cut after every step delimiter ({@code "\n"} by
 * default); each segment is tokenized on its own (no special tokens) and the tokens concatenated. A step's score is
 * the transformed logits at its last token; with no complete step, the prompt's last token gives the score (the
 * value of the empty solution). Text after the last delimiter is not read.
 *
 * <p><b>Incremental scoring.</b> An export with its own KV cache ({@code past_key_values.{i}.key|value} inputs and
 * {@code present.{i}.*} outputs, as a decoder; with {@code position_ids}) keeps, for every step prefix it has
 * scored, that prefix's KV state and end logits, keyed by its tokens. Scoring a hypothesis then feeds only the
 * tokens after its longest known step prefix, so over a search the PRM processes each distinct step prefix once:
 * the verifier tokens it counts equal the distinct tokens of the search's step tree, not the sum of the prefixes.
 * Within one list, a step prefix needed by several inputs is fed once (inputs that branch after a new shared prefix
 * wait one extra call for it). The state is bounded ({@link Builder#stateCacheBytes}); an evicted prefix is
 * recomputed when met again. A plain export ({@code input_ids}, {@code attention_mask} only) recomputes every input in full.
 *
 * <p>Aggregating step scores by their minimum or product follows Lightman et al. 2023 ("Let's Verify Step by
 * Step"); keeping per-prefix KV state is the prefix reuse of RadixAttention (Zheng et al. 2023, SGLang) at step
 * granularity: siblings that share the first tokens of a new step still feed those tokens separately.
 *
 * <p>Each model call adds 1 to the search's verifier calls and its real fed tokens to the verifier tokens; a list
 * whose every step prefix is known makes no call. Thread-safe; {@link #close()} is idempotent.
 *
 * <pre>{@code
 * try (OnnxProcessReward prm = OnnxProcessReward.builder(Path.of("onnx-models/countdown/prm-cached"))
 *          .aggregation(Aggregation.MIN).build()) {
 *   ProcessScorer<LmHypothesis> scorer = prm.asProcessScorer();
 * }
 * }</pre>
 */
public final class OnnxProcessReward implements Verifier, AutoCloseable {

  private final String name;
  private final OnnxModel model;
  private final TextTokenizer tokenizer;
  private final PrmForward forward;
  private final ScoreTransform transform;
  private final Aggregation aggregation;
  private final String delimiter;
  private final int maxLength;
  private final Cache<Prefix, Node> states;

  private OnnxProcessReward(Builder b, OnnxModel model, TextTokenizer tokenizer, PrmForward forward, int maxLength) {
    this.name = b.name;
    this.model = model;
    this.tokenizer = tokenizer;
    this.forward = forward;
    this.transform = b.transform != null ? b.transform : ScoreTransform.defaultFor(forward.labels);
    this.aggregation = b.aggregation;
    this.delimiter = b.delimiter;
    this.maxLength = maxLength;
    long bytesPerToken = 4L * forward.kvFloatsPerToken() + 4L * forward.labels + 16;
    this.states = forward.cached && b.stateBytes > 0
        ? Caffeine.newBuilder().executor(Runnable::run).maximumWeight(Math.max(1, b.stateBytes / 1024))
            .<Prefix, Node>weigher((k, n) -> (int) Math.min(Integer.MAX_VALUE, (n.length * bytesPerToken + 1023) / 1024))
            .build()
        : null;
  }

  /** Loads an export directory: sigmoid (one label) or softmax of label 1, {@link Aggregation#LAST}, "\n" steps. */
  public static OnnxProcessReward load(Path dir) {
    return builder(dir).build();
  }

  /** Loads an export from any source: a directory, the classpath, a URL (see {@link ModelSource}). */
  public static OnnxProcessReward load(ModelSource source) {
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

  /** Whether this export carries its own KV cache, so that known step prefixes are not processed again. */
  public boolean isIncremental() {
    return forward.cached;
  }

  public Aggregation aggregation() {
    return aggregation;
  }

  public ScoreTransform transform() {
    return transform;
  }

  /**
   * This PRM as a step-level search's process scorer: each partial text scores as its <em>latest</em> step's value
   * {@code r_k}, whatever {@link #aggregation()} says, because the search aggregates the step scores itself
   * (its own {@link Aggregation}); aggregating here too would compound (a product of products).
   */
  @Override
  public ProcessScorer<LmHypothesis> asProcessScorer() {
    if (aggregation == Aggregation.LAST) {
      return Verifier.super.asProcessScorer();
    }
    return new LmScorer(new Verifier() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
        List<double[]> steps = stepScores(inputs, ctx);
        double[] out = new double[steps.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = Aggregation.LAST.combine(steps.get(i));
        }
        return out;
      }
    });
  }

  @Override
  public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
    List<double[]> steps = stepScores(inputs, ctx);
    double[] out = new double[steps.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = aggregation.combine(steps.get(i));
    }
    return out;
  }

  /**
   * The transformed score of every step of every input: {@code r_1..r_k} for k complete steps, or one value (at the
   * prompt's end) when there is none.
   */
  public List<double[]> stepScores(List<VerifierInput> inputs, SearchContext ctx) {
    List<StepTokens> all = new ArrayList<>(inputs.size());
    for (VerifierInput in : inputs) {
      all.add(StepTokens.of(in, delimiter, tokenizer, maxLength, name));
    }
    Node[][] chains = states == null ? computeAll(all, ctx) : computeIncrementally(all, ctx);
    List<double[]> out = new ArrayList<>(inputs.size());
    for (int i = 0; i < all.size(); i++) {
      StepTokens st = all.get(i);
      double[] r = new double[st.segments() - st.firstScored];
      for (int j = 0; j < r.length; j++) {
        r[j] = transform.apply(chains[i][st.firstScored + j].logits, 0, forward.labels);
      }
      out.add(r);
    }
    return out;
  }

  /** Every input in full, in one call. */
  private Node[][] computeAll(List<StepTokens> all, SearchContext ctx) {
    List<Row> rows = new ArrayList<>();
    long tokens = 0;
    for (StepTokens st : all) {
      int[] cuts = st.ends.clone();
      rows.add(new Row(null, st.tokens, cuts));
      tokens += st.tokens.length;
    }
    Node[][] out = new Node[all.size()][];
    if (!rows.isEmpty()) {
      List<Node[]> nodes = forward.run(rows);
      count(ctx, tokens);
      for (int i = 0; i < out.length; i++) {
        out[i] = nodes.get(i);
      }
    }
    return out;
  }

  /**
   * Waves of one batched call each: every input advances from its longest known step prefix; a new prefix that
   * several inputs need is fed by one row only, and a row goes on through the following segments as long as no
   * other input of the list needs them.
   */
  private Node[][] computeIncrementally(List<StepTokens> all, SearchContext ctx) {
    Map<Prefix, Node> local = new HashMap<>();
    Map<Prefix, Integer> needed = new HashMap<>();
    for (StepTokens st : all) {
      for (int j = 0; j < st.segments(); j++) {
        needed.merge(st.prefix(j), 1, Integer::sum);
      }
    }
    Node[][] chains = new Node[all.size()][];
    while (true) {
      List<Row> rows = new ArrayList<>();
      List<Integer> owners = new ArrayList<>();
      List<Integer> firstSegments = new ArrayList<>();
      Set<Prefix> claimed = new HashSet<>();
      long tokens = 0;
      for (int i = 0; i < all.size(); i++) {
        if (chains[i] != null) {
          continue;
        }
        StepTokens st = all.get(i);
        int known = deepestKnown(st, local);
        if (known == st.segments() - 1) {
          chains[i] = chain(st, local);
          continue;
        }
        Prefix first = st.prefix(known + 1);
        if (!claimed.add(first)) {
          continue; // another row feeds this prefix in this wave
        }
        int last = known + 1;
        while (last + 1 < st.segments() && extendable(needed, st, last)) {
          last++;
        }
        int from = st.start(known + 1);
        int[] cuts = new int[last - known];
        for (int j = known + 1; j <= last; j++) {
          cuts[j - known - 1] = st.ends[j] - from;
        }
        long[] fed = java.util.Arrays.copyOfRange(st.tokens, from, st.ends[last]);
        rows.add(new Row(known < 0 ? null : local.get(st.prefix(known)), fed, cuts));
        owners.add(i);
        firstSegments.add(known + 1);
        tokens += fed.length;
      }
      if (rows.isEmpty()) {
        return chains;
      }
      List<Node[]> made = forward.run(rows);
      count(ctx, tokens);
      for (int r = 0; r < rows.size(); r++) {
        StepTokens st = all.get(owners.get(r));
        Node[] nodes = made.get(r);
        for (int c = 0; c < nodes.length; c++) {
          Prefix key = st.prefix(firstSegments.get(r) + c);
          Node kept = states.asMap().putIfAbsent(key, nodes[c]);
          local.put(key, kept != null ? kept : nodes[c]);
        }
      }
    }
  }

  /**
   * Whether a row feeding up to segment {@code last} may go on through the next one: when no other input needs it,
   * or when exactly the inputs that wait for this row need it (every input needing a prefix needs its parents, so
   * equal counts mean the same inputs).
   */
  private static boolean extendable(Map<Prefix, Integer> needed, StepTokens st, int last) {
    int next = needed.get(st.prefix(last + 1));
    return next == 1 || next == needed.get(st.prefix(last));
  }

  /**
   * The deepest segment {@code j} such that the prefixes of segments {@code 0..j} are all known (from this call or
   * the state cache), or -1. A known prefix brings its ancestors along (they stay reachable from it after eviction).
   */
  private int deepestKnown(StepTokens st, Map<Prefix, Node> local) {
    for (int j = st.segments() - 1; j >= 0; j--) {
      Prefix key = st.prefix(j);
      Node n = local.get(key);
      if (n == null && (n = states.getIfPresent(key)) != null) {
        local.put(key, n);
      }
      if (n != null) {
        int i = j - 1;
        for (Node a = n.parent; a != null && i >= 0 && st.ends[i] == a.length; a = a.parent, i--) {
          local.putIfAbsent(st.prefix(i), a);
        }
        break;
      }
    }
    int known = -1;
    while (known + 1 < st.segments() && local.containsKey(st.prefix(known + 1))) {
      known++;
    }
    return known;
  }

  private static Node[] chain(StepTokens st, Map<Prefix, Node> local) {
    Node[] out = new Node[st.segments()];
    for (int j = 0; j < out.length; j++) {
      out[j] = local.get(st.prefix(j));
    }
    return out;
  }

  private static void count(SearchContext ctx, long tokens) {
    ctx.counters().addVerifierCalls(1);
    ctx.counters().addVerifierTokens(tokens);
  }

  /** Step prefixes whose KV state is held now (for tests). */
  long statesHeld() {
    return states == null ? 0 : states.estimatedSize();
  }

  OnnxModel model() {
    return model;
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
    if (states != null) {
      states.invalidateAll();
    }
  }

  @Override
  public String toString() {
    return "OnnxProcessReward{" + name + ", " + model.file() + ", " + transform + ", " + aggregation
        + (forward.cached ? ", incremental" : "") + "}";
  }

  /** Configures an {@link OnnxProcessReward}; every setting is optional and may be set once. */
  public static final class Builder {
    private final Path dir;
    private final ModelSource source;
    private String name = "prm";
    private ScoreTransform transform;
    private Aggregation aggregation = Aggregation.LAST;
    private boolean aggregationSet;
    private String delimiter = "\n";
    private boolean delimiterSet;
    private int maxLength = -1;
    private long stateBytes = 256L << 20;
    private boolean stateSet;
    private ModelOptions options = ModelOptions.cpu();

    private Builder(Path dir, ModelSource source) {
      this.dir = dir;
      this.source = source;
    }

    public Builder name(String value) {
      name = BuilderRules.name(value);
      return this;
    }

    /** How a step's logits become its score; default sigmoid (one label) or softmax of label 1. */
    public Builder transform(ScoreTransform value) {
      transform = BuilderRules.once("transform", transform != null, transform, value);
      return this;
    }

    /** How step scores become one score; default {@link Aggregation#LAST}. */
    public Builder aggregation(Aggregation value) {
      if (aggregationSet) {
        throw new IllegalStateException("aggregation was already set to " + aggregation);
      }
      aggregation = Objects.requireNonNull(value, "aggregation");
      aggregationSet = true;
      return this;
    }

    /** The text that ends a step (kept in the step); default {@code "\n"}. */
    public Builder stepDelimiter(String value) {
      Objects.requireNonNull(value, "stepDelimiter");
      if (delimiterSet) {
        throw new IllegalStateException("stepDelimiter was already set to " + Quoted.of(delimiter));
      }
      if (value.isEmpty()) {
        throw new IllegalArgumentException("the step delimiter must not be empty (e.g. \"\\n\")");
      }
      delimiter = value;
      delimiterSet = true;
      return this;
    }

    /** The most tokens up to an input's last step; default and upper bound: the model's positions. */
    public Builder maxLength(int value) {
      maxLength = BuilderRules.maxLength(maxLength, value, 1);
      return this;
    }

    /**
     * The memory bound of the kept step-prefix KV state (incremental exports), counting each prefix's full length;
     * default 256 MiB. 0 keeps none: every input is then computed in full.
     */
    public Builder stateCacheBytes(long value) {
      if (stateSet) {
        throw new IllegalStateException("stateCacheBytes was already set to " + stateBytes);
      }
      if (value < 0) {
        throw new IllegalArgumentException("stateCacheBytes must be >= 0 (0 keeps no state), was " + value);
      }
      stateBytes = value;
      stateSet = true;
      return this;
    }

    public Builder options(ModelOptions value) {
      options = Objects.requireNonNull(value, "options");
      return this;
    }

    /**
     * Loads the model and checks it against the process-reward contract.
     *
     * @throws IllegalArgumentException when a file is missing or a setting does not fit the model
     * @throws ModelContractException   when the model's inputs or outputs break the contract
     */
    public OnnxProcessReward build() {
      ModelDir files = dir != null ? ModelDir.open(dir) : ModelDir.open(source);
      OnnxModel model = files.model(options);
      TextTokenizer tokenizer = null;
      try {
        ModelContract contract = ModelContract.of("process reward")
            .input(TensorSpec.int64("input_ids", 2)).input(TensorSpec.int64("attention_mask", 2))
            .output(TensorSpec.float32("logits", 3));
        Set<String> fed = PrmForward.addCache(contract, model, "process reward");
        contract.verify(model);
        Batch.requireOnlyFedInputs(model, "process reward", fed);
        int labels = OnnxOutcomeReward.labelCount(model, files);
        (transform != null ? transform : ScoreTransform.defaultFor(labels)).check(labels, model.file().toString());
        int length = Lengths.resolve(maxLength, files, "process reward", model);
        PrmForward forward = new PrmForward(model, files, labels, files.padId(0));
        tokenizer = files.tokenizer(false);
        return new OnnxProcessReward(this, model, tokenizer, forward, length);
      } catch (RuntimeException e) {
        model.close();
        if (tokenizer != null) {
          tokenizer.close();
        }
        throw e;
      }
    }
  }
}
