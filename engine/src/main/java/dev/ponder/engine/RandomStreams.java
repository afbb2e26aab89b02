package dev.ponder.engine;

/**
 * Counter-based random numbers: every draw is a pure function of (seed, lineage, step, purpose, index), so a
 * hypothesis draws the same numbers whether it is decoded alone, in a batch of 3 or in a batch of 64, on any
 * thread. There is no generator state to share or split.
 *
 * <p>The mixing function is SplitMix64's finalizer (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014) applied to each key word in turn; a stateful generator from Commons RNG would need one
 * instance per draw to be batch-independent, which is what this avoids. Each 64-bit output is turned into a double
 * in [0, 1) from its top 53 bits.
 */
public final class RandomStreams {

  /** Why a number is drawn: distinct purposes never share a stream. */
  public enum Purpose { TOKEN, RESAMPLE, SELECT, NOISE, CHOICE, LINEAGE, REWARD }

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private final long seed;

  public RandomStreams(long seed) {
    this.seed = seed;
  }

  public long seed() {
    return seed;
  }

  /** A uniform double in [0, 1) for the given key. */
  public double uniform(long lineage, long step, Purpose purpose, long index) {
    return (bits(lineage, step, purpose, index) >>> 11) * 0x1.0p-53;
  }

  /**
   * A standard normal draw for the given key, by the Box-Muller transform of the uniforms at indices
   * {@code 2 * index} and {@code 2 * index + 1} of the same (lineage, step, purpose): a pure function of the key,
   * like {@link #uniform}. The two uniforms are not shared with any other {@code index}.
   */
  public double gaussian(long lineage, long step, Purpose purpose, long index) {
    double u1 = 1.0 - uniform(lineage, step, purpose, 2 * index); // in (0, 1], so the log is finite
    double u2 = uniform(lineage, step, purpose, 2 * index + 1);
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }

  /** 64 random bits for the given key. */
  public long bits(long lineage, long step, Purpose purpose, long index) {
    long h = mix(seed + GOLDEN);
    h = mix(h ^ (lineage + GOLDEN * 2));
    h = mix(h ^ (step + GOLDEN * 3));
    h = mix(h ^ (purpose.ordinal() + GOLDEN * 4));
    return mix(h ^ (index + GOLDEN * 5));
  }

  /** The lineage id of the {@code k}-th child forked from {@code parent}. */
  public static long childLineage(long parent, long k) {
    return mix(mix(parent + GOLDEN) ^ (k * GOLDEN + 0x632BE59BD9B4E019L));
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
