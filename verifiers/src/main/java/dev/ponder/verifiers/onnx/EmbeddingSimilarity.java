package dev.ponder.verifiers.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import dev.ponder.engine.onnx.TensorSpec;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward.Overflow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Reward by meaning: the cosine similarity between the embedding of the generated text and that of a reference
 * text (or the best over several references), with a sentence-transformers-style ONNX encoder.
 *
 * <p>Directory layout: {@code model.onnx} with int64 {@code input_ids}, {@code attention_mask} (and
 * {@code token_type_ids} when declared, fed zeros) and a float output that is either token embeddings
 * {@code [B, S, H]} ({@code last_hidden_state} or {@code token_embeddings}, mean-pooled over the attention mask) or
 * a pooled {@code sentence_embedding [B, H]}; {@code tokenizer.json} beside it (its special tokens are added, its own
 * truncation and padding settings are switched off); the maximum length from {@code sentence_bert_config.json}'s
 * {@code max_seq_length}, else {@code config.json}'s positions. Embeddings are L2-normalized, so the similarity is
 * their dot product, in [-1, 1].
 *
 * <p>One model call per list embeds the inputs' texts and any reference not embedded before (references are
 * remembered); it adds 1 verifier call and the real tokens to the search's counters. An input longer than the
 * maximum length fails, unless an {@link Overflow} truncation policy is chosen.
 *
 * <pre>{@code
 * try (EmbeddingSimilarity sim = EmbeddingSimilarity.builder(Path.of("models/all-MiniLM-L6-v2"))
 *          .reference("The answer is 85.").build()) { ... }
 * }</pre>
 *
 * <p>Thread-safe; {@link #close()} is idempotent.
 */
public final class EmbeddingSimilarity implements Verifier, AutoCloseable {
  private static final String[] TOKEN_OUTPUTS = {"last_hidden_state", "token_embeddings"};

  private final String name;
  private final OnnxModel model;
  private final TextTokenizer tokenizer;
  private final String output;
  private final boolean pooled;
  private final Function<VerifierInput, List<String>> references;
  private final int maxLength;
  private final Overflow overflow;
  private final long padId;
  private final Cache<String, float[]> referenceEmbeddings =
      Caffeine.newBuilder().maximumSize(10_000).executor(Runnable::run).build();

  private EmbeddingSimilarity(Builder b, OnnxModel model, TextTokenizer tokenizer, String output, boolean pooled,
      int maxLength, long padId) {
    this.name = b.name;
    this.model = model;
    this.tokenizer = tokenizer;
    this.output = output;
    this.pooled = pooled;
    this.references = b.references;
    this.maxLength = maxLength;
    this.overflow = b.overflow;
    this.padId = padId;
  }

  public static Builder builder(Path dir) {
    return new Builder(Objects.requireNonNull(dir, "dir"));
  }

  @Override
  public String name() {
    return name;
  }

  public int maxLength() {
    return maxLength;
  }

  /** The L2-normalized embeddings of {@code texts}, in one model call. */
  public float[][] embed(List<String> texts, SearchContext ctx) {
    if (texts.isEmpty()) {
      return new float[0][];
    }
    List<long[]> seqs = new ArrayList<>(texts.size());
    for (String t : texts) {
      seqs.add(tokenizer.encode(t, maxLength, overflow, name));
    }
    Batch batch = new Batch(seqs, padId, false);
    float[][] out = new float[texts.size()][];
    try (TensorScope scope = model.scope()) {
      OnnxTensor t = scope.run(batch.inputs(scope, model), Map.of()).tensor(output);
      float[] v = pooled ? Batch.read(t, "embedding output '" + output + "'", batch.rows, -1)
          : Batch.read(t, "embedding output '" + output + "'", batch.rows, batch.width, -1);
      int hidden = v.length / (pooled ? batch.rows : batch.rows * batch.width);
      for (int b = 0; b < batch.rows; b++) {
        out[b] = normalize(pooled ? copy(v, b * hidden, hidden) : meanPool(v, b, batch, hidden));
      }
    }
    ctx.counters().addVerifierCalls(1);
    ctx.counters().addVerifierTokens(batch.realTokens());
    return out;
  }

  /** Cosine similarity of each input's generated text to its reference(s), the best one when there are several. */
  @Override
  public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
    if (inputs.isEmpty()) {
      return new double[0];
    }
    List<List<String>> refs = new ArrayList<>(inputs.size());
    Map<String, float[]> known = new LinkedHashMap<>();
    List<String> texts = new ArrayList<>();
    for (VerifierInput in : inputs) {
      List<String> r = references.apply(in);
      if (r == null || r.isEmpty()) {
        throw new IllegalArgumentException("verifier '" + name + "' has no reference text for " + in.describe());
      }
      refs.add(r);
      texts.add(in.text());
      for (String s : r) {
        if (!known.containsKey(s)) {
          known.put(s, referenceEmbeddings.getIfPresent(s));
        }
      }
    }
    List<String> missing = known.entrySet().stream().filter(e -> e.getValue() == null).map(Map.Entry::getKey).toList();
    List<String> all = new ArrayList<>(texts);
    all.addAll(missing);
    float[][] e = embed(all, ctx);
    for (int i = 0; i < missing.size(); i++) {
      known.put(missing.get(i), e[texts.size() + i]);
      referenceEmbeddings.put(missing.get(i), e[texts.size() + i]);
    }
    double[] out = new double[inputs.size()];
    for (int i = 0; i < out.length; i++) {
      double best = Double.NEGATIVE_INFINITY;
      for (String r : refs.get(i)) {
        best = Math.max(best, dot(e[i], known.get(r)));
      }
      out[i] = best;
    }
    return out;
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  private static float[] meanPool(float[] h, int b, Batch batch, int hidden) {
    double[] sum = new double[hidden];
    for (int i = 0; i < batch.lengths[b]; i++) {
      int base = (b * batch.width + batch.column(b, i)) * hidden;
      for (int k = 0; k < hidden; k++) {
        sum[k] += h[base + k];
      }
    }
    float[] out = new float[hidden];
    for (int k = 0; k < hidden; k++) {
      out[k] = (float) (sum[k] / batch.lengths[b]);
    }
    return out;
  }

  private static float[] copy(float[] v, int from, int n) {
    float[] out = new float[n];
    System.arraycopy(v, from, out, 0, n);
    return out;
  }

  private static float[] normalize(float[] v) {
    double n = Math.sqrt(dot(v, v));
    double scale = 1.0 / Math.max(n, 1e-12);
    for (int k = 0; k < v.length; k++) {
      v[k] = (float) (v[k] * scale);
    }
    return v;
  }

  OnnxModel model() {
    return model;
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
  }

  /** Configures an {@link EmbeddingSimilarity}; a reference is required. */
  public static final class Builder {
    private final Path dir;
    private String name = "embedding";
    private Function<VerifierInput, List<String>> references;
    private int maxLength = -1;
    private Overflow overflow = Overflow.FAIL;
    private boolean overflowSet;
    private ModelOptions options = ModelOptions.cpu();

    private Builder(Path dir) {
      this.dir = dir;
    }

    public Builder name(String value) {
      name = BuilderRules.name(value);
      return this;
    }

    /** One reference text for every input. */
    public Builder reference(String text) {
      Objects.requireNonNull(text, "reference");
      return references(List.of(text));
    }

    /** Several references for every input: the score is the best similarity. */
    public Builder references(List<String> texts) {
      List<String> copy = List.copyOf(texts);
      if (copy.isEmpty()) {
        throw new IllegalArgumentException("references must not be empty");
      }
      return references(in -> copy);
    }

    /** The references of each input (e.g. looked up by its prompt): the score is the best similarity. */
    public Builder references(Function<VerifierInput, List<String>> value) {
      if (references != null) {
        throw new IllegalStateException("the references were already set");
      }
      references = Objects.requireNonNull(value, "references");
      return this;
    }

    /** The most tokens one text may have (special tokens included); default from sentence_bert_config.json. */
    public Builder maxLength(int value) {
      maxLength = BuilderRules.maxLength(maxLength, value, 2);
      return this;
    }

    /** What to do with a longer text; default {@link Overflow#FAIL}. */
    public Builder overflow(Overflow value) {
      overflow = BuilderRules.once("overflow", overflowSet, overflow, value);
      overflowSet = true;
      return this;
    }

    public Builder options(ModelOptions value) {
      options = Objects.requireNonNull(value, "options");
      return this;
    }

    /**
     * @throws IllegalStateException    when no reference was given
     * @throws IllegalArgumentException when a file is missing or a setting does not fit the model
     * @throws ModelContractException   when the model has no usable embedding output
     */
    public EmbeddingSimilarity build() {
      if (references == null) {
        throw new IllegalStateException("an embedding similarity needs a reference: reference(\"...\"),"
            + " references(List.of(...)) or references(input -> ...)");
      }
      ModelDir files = ModelDir.open(dir);
      OnnxModel model = files.model(options);
      TextTokenizer tokenizer = null;
      try {
        ModelContract.of("sentence embedding").input(TensorSpec.int64("input_ids", 2))
            .input(TensorSpec.int64("attention_mask", 2)).verify(model);
        Batch.requireOnlyFedInputs(model, "sentence embedding", Batch.FED);
        String out = null;
        boolean pooled = false;
        TensorInfo se = model.outputs().get("sentence_embedding");
        if (se != null && se.getShape().length == 2) {
          out = "sentence_embedding";
          pooled = true;
        } else {
          for (String n : TOKEN_OUTPUTS) {
            TensorInfo t = model.outputs().get(n);
            if (t != null && t.getShape().length == 3) {
              out = n;
              break;
            }
          }
        }
        if (out == null) {
          throw new ModelContractException("sentence embedding model " + model.file() + " has no float output"
              + " 'sentence_embedding' [B,H], 'last_hidden_state' [B,S,H] or 'token_embeddings' [B,S,H]; found "
              + model.outputs().keySet());
        }
        int length = maxLength > 0 ? maxLength : sentenceMaxLength(files);
        length = Lengths.resolve(length, files, "sentence embedding", model);
        tokenizer = files.tokenizer(true);
        return new EmbeddingSimilarity(this, model, tokenizer, out, pooled, length, files.padId(0));
      } catch (RuntimeException e) {
        model.close();
        if (tokenizer != null) {
          tokenizer.close();
        }
        throw e;
      }
    }

    private static int sentenceMaxLength(ModelDir files) {
      var bytes = files.read("sentence_bert_config.json");
      if (bytes.isEmpty()) {
        return -1;
      }
      try {
        var n = new ObjectMapper().readTree(bytes.get()).get("max_seq_length");
        return n != null && n.canConvertToInt() ? n.asInt() : -1;
      } catch (IOException e) {
        throw new IllegalArgumentException("could not read " + files.source().describe("sentence_bert_config.json")
            + ": " + e.getMessage(), e);
      }
    }
  }
}
