package dev.ponder.verifiers.onnx;

import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.internal.Quoted;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward.Overflow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An input cut into steps for a process reward model: the prompt is one segment, then the generated text is cut
 * after every step delimiter; each segment is tokenized on its own and the tokens concatenated, so the tokens of
 * a step prefix are a prefix of the tokens of every longer one (which is what lets KV state be reused). The text
 * after the last delimiter (an unfinished step, or a final answer line) is not read.
 *
 * <p>{@code ends[j]} is the token count after segment {@code j}; the scored positions are {@code ends[j] - 1} for
 * every step, or the prompt's last token when no step is complete.
 */
final class StepTokens {
  final long[] tokens;
  final int[] ends;
  final int[] hashes;
  /** The first segment whose end is scored: 1 when there are steps after a prompt, else 0. */
  final int firstScored;

  private StepTokens(long[] tokens, int[] ends, int firstScored) {
    this.tokens = tokens;
    this.ends = ends;
    this.firstScored = firstScored;
    this.hashes = new int[ends.length];
    int h = 1;
    int seg = 0;
    for (int i = 0; i < tokens.length && seg < ends.length; i++) {
      h = 31 * h + Long.hashCode(tokens[i]);
      while (seg < ends.length && ends[seg] == i + 1) {
        hashes[seg++] = h;
      }
    }
  }

  static StepTokens of(VerifierInput in, String delimiter, TextTokenizer tokenizer, int maxLength, String verifier) {
    List<long[]> segments = new ArrayList<>();
    boolean promptSegment = false;
    if (!in.prompt().isEmpty()) {
      long[] p = tokenizer.encode(in.prompt(), Integer.MAX_VALUE, Overflow.FAIL, verifier, true);
      if (p.length > 0) {
        segments.add(p);
        promptSegment = true;
      }
    }
    String text = in.text();
    int from = 0;
    int at;
    while ((at = text.indexOf(delimiter, from)) >= 0) {
      int to = at + delimiter.length();
      long[] s = tokenizer.encode(text.substring(from, to), Integer.MAX_VALUE, Overflow.FAIL, verifier, true);
      if (s.length > 0) {
        segments.add(s);
      }
      from = to;
    }
    if (segments.isEmpty()) {
      throw new IllegalArgumentException("verifier '" + verifier + "' has nothing to score in " + in.describe()
          + ": the prompt is empty and no step ends with " + Quoted.of(delimiter));
    }
    int[] ends = new int[segments.size()];
    int n = 0;
    for (int j = 0; j < ends.length; j++) {
      n += segments.get(j).length;
      ends[j] = n;
    }
    if (n > maxLength) {
      throw new IllegalArgumentException("verifier '" + verifier + "': " + in.describe() + " is " + n + " tokens up to"
          + " its last step, more than the maximum length " + maxLength + "; shorten the input or raise maxLength (up"
          + " to the model's positions)");
    }
    long[] tokens = new long[n];
    int pos = 0;
    for (long[] s : segments) {
      System.arraycopy(s, 0, tokens, pos, s.length);
      pos += s.length;
    }
    return new StepTokens(tokens, ends, promptSegment && ends.length > 1 ? 1 : 0);
  }

  int segments() {
    return ends.length;
  }

  int start(int segment) {
    return segment == 0 ? 0 : ends[segment - 1];
  }

  /** The key of the prefix that ends with segment {@code j}. */
  Prefix prefix(int j) {
    return new Prefix(tokens, ends[j], hashes[j]);
  }

  /** A token prefix as a map key: equal when the tokens are; the array is shared, never copied. */
  static final class Prefix {
    private final long[] tokens;
    private final int length;
    private final int hash;

    Prefix(long[] tokens, int length, int hash) {
      this.tokens = tokens;
      this.length = length;
      this.hash = hash;
    }

    int length() {
      return length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Prefix p && p.length == length && p.hash == hash
          && Arrays.equals(p.tokens, 0, length, tokens, 0, length);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
