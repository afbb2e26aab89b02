package dev.ponder.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.LongBuffer;
import org.junit.jupiter.api.Test;

/** The one decoder-call layout: pasts right-aligned, new tokens padded left (policy) or right (reward models). */
class DecoderInputsTest {

  private static long[] array(LongBuffer b, int n) {
    long[] out = new long[n];
    b.get(0, out);
    return out;
  }

  @Test
  void policyLayoutPadsNewTokensOnTheLeftAndCopiesThePastMask() {
    int p = 3;
    int s = 2;
    LongBuffer ids = LongBuffer.allocate(2 * s);
    LongBuffer mask = LongBuffer.allocate(2 * (p + s));
    LongBuffer positions = LongBuffer.allocate(2 * s);
    DecoderInputs layout = new DecoderInputs(ids, mask, positions, p, s, 99, true);
    long[] pastMask = {1, 0, 1, 0, 0, 1}; // row 0: a hole in the middle (2 real); row 1: 1 real
    int[] row0 = {5, 6, 7};
    int[] row1 = {8, 9};
    layout.row(0, pastMask, 0, 2, t -> row0[t], 2, 1);
    layout.row(1, pastMask, 3, 1, t -> row1[t], 0, 2);
    assertThat(array(ids, 4)).containsExactly(99, 7, 8, 9);
    assertThat(array(mask, 10)).containsExactly(1, 0, 1, 0, 1, 0, 0, 1, 1, 1);
    assertThat(array(positions, 4)).containsExactly(1, 2, 1, 2);
    assertThat(layout.column(1, 0)).isEqualTo(1);
  }

  @Test
  void rewardLayoutPadsNewTokensOnTheRightAfterARightAlignedPast() {
    int p = 2;
    int s = 3;
    LongBuffer ids = LongBuffer.allocate(2 * s);
    LongBuffer mask = LongBuffer.allocate(2 * (p + s));
    LongBuffer positions = LongBuffer.allocate(2 * s);
    DecoderInputs layout = new DecoderInputs(ids, mask, positions, p, s, 0, false);
    long[] a = {11, 12, 13};
    long[] b = {21};
    layout.row(0, null, 0, 0, t -> a[t], 0, 3);
    layout.row(1, null, 0, 1, t -> b[t], 0, 1);
    assertThat(array(ids, 6)).containsExactly(11, 12, 13, 21, 0, 0);
    assertThat(array(mask, 10)).containsExactly(0, 0, 1, 1, 1, 0, 1, 1, 0, 0);
    assertThat(array(positions, 6)).containsExactly(0, 1, 2, 1, 1, 1);
    assertThat(layout.column(1, 0)).isZero();
  }
}
