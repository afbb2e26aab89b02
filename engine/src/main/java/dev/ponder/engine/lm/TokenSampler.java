package dev.ponder.engine.lm;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Chooses one token from a row of logits with one uniform draw, and reports the token's log-probability under
 * the unfiltered model distribution. Work arrays are reused across calls: no allocation per token. Not
 * thread-safe; one per process.
 *
 * <p>The draw is inverse-CDF: over all tokens in id order when no filter is set (no sort), otherwise over the kept
 * tokens in descending probability (ties by token id). Either way the result is a deterministic function of
 * (logits, decoding, u).
 */
final class TokenSampler {
  private final int vocab;
  private final double[] probs;
  private final long[] order;
  /** The row's logits, copied out of the native buffer once per call (the passes below then read an array). */
  private final float[] row;

  TokenSampler(int vocab) {
    this.vocab = vocab;
    this.probs = new double[vocab];
    this.order = new long[vocab];
    this.row = new float[vocab];
  }

  /** The chosen token; {@link #lastLogProb()} then holds its model log-probability. */
  int choose(FloatBuffer logits, int offset, Decoding d, double u) {
    float[] x = row;
    logits.get(offset, x, 0, vocab);
    double max = Double.NEGATIVE_INFINITY;
    int argmax = 0;
    for (int i = 0; i < vocab; i++) {
      if (Float.isNaN(x[i])) {
        throw new IllegalStateException("the model produced NaN logits (token " + i + ")");
      }
      if (x[i] > max) {
        max = x[i];
        argmax = i;
      }
    }
    double logZ = 0;
    double weighted = 0; // sum of exp(x - max) * (x - max), for the entropy
    for (int i = 0; i < vocab; i++) {
      double shifted = x[i] - max;
      double e = Math.exp(shifted);
      probs[i] = e; // sample() at temperature 1 takes these as they are: exp((x - max) * 1.0) is this same e
      logZ += e;
      weighted += e * shifted;
    }
    double sumE = logZ;
    // H = -sum p log p = log Z - E_p[x], both taken relative to max
    lastEntropy = Math.log(logZ) - weighted / logZ;
    logZ = max + Math.log(logZ);
    int token = d.isGreedy() ? argmax : sample(x, d, u, max, sumE);
    lastLogProb = x[token] - logZ;
    return token;
  }

  private double lastLogProb;
  private double lastEntropy;

  /** The entropy (nats) of the model's unfiltered temperature-1 distribution at the last {@link #choose}. */
  double lastEntropy() {
    return lastEntropy;
  }

  /** log softmax(logits)[token] over one row, in double precision. */
  static double logSoftmaxAt(java.nio.FloatBuffer logits, int offset, int vocab, int token) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      max = Math.max(max, logits.get(offset + i));
    }
    double z = 0;
    for (int i = 0; i < vocab; i++) {
      z += Math.exp(logits.get(offset + i) - max);
    }
    return logits.get(offset + token) - max - Math.log(z);
  }

  /**
   * {@link #logSoftmaxAt(FloatBuffer, int, int, int)} over this sampler's vocabulary, the same arithmetic in the
   * same order (so the same double), reading the row once out of the native buffer.
   */
  double logSoftmaxAt(FloatBuffer logits, int offset, int token) {
    float[] x = row;
    logits.get(offset, x, 0, vocab);
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      max = Math.max(max, x[i]);
    }
    double z = 0;
    for (int i = 0; i < vocab; i++) {
      z += Math.exp(x[i] - max);
    }
    return x[token] - max - Math.log(z);
  }

  double lastLogProb() {
    return lastLogProb;
  }

  /**
   * {@code probs} holds exp(x - max) on entry, summing to {@code sumE} (added in id order): at temperature 1
   * ({@code invT == 1.0}, so {@code (x - max) * invT} is exactly {@code x - max}) those are the unnormalized
   * probabilities and their sum; otherwise they are recomputed at the temperature.
   */
  private int sample(float[] x, Decoding d, double u, double max, double sumE) {
    double invT = 1.0 / d.temperature();
    double z = 0;
    if (invT == 1.0) {
      z = sumE;
    } else {
      for (int i = 0; i < vocab; i++) {
        double p = Math.exp((x[i] - max) * invT);
        probs[i] = p;
        z += p;
      }
    }
    for (int i = 0; i < vocab; i++) {
      probs[i] /= z;
    }
    if (d.topK() == 0 && d.topP() >= 1 && d.minP() == 0) {
      // No filter: walk the CDF in token-id order, O(V) instead of a sort (vocabularies reach 10^5 tokens).
      double cum = 0;
      for (int i = 0; i < vocab; i++) {
        cum += probs[i];
        if (u < cum) {
          return i;
        }
      }
      return lastPositive();
    }
    // Sort token ids by descending probability; ties by id. Key: high bits = inverted order of p, low = id.
    for (int i = 0; i < vocab; i++) {
      long sortable = Double.doubleToLongBits(probs[i]) >>> 21; // non-negative doubles order like their bits
      order[i] = ((Long.MAX_VALUE >>> 21) - sortable) << 21 | i;
    }
    Arrays.sort(order, 0, vocab);
    int kept = vocab;
    if (d.topK() > 0) {
      kept = Math.min(kept, d.topK());
    }
    if (d.topP() < 1) {
      double cum = 0;
      for (int r = 0; r < kept; r++) {
        cum += probs[id(r)];
        if (cum >= d.topP()) {
          kept = r + 1;
          break;
        }
      }
    }
    if (d.minP() > 0) {
      double floor = d.minP() * probs[id(0)];
      int r = 1;
      while (r < kept && probs[id(r)] >= floor) {
        r++;
      }
      kept = r;
    }
    double mass = 0;
    for (int r = 0; r < kept; r++) {
      mass += probs[id(r)];
    }
    double target = u * mass;
    double cum = 0;
    for (int r = 0; r < kept; r++) {
      cum += probs[id(r)];
      if (target < cum) {
        return id(r);
      }
    }
    return id(kept - 1);
  }

  /** The last token with non-zero probability: where rounding leaves the CDF just below 1. */
  private int lastPositive() {
    for (int i = vocab - 1; i > 0; i--) {
      if (probs[i] > 0) {
        return i;
      }
    }
    return 0;
  }

  private int id(int rank) {
    return (int) (order[rank] & ((1L << 21) - 1));
  }
}
