package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sampler reads a row of logits into an array once and, at temperature 1, reuses the exponentials of its
 * normalizer for the draw. This checks that against the previous implementation (kept below as the reference,
 * reading the native buffer on every pass and recomputing the exponentials): the same token, and bit for bit the
 * same log-probability and entropy, over random rows, temperatures, filters and draws, at offsets into a buffer
 * holding several rows; and {@link TokenSampler#logSoftmaxAt(FloatBuffer, int, int)} against the static one.
 */
class TokenSamplerReferenceTest {
  @Test
  void chooseAndLogSoftmaxEqualTheReferenceBitForBit() {
    SplittableRandom rnd = new SplittableRandom(20261205);
    Decoding[] decodings = {
      Decoding.greedy(), Decoding.sampling(), Decoding.sampling().withTemperature(0.7),
      Decoding.sampling().withTemperature(1.3), Decoding.sampling().withTopK(5), Decoding.sampling().withTopP(0.9),
      Decoding.sampling().withMinP(0.05), Decoding.sampling().withTemperature(0.8).withTopK(12).withTopP(0.95)
    };
    int checked = 0;
    for (int vocab : new int[] {1, 2, 3, 30, 257}) {
      TokenSampler sampler = new TokenSampler(vocab);
      int rows = 4;
      FloatBuffer logits = ByteBuffer.allocateDirect(rows * vocab * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      for (int trial = 0; trial < 200; trial++) {
        double scale = trial % 3 == 0 ? 0.1 : trial % 3 == 1 ? 3 : 30;
        for (int i = 0; i < rows * vocab; i++) {
          // some ties (rounded values), some equal to the maximum, some far below it
          float x = (float) (rnd.nextGaussian() * scale);
          logits.put(i, trial % 5 == 0 ? Math.round(x) : x);
        }
        int offset = rnd.nextInt(rows) * vocab;
        for (Decoding d : decodings) {
          double u = rnd.nextDouble();
          int token = sampler.choose(logits, offset, d, u);
          Reference ref = new Reference(vocab);
          assertThat(token).isEqualTo(ref.choose(logits, offset, d, u));
          assertThat(Double.doubleToRawLongBits(sampler.lastLogProb())).isEqualTo(Double.doubleToRawLongBits(ref.lastLogProb));
          assertThat(Double.doubleToRawLongBits(sampler.lastEntropy())).isEqualTo(Double.doubleToRawLongBits(ref.lastEntropy));
          int t = rnd.nextInt(vocab);
          assertThat(Double.doubleToRawLongBits(sampler.logSoftmaxAt(logits, offset, t)))
              .isEqualTo(Double.doubleToRawLongBits(TokenSampler.logSoftmaxAt(logits, offset, vocab, t)));
          checked++;
        }
      }
    }
    assertThat(checked).isEqualTo(5 * 200 * decodings.length);
  }

  /** TokenSampler as it was before it copied the row out (2026-12-05): every pass reads the buffer. */
  private static final class Reference {
    private final int vocab;
    private final double[] probs;
    private final long[] order;
    double lastLogProb;
    double lastEntropy;

    Reference(int vocab) {
      this.vocab = vocab;
      this.probs = new double[vocab];
      this.order = new long[vocab];
    }

    int choose(FloatBuffer logits, int offset, Decoding d, double u) {
      double max = Double.NEGATIVE_INFINITY;
      int argmax = 0;
      for (int i = 0; i < vocab; i++) {
        float x = logits.get(offset + i);
        if (x > max) {
          max = x;
          argmax = i;
        }
      }
      double logZ = 0;
      double weighted = 0;
      for (int i = 0; i < vocab; i++) {
        double shifted = logits.get(offset + i) - max;
        double e = Math.exp(shifted);
        logZ += e;
        weighted += e * shifted;
      }
      lastEntropy = Math.log(logZ) - weighted / logZ;
      logZ = max + Math.log(logZ);
      int token = d.isGreedy() ? argmax : sample(logits, offset, d, u, max);
      lastLogProb = logits.get(offset + token) - logZ;
      return token;
    }

    private int sample(FloatBuffer logits, int offset, Decoding d, double u, double max) {
      double invT = 1.0 / d.temperature();
      double z = 0;
      for (int i = 0; i < vocab; i++) {
        double p = Math.exp((logits.get(offset + i) - max) * invT);
        probs[i] = p;
        z += p;
      }
      for (int i = 0; i < vocab; i++) {
        probs[i] /= z;
      }
      if (d.topK() == 0 && d.topP() >= 1 && d.minP() == 0) {
        double cum = 0;
        for (int i = 0; i < vocab; i++) {
          cum += probs[i];
          if (u < cum) {
            return i;
          }
        }
        for (int i = vocab - 1; i > 0; i--) {
          if (probs[i] > 0) {
            return i;
          }
        }
        return 0;
      }
      for (int i = 0; i < vocab; i++) {
        long sortable = Double.doubleToLongBits(probs[i]) >>> 21;
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

    private int id(int rank) {
      return (int) (order[rank] & ((1L << 21) - 1));
    }
  }
}
