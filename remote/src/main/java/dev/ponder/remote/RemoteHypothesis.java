package dev.ponder.remote;

import java.util.Arrays;

/**
 * One partial or finished continuation held by a {@link RemoteProcess}: the generated token ids (llama.cpp
 * dialect; none for a text-only engine) and text, and nothing on the engine's side (no KV: the engine's prefix
 * cache is its own business). A fork copies the ids and the text. Opaque to algorithms.
 */
public final class RemoteHypothesis {
  final long lineage;
  private final String promptText;
  int[] ids;
  int idCount;
  final StringBuilder text;
  int generatedTokens;
  double logProb;
  double stepLogProb;
  int stepIndex;
  boolean finished;
  boolean cut;
  long forks;
  boolean released;

  RemoteHypothesis(long lineage, String promptText, boolean keepsIds) {
    this.lineage = lineage;
    this.promptText = promptText;
    this.ids = keepsIds ? new int[16] : null;
    this.text = new StringBuilder();
  }

  private RemoteHypothesis(RemoteHypothesis parent, long lineage) {
    this.lineage = lineage;
    this.promptText = parent.promptText;
    this.ids = parent.ids == null ? null : parent.ids.clone();
    this.idCount = parent.idCount;
    this.text = new StringBuilder(parent.text);
    this.generatedTokens = parent.generatedTokens;
    this.logProb = parent.logProb;
    this.stepIndex = parent.stepIndex;
    this.finished = parent.finished;
    this.cut = parent.cut;
  }

  RemoteHypothesis copyAs(long childLineage) {
    return new RemoteHypothesis(this, childLineage);
  }

  void appendIds(int[] more, int count) {
    if (ids == null) {
      throw new IllegalStateException("this hypothesis keeps no token ids (text-only engine)");
    }
    if (idCount + count > ids.length) {
      ids = Arrays.copyOf(ids, Math.max(ids.length * 2, idCount + count));
    }
    System.arraycopy(more, 0, ids, idCount, count);
    idCount += count;
  }

  public long lineage() {
    return lineage;
  }

  /** The generated token ids, or {@code null} where the engine works on text only. */
  public int[] generatedIds() {
    return ids == null ? null : Arrays.copyOf(ids, idCount);
  }

  /** The generated text (end of sequence dropped; step stop strings kept). */
  public String text() {
    return text.toString();
  }

  public String promptText() {
    return promptText;
  }

  /** Tokens generated, as the engine counted them. */
  public int generatedLength() {
    return generatedTokens;
  }

  /**
   * The engine's log-probability of the generated tokens it reported (temperature 1, unfiltered in llama.cpp);
   * the tokens of a trimmed stop string are not reported and so not included. NaN without logprobs.
   */
  public double logProb() {
    return logProb;
  }

  public double lastStepLogProb() {
    return stepLogProb;
  }

  public int steps() {
    return stepIndex;
  }

  public boolean isFinished() {
    return finished;
  }

  public boolean isCut() {
    return cut;
  }

  public boolean isTerminal() {
    return finished || cut;
  }

  @Override
  public String toString() {
    return "RemoteHypothesis{lineage=" + lineage + ", generated=" + generatedTokens + ", text=" + text
        + (finished ? ", finished" : "") + (cut ? ", cut" : "") + "}";
  }
}
