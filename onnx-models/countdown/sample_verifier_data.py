"""Data for the v2 verifiers, drawn with Ponder itself (bench's dev.ponder.bench.RolloutLabels; build first with
`mvn -q -DskipTests package`). Writes to work/countdown/v2/:

  train_problems.jsonl  N_TRAIN problems of the seeded stream 303 (disjoint from test/validation, make_data.py)
  train_samples.jsonl   SAMPLES policy samples (temperature 1) per train problem: text, checker verdict, and the
                        committed ORM's score (to mine hard negatives)
  val_samples.jsonl     8 samples per validation problem (all 500), the held-out set of the ORM
  prm_train.jsonl       step prefixes of the first PRM_SAMPLES samples of the first PRM_TRAIN train problems
  prm_heldout.jsonl     the same for the first PRM_HELD validation problems
  prm_train_extra.jsonl new prefixes of samples 4..11 of the first EXTRA_PROBLEMS train problems (PRM v2's
                        train part; its dev problems EXTRA_PROBLEMS..PRM_TRAIN-1 keep the first 4 samples only)
  prm_train_extra2.jsonl (--extra2, PRM v3) new prefixes of samples 12..EXTRA2_SAMPLES-1 of the same problems,
                        leaving out every prefix of the two files above; rollout seed SEED_ROLL_TRAIN + 2
  prm_train_extra3.jsonl (--extra2 with --n-train > PRM_TRAIN, PRM v3) prefixes of samples 0..EXTRA_SAMPLES-1 of
                        train problems PRM_TRAIN..n_train-1 (after PRM v2's dev block); seed SEED_ROLL_TRAIN + 3
    Each prefix: valid ones (no rule failed yet) get K policy rollouts from prompt + prefix (wins / rollouts =
    MC value); invalid ones have value exactly 0 (the checker rejects every continuation), rollouts = 0.
    "advantage" = value - value of the previous prefix of the same sample (process advantage, PAV).

Usage: python sample_verifier_data.py [--jar bench/target/benchmarks.jar] [--n-train 1300] [--reuse] [--extra2]
  --n-train 1200: sample only the train problems the PRM reads (problems are seeded per index, so the first 1,200
  are the same as in a 1,300 run); --reuse: keep an output file that already exists (samples, or the rollouts of
  a part whose todo list is unchanged) instead of drawing it again; --extra2: also roll out prm_train_extra2
  (and prm_train_extra3 when n_train > 1200). PRM v3's data: --n-train 1600 --extra2.
"""
import argparse
import os
import subprocess
import time

import common
import make_data
import verifier_data as vd

N_TRAIN, SAMPLES = 1300, 32  # 2500 planned; cut to 1300 to fit the CPU time (samples are per-problem seeded)
PRM_TRAIN, PRM_HELD, PRM_SAMPLES = 1200, 200, 4
K_TRAIN, K_HELD = 8, 16
EXTRA_PROBLEMS, EXTRA_SAMPLES = 1000, 12
EXTRA2_SAMPLES = 32  # PRM v3: samples 12..31 of the same problems
SEED_TRAIN, SEED_VAL, SEED_ROLL_TRAIN, SEED_ROLL_HELD = 303, 404, 505, 606


def java(jar, *args):
    cmd = ["java", "-cp", jar, "dev.ponder.bench.RolloutLabels", *map(str, args)]
    print(" ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def prefixes_of(samples, n_problems, first_sample=0, last_sample=PRM_SAMPLES, skip=(), first_problem=0):
    """Unique step prefixes (per problem) of samples first_sample..last_sample-1 of problems
    first_problem..n_problems-1, leaving out keys in skip."""
    rows, seen = [], set(skip)
    for s in samples:
        if not first_problem <= s["problem"] < n_problems or not first_sample <= s["sample"] < last_sample:
            continue
        prev = None
        for pre in vd.step_prefixes(s["text"]):
            key = (s["problem"], pre)
            if key not in seen:
                seen.add(key)
                rows.append({"problem": s["problem"], "id": s["id"], "numbers": s["numbers"], "target": s["target"],
                             "prefix": pre, "parent": prev,
                             "valid": vd.prefix_valid(s["numbers"], s["target"], pre)})
            prev = pre
    return rows


def label(jar, rows, k, seed, name, reuse=False):
    todo = [r for r in rows if r["valid"]]
    inp, out = os.path.join(vd.V2_WORK, name + "_todo.jsonl"), os.path.join(vd.V2_WORK, name + "_rolled.jsonl")
    same = reuse and os.path.exists(inp) and os.path.exists(out) and vd.read_jsonl(inp) == todo \
        and len(vd.read_jsonl(out)) == len(todo)
    if same:
        print(f"{name}: reusing {out}", flush=True)
    else:
        vd.write_jsonl(inp, todo)
        java(jar, "rollouts", os.path.join(common.HERE, "policy"), inp, k, seed, out)
    rolled = {(r["problem"], r["prefix"]): r for r in vd.read_jsonl(out)}
    for r in rows:
        got = rolled.get((r["problem"], r["prefix"]))
        r["wins"], r["rollouts"] = (got["wins"], got["rollouts"]) if got else (0, 0)
        r["value"] = r["wins"] / r["rollouts"] if r["rollouts"] else 0.0
    value = {(r["problem"], r["prefix"]): r["value"] for r in rows}
    for r in rows:
        parent = None if r["parent"] is None else value.get((r["problem"], r["parent"]))
        r["advantage"] = None if parent is None else r["value"] - parent  # parent in another file: None
    vd.write_jsonl(os.path.join(vd.V2_WORK, name + ".jsonl"), rows)
    print(f"{name}: {len(rows)} prefixes, {len(todo)} rolled out x{k}, mean value "
          f"{sum(r['value'] for r in rows) / len(rows):.3f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", default=os.path.join(common.ROOT, "..", "bench", "target", "benchmarks.jar"))
    ap.add_argument("--n-train", type=int, default=N_TRAIN)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--extra2", action="store_true")
    a = ap.parse_args()
    assert a.n_train >= PRM_TRAIN
    t0 = time.time()
    os.makedirs(vd.V2_WORK, exist_ok=True)
    W = lambda n: os.path.join(vd.V2_WORK, n)  # noqa: E731
    stream = make_data.train_problems(SEED_TRAIN)
    vd.write_jsonl(W("train_problems.jsonl"), [
        {"id": f"train{SEED_TRAIN}-{i:04d}", "numbers": n, "target": t}
        for i, (n, t, _) in zip(range(a.n_train), stream)])
    policy, orm = os.path.join(common.HERE, "policy"), os.path.join(common.HERE, "orm-cached")

    def samples(problems, n, seed, name, rows):
        if a.reuse and os.path.exists(W(name)) and len(vd.read_jsonl(W(name))) == rows:
            print(f"reusing {name}", flush=True)
        else:
            java(a.jar, "samples", policy, orm, problems, n, seed, W(name))
    samples(os.path.join(common.HERE, "validation.jsonl"), 8, SEED_VAL, "val_samples.jsonl", 8 * 500)
    samples(W("train_problems.jsonl"), SAMPLES, SEED_TRAIN, "train_samples.jsonl", SAMPLES * a.n_train)
    print(f"samples done ({time.time() - t0:.0f}s)", flush=True)
    label(a.jar, prefixes_of(vd.read_jsonl(W("val_samples.jsonl")), PRM_HELD), K_HELD, SEED_ROLL_HELD,
          "prm_heldout", a.reuse)
    label(a.jar, prefixes_of(vd.read_jsonl(W("train_samples.jsonl")), PRM_TRAIN), K_TRAIN, SEED_ROLL_TRAIN,
          "prm_train", a.reuse)
    rolled = {(r["problem"], r["prefix"]) for r in vd.read_jsonl(W("prm_train.jsonl"))}
    label(a.jar, prefixes_of(vd.read_jsonl(W("train_samples.jsonl")), EXTRA_PROBLEMS, PRM_SAMPLES, EXTRA_SAMPLES,
                             rolled), K_TRAIN, SEED_ROLL_TRAIN + 1, "prm_train_extra", a.reuse)
    if a.extra2:
        rolled |= {(r["problem"], r["prefix"]) for r in vd.read_jsonl(W("prm_train_extra.jsonl"))}
        label(a.jar, prefixes_of(vd.read_jsonl(W("train_samples.jsonl")), EXTRA_PROBLEMS, EXTRA_SAMPLES,
                                 EXTRA2_SAMPLES, rolled), K_TRAIN, SEED_ROLL_TRAIN + 2, "prm_train_extra2", a.reuse)
        if a.n_train > PRM_TRAIN:
            label(a.jar, prefixes_of(vd.read_jsonl(W("train_samples.jsonl")), a.n_train, 0, EXTRA_SAMPLES,
                                     first_problem=PRM_TRAIN), K_TRAIN, SEED_ROLL_TRAIN + 3, "prm_train_extra3",
                  a.reuse)
    print(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
