package dev.ponder.engine.lm;

import dev.ponder.engine.OutcomeScorer;
import java.util.Arrays;

/**
 * One partial or finished continuation of a prompt: its tokens, its place in the KV cache and its
 * log-probability. Opaque to algorithms: they hand it back to the {@link LmProcess} that made it.
 *
 * <p>Invariant: the KV cache row it points at covers every one of its tokens, and holds the logits for its next
 * token; so forks share all computed work and nothing is ever re-processed.
 */
public final class LmHypothesis {
  final long lineage;
  final LanguageModel model;
  final int promptLength;
  int[] tokens;
  int length;
  KvBlock block;
  int row;
  double logProb;
  /** The summed entropy of the distributions its sampled or greedy tokens were drawn from (not token beam's). */
  double entropySum;
  int entropyTokens;
  double stepLogProb;
  int stepTokens;
  int stepIndex;
  boolean finished;
  boolean cut;
  boolean stepDone;
  long forks;
  boolean released;
  private String promptText;

  LmHypothesis(LanguageModel model, long lineage, int[] prompt) {
    this.model = model;
    this.lineage = lineage;
    this.promptLength = prompt.length;
    this.tokens = Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
    this.length = prompt.length;
  }

  private LmHypothesis(LmHypothesis parent, long lineage) {
    this.model = parent.model;
    this.promptText = parent.promptText;
    this.lineage = lineage;
    this.promptLength = parent.promptLength;
    this.tokens = Arrays.copyOf(parent.tokens, parent.tokens.length);
    this.length = parent.length;
    this.block = parent.block;
    this.row = parent.row;
    this.logProb = parent.logProb;
    this.entropySum = parent.entropySum;
    this.entropyTokens = parent.entropyTokens;
    this.stepIndex = parent.stepIndex;
    this.finished = parent.finished;
    this.cut = parent.cut;
  }

  LmHypothesis copyAs(long childLineage) {
    return new LmHypothesis(this, childLineage);
  }

  /** How many of its tokens its KV row already holds (0 without a row). */
  int cachedTokens() {
    if (block == null) {
      return 0;
    }
    long[] mask = block.mask;
    int from = row * block.length;
    long n = 0; // a plain long sum: the JIT vectorizes it (the mask holds 0 and 1)
    for (int j = from; j < from + block.length; j++) {
      n += mask[j];
    }
    return (int) n;
  }

  void append(int token) {
    if (length == tokens.length) {
      tokens = Arrays.copyOf(tokens, tokens.length * 2);
    }
    tokens[length++] = token;
  }

  public long lineage() {
    return lineage;
  }

  /** Generated tokens only (the prompt excluded). */
  public int[] generatedTokens() {
    return Arrays.copyOfRange(tokens, promptLength, length);
  }

  /** Prompt and generated tokens. */
  public int[] allTokens() {
    return Arrays.copyOf(tokens, length);
  }

  /** The generated text, exactly as decoded (end-of-sequence tokens dropped; the prompt excluded). */
  public String text() {
    return model.decodeGenerated(generatedTokens());
  }

  /** The prompt's text as the tokenizer decodes it. */
  public String promptText() {
    if (promptText == null) { // decoded once per lineage, shared by forks: scorers ask for it every step
      promptText = model.decodeGenerated(Arrays.copyOf(tokens, promptLength));
    }
    return promptText;
  }

  public int generatedLength() {
    return length - promptLength;
  }

  /** Log-probability of the generated tokens under the model (temperature 1, no filtering). */
  /**
   * The mean entropy (nats) of the policy's next-token distributions over the generated tokens: how unsure the
   * policy was while writing this text (lower is surer). NaN before the first token, and for token-level beam
   * search, which chooses tokens itself.
   */
  public double meanTokenEntropy() {
    return entropyTokens == 0 ? Double.NaN : entropySum / entropyTokens;
  }

  /**
   * An outcome scorer that needs no reward model: the policy's own confidence, the negated
   * {@link #meanTokenEntropy()} (so the surest text ranks first; confidence selection as in self-certainty
   * best-of-N). Makes no verifier call.
   */
  public static OutcomeScorer<LmHypothesis> byConfidence() {
    return (hs, ctx) -> hs.stream().mapToDouble(h -> -h.meanTokenEntropy()).toArray();
  }

  public double logProb() {
    return logProb;
  }

  /** Log-probability of the tokens of the most recent step. */
  public double lastStepLogProb() {
    return stepLogProb;
  }

  /** How many steps this hypothesis has taken. */
  public int steps() {
    return stepIndex;
  }

  /** Ended by an end-of-sequence token. */
  public boolean isFinished() {
    return finished;
  }

  /** Ended by a length limit. */
  public boolean isCut() {
    return cut;
  }

  public boolean isTerminal() {
    return finished || cut;
  }

  @Override
  public String toString() {
    return "LmHypothesis{lineage=" + lineage + ", generated=" + generatedLength() + ", logProb=" + logProb
        + (finished ? ", finished" : "") + (cut ? ", cut" : "") + "}";
  }
}
