package dev.ponder.engine.lm;

/**
 * The state one batched model call leaves behind for its rows: the KV cache of every layer
 * ({@code [rows, kvHeads, length, headDim]}, left-padded), the attention mask over those positions, and each
 * row's next-token logits. Hypotheses point at (block, row); forks share a row; the block goes back to the pool
 * when no hypothesis points at it any more.
 */
final class KvBlock {
  final int rows;
  final int length;
  /** Per layer; empty for a model without a KV cache. */
  final FloatPool.Lease[] keys;
  final FloatPool.Lease[] values;
  /** [rows * length]: 1 for a real past token, 0 for padding. */
  final long[] mask;
  /** [rows * vocab]: the logits for each row's next token. */
  final FloatPool.Lease logits;
  /** Bytes of KV cache and logits the block holds (exact sizes; the pooled buffers may be larger). */
  final long bytes;
  private int refs;
  private boolean freed;

  KvBlock(int rows, int length, FloatPool.Lease[] keys, FloatPool.Lease[] values, long[] mask, FloatPool.Lease logits,
      long bytes) {
    this.bytes = bytes;
    this.rows = rows;
    this.length = length;
    this.keys = keys;
    this.values = values;
    this.mask = mask;
    this.logits = logits;
  }

  void retain() {
    if (freed) {
      throw new IllegalStateException("KV block already returned to the pool");
    }
    refs++;
  }

  /** Drops one reference; returns true when this was the last one (the caller then frees the block). */
  boolean releaseRef() {
    refs--;
    if (refs < 0) {
      throw new IllegalStateException("KV block released more often than retained");
    }
    return refs == 0;
  }

  int refs() {
    return refs;
  }

  void free(FloatPool pool) {
    if (freed) {
      return;
    }
    freed = true;
    for (FloatPool.Lease k : keys) {
      pool.release(k);
    }
    for (FloatPool.Lease v : values) {
      pool.release(v);
    }
    pool.release(logits);
  }
}
