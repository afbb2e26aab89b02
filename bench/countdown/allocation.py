"""Budget allocation studied offline on SampleTable's output (every sample of a best-of-64 run per problem).

Because a search's k-th sample is the same whatever N (lineage-keyed randomness), the first k samples of a
problem's row are exactly what best-of-k draws, so fixed, adaptive and difficulty-binned best-of-N can be
replayed without running the policy again. Tokens: prompt once plus every drawn sample's generated tokens.

  java -cp bench/target/benchmarks.jar dev.ponder.bench.SampleTable onnx-models/countdown/policy \
      onnx-models/countdown/orm-cached onnx-models/countdown/validation.jsonl 64 1 /tmp/validation64.jsonl
  python3 bench/countdown/allocation.py /tmp/validation64.jsonl [/tmp/test64.jsonl]

The binned rule (probe 4 samples, choose N by the probe's best ORM score) is fitted on the first file and, when
a second is given, measured on it unchanged.
"""
import json
import sys

BINS = [0, 0.02, 0.05, 0.1, 0.2, 0.3, 1.01]
SIZES = (4, 8, 16, 32, 64)
PROBE = 4


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def best_of(row, k):
    drawn = row["samples"][:k]
    best = max(range(k), key=lambda j: (drawn[j]["orm"], -j))
    return drawn[best]["correct"], row["prompt_tokens"] + sum(s["tokens"] for s in drawn)


def score(rows, size_of):
    acc = tok = 0
    for r in rows:
        ok, t = best_of(r, size_of(r))
        acc += ok
        tok += t
    return acc / len(rows), tok / len(rows)


def probe_bin(row):
    top = max(s["orm"] for s in row["samples"][:PROBE])
    return next(i for i in range(len(BINS) - 1) if BINS[i] <= top < BINS[i + 1])


def fit(rows, tokens_per_point):
    """Per bin, the N that maximises accuracy minus a price per token (a point = one problem solved)."""
    choice = {}
    for b in range(len(BINS) - 1):
        sub = [r for r in rows if probe_bin(r) == b]
        if not sub:
            choice[b] = PROBE
            continue
        choice[b] = max(SIZES, key=lambda n: sum(best_of(r, n)[0] for r in sub)
                        - sum(best_of(r, n)[1] for r in sub) / tokens_per_point)
    return choice


def main():
    fitted_on = load(sys.argv[1])
    measured_on = load(sys.argv[2]) if len(sys.argv) > 2 else fitted_on
    for name, rows in (("fit", fitted_on), ("measure", measured_on)):
        print(name, "fixed", " ".join(f"bon-{n}: {a:.3f} at {t:.0f} tok" for n in SIZES
                                      for a, t in [score(rows, lambda r, n=n: n)]))
    for price in (2000, 4000, 8000):
        choice = fit(fitted_on, price)
        a, t = score(measured_on, lambda r: choice[probe_bin(r)])
        print(f"binned (price {price} tokens per solved problem; N per bin {list(choice.values())}):"
              f" {a:.3f} at {t:.0f} tok")


if __name__ == "__main__":
    main()
