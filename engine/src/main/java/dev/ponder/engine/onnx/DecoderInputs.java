package dev.ponder.engine.onnx;

import java.nio.LongBuffer;
import java.util.function.IntToLongFunction;

/**
 * The int64 inputs of one decoder call whose rows each continue their own cached past: the one layout the policy
 * and the reward models share.
 *
 * <p>The past is {@code p} columns wide with each row's real past right-aligned in it; the new tokens are {@code s}
 * columns wide, padded on the left (the policy: every row's next-token logits sit at column {@code s - 1}) or on the
 * right (the reward models: a cut's logits sit at its own offset). {@code attention_mask} is {@code [B, p + s]} and
 * is 1 exactly on real tokens; {@code position_ids} is {@code [B, s]} and numbers each row's new tokens on from its
 * real past. Padding gets the pad id, mask 0 and position 1: no real token attends to it, so a row's outputs are
 * what it would get alone.
 */
public final class DecoderInputs {
  private final LongBuffer ids;
  private final LongBuffer mask;
  private final LongBuffer positions;
  private final int p;
  private final int s;
  private final long padId;
  private final boolean padLeft;

  /**
   * @param ids       {@code [B, s]}
   * @param mask      {@code [B, p + s]}
   * @param positions {@code [B, s]}
   * @param padLeft   whether the new tokens are padded on the left (else on the right)
   */
  public DecoderInputs(LongBuffer ids, LongBuffer mask, LongBuffer positions, int p, int s, long padId,
      boolean padLeft) {
    this.ids = ids;
    this.mask = mask;
    this.positions = positions;
    this.p = p;
    this.s = s;
    this.padId = padId;
    this.padLeft = padLeft;
  }

  /**
   * Writes row {@code b}: its past mask, then its new tokens: {@code tokens} at indices {@code [from, from + count)}.
   *
   * @param pastMask     the row's past mask ({@code p} entries from {@code pastFrom}) as its cached KV holds it, which
   *                     may mark padding in the middle; null when its real past is exactly the last {@code realPast}
   *                     columns
   * @param realPast     how many real tokens the row's past holds: its first new token's position
   */
  public void row(int b, long[] pastMask, int pastFrom, int realPast, IntToLongFunction tokens, int from, int count) {
    int total = p + s;
    if (pastMask != null) {
      mask.put(b * total, pastMask, pastFrom, p);
    } else {
      for (int c = 0; c < p; c++) {
        mask.put(b * total + c, c >= p - realPast ? 1 : 0);
      }
    }
    int first = padLeft ? s - count : 0;
    for (int j = 0; j < s; j++) {
      int t = j - first;
      boolean real = t >= 0 && t < count;
      ids.put(b * s + j, real ? tokens.applyAsLong(from + t) : padId);
      mask.put(b * total + p + j, real ? 1 : 0);
      positions.put(b * s + j, real ? realPast + t : 1);
    }
  }

  /** The column of the {@code t}-th new token of a row with {@code count} new tokens. */
  public int column(int count, int t) {
    return (padLeft ? s - count : 0) + t;
  }
}
