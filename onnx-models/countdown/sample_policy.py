"""Data for the reward models, sampled from the trained policy (temperature 1) and labelled by the checker.

  work/countdown/samples.jsonl   : ORM data. 8 samples for each of 1500 training problems (split "train",
                                   a seed stream disjoint from test/validation) and 8 samples for each of the
                                   first 200 validation problems (split "heldout").
  work/countdown/prm_prefixes.jsonl : PRM data. Step prefixes of the first 4 samples of 500 train problems
                                   and 100 held-out problems: the empty solution (prompt only) and the text
                                   after every complete step line (ending in "\n"), deduplicated per problem.
                                   Each prefix gets 8 policy rollouts; value = fraction checked correct.
"""
import json
import os
import time

import torch

import common
import make_data
import task

N_TRAIN, N_HELD, K = 1500, 200, 8
PRM_TRAIN, PRM_HELD, PRM_SAMPLES, ROLLOUTS = 500, 100, 4, 8
DATA_SEED = 101


def step_prefixes(text):
    """Solution prefixes at step boundaries: "" and the text up to each "\n" that ends a complete step line."""
    out = [""]
    lines = text.split("\n")
    acc = ""
    for line in lines[:-1]:  # the last element is not followed by "\n"
        if not task.STEP_RE.match(line):
            break
        acc += line + "\n"
        out.append(acc)
    return out


def main():
    torch.set_num_threads(1)
    t0 = time.time()
    model = common.load_policy()
    stream = make_data.train_problems(DATA_SEED)
    train = [dict(zip(("numbers", "target"), next(stream)[:2])) for _ in range(N_TRAIN)]
    held = make_data.load_split("validation")[:N_HELD]
    gen = torch.Generator().manual_seed(DATA_SEED)
    samples = []
    for split, probs in (("train", train), ("heldout", held)):
        for i in range(0, len(probs), 64):
            chunk = probs[i:i + 64]
            prompts = [common.encode(task.prompt_text(p["numbers"], p["target"])) for p in chunk]
            gens = common.sample(model, prompts, K, generator=gen)
            for j, (p, gs) in enumerate(zip(chunk, gens)):
                for s, g in enumerate(gs):
                    sol, eos = common.strip_eos(g)
                    text = common.decode(sol)
                    ok, why = task.check(p["numbers"], p["target"], text)
                    samples.append({"split": split, "problem": i + j, "sample": s, "numbers": p["numbers"],
                                    "target": p["target"], "text": text, "eos": eos, "correct": ok,
                                    "reason": why})
    os.makedirs(common.WORK, exist_ok=True)
    with open(os.path.join(common.WORK, "samples.jsonl"), "w") as f:
        for s in samples:
            f.write(json.dumps(s) + "\n")
    for split in ("train", "heldout"):
        ss = [s for s in samples if s["split"] == split]
        print(f"{split}: {len(ss)} samples, {sum(s['correct'] for s in ss) / len(ss):.3f} correct "
              f"({time.time() - t0:.0f}s)", flush=True)

    # PRM: unique prefixes per problem, 8 rollouts each
    prefixes = {}
    for s in samples:
        lim = PRM_TRAIN if s["split"] == "train" else PRM_HELD
        if s["problem"] >= lim or s["sample"] >= PRM_SAMPLES:
            continue
        for pre in step_prefixes(s["text"]):
            key = (s["split"], s["problem"], pre)
            if key not in prefixes:
                prefixes[key] = {"split": s["split"], "problem": s["problem"], "numbers": s["numbers"],
                                 "target": s["target"], "prefix": pre}
    items = list(prefixes.values())
    print(f"PRM prefixes: {len(items)}", flush=True)
    per = 64
    for i in range(0, len(items), per):
        chunk = items[i:i + per]
        prompts = [common.encode(task.prompt_text(it["numbers"], it["target"]) + it["prefix"]) for it in chunk]
        gens = common.sample(model, prompts, ROLLOUTS, generator=gen)
        for it, gs in zip(chunk, gens):
            wins = 0
            for g in gs:
                sol, _ = common.strip_eos(g)
                wins += task.check(it["numbers"], it["target"], it["prefix"] + common.decode(sol))[0]
            it["wins"] = wins
            it["rollouts"] = ROLLOUTS
    with open(os.path.join(common.WORK, "prm_prefixes.jsonl"), "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    print(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
