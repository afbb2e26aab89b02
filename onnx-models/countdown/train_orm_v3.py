"""ORM v3: the outcome reward model taught to see wrong arithmetic.

Why: 99% of the policy's wrong samples have an equation whose result is wrong, and the v1/v2 ORMs barely see it
(among one-equation texts their median score is the same for right and wrong arithmetic; bench/README.md,
"Selection rules over 64 samples"). ORM v2 had a light per-line validity loss (weight 0.3, lr 1e-4, 300 steps)
and plateaued at dev AUROC 0.89. This recipe makes the per-line signal the main one and trains longer:

Data (work/countdown/v3/, drawn with Ponder: `RolloutLabels samples POLICY ORM-V2 PROBLEMS 32 303 OUT` over the
first 3,000 problems of make_data.train_problems(303), and 8 per validation problem with seed 404 for the held
out set, as sample_verifier_data.py does): the policy's own samples with the checker's verdict.
Each batch (--mix natural,positive,pairs; default 32,8,24):
  natural: the policy's samples, uniformly (about 5% correct);
  positive: the policy's correct samples;
  pairs: counterfactual prefixes. A sample's text is cut after its first wrong equation; half the pairs keep that
    wrong line, half replace its result with the right one (when the prefix then breaks no rule). Only the
    per-line labels of a pair are trained (a prefix has no outcome): the pair differs in the digits of one result,
    which is exactly what the earlier ORMs could not tell apart.
Loss: BCE on the logit at the last token (P(correct)) + --aux x BCE of the same head at every "\\n" against "no
rule has failed yet" (verifier_data.line_validity). Starts from ORM v2. Early stopping on the dev problems (the
last DEV_PROBLEMS of the train file), never the validation split.
Exports countdown/orm-v3 (plain) and countdown/orm-v3-cached (KV-cache layout, via export_orm_cached.py) when the
held-out AUROC beats ORM v2's on the same texts; records metrics under "orm_v3" in metrics.json.

Outcome (2026-12-06, 3,000 steps, 23 min on 2 threads): it did not learn the arithmetic. Per-line validity AUROC
on dev 0.848 -> 0.864, held-out outcome AUROC 0.882 against ORM v2's 0.883 on the same texts, so nothing was
exported (bench/README.md, "ORM v3"). Kept as the recipe a longer or larger run would start from.

Usage: python train_orm_v3.py [--steps 3000] [--lr 5e-4] [--aux 1.0] [--mix 32,8,24] [--threads 2]
"""
import argparse
import copy
import os
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from transformers import GPT2ForSequenceClassification

import common
import task
import train_orm_v2 as v2
import verifier_data as vd

SEED = 31
V3_WORK = os.path.join(common.WORK, "v3")
OUT = os.path.join(common.HERE, "orm-v3")
OUT_CACHED = os.path.join(common.HERE, "orm-v3-cached")
BATCH, WARMUP, DEV_PROBLEMS = 64, 100, 150


def first_wrong_line(numbers, target, text):
    """(prefix up to and including the first line after which a rule has failed, that line's parsed step) or
    None when every line is valid or the failing line is not an equation."""
    for i, ok in vd.line_validity(numbers, target, text):
        if not ok:
            prefix = text[:i + 1]
            line = prefix[:-1].split("\n")[-1]
            m = task.STEP_RE.match(line)
            return (prefix, (int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4)))) if m else None
    return None


def fixed_prefix(numbers, target, prefix, step):
    """The prefix with its last equation's result corrected, or None when the right result is not a
    non-negative integer or the corrected prefix still breaks a rule (e.g. a number used twice)."""
    a, op, b, _ = step
    if op not in task.OPS:
        return None
    right = task.apply(a, op, b)
    if right is None or right < 0:
        return None
    head = prefix[:-1].rsplit("\n", 1)
    lead = head[0] + "\n" if len(head) == 2 else ""
    out = f"{lead}{a} {op} {b} = {right}\n"
    return out if vd.prefix_valid(numbers, target, out) else None


def example(text, numbers, target, correct):
    """(token ids, final label or None for a prefix with no outcome, [(newline token index, validity label)])."""
    ids, final, aux = v2.example(None, text, numbers, target, False)
    return ids, None if correct is None else float(correct), aux


def line_auroc(model, rows):
    """AUROC of the per-newline logits against line validity over dev samples (does it see the arithmetic?)."""
    ys, ps = [], []
    with torch.no_grad():
        for i in range(0, len(rows), 128):
            ex = [example(s["text"], s["numbers"], s["target"], s["correct"]) for s in rows[i:i + 128]]
            _, logits = v2.forward(model, [e[0] for e in ex])
            for b, e in enumerate(ex):
                for idx, v in e[2]:
                    ys.append(v)
                    ps.append(float(logits[b, idx]))
    return float(roc_auc_score(ys, ps))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--patience", type=int, default=4)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--aux", type=float, default=1.0)
    ap.add_argument("--mix", default="32,8,24", help="per batch: natural, positive, counterfactual-pair examples")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    n_nat, n_pos, n_pair = (int(x) for x in a.mix.split(","))
    if n_nat + n_pos + n_pair != BATCH:
        raise ValueError(f"--mix must add up to the batch {BATCH}, found {a.mix}")
    torch.set_num_threads(a.threads)
    rng = vd.set_seed(SEED)
    t0 = time.time()
    samples = vd.read_jsonl(os.path.join(V3_WORK, "train_samples.jsonl"))
    n_prob = max(s["problem"] for s in samples) + 1
    dev = [s for s in samples if s["problem"] >= n_prob - DEV_PROBLEMS and s["sample"] < 8]
    train = [s for s in samples if s["problem"] < n_prob - DEV_PROBLEMS]
    pos = [s for s in train if s["correct"]]
    broken = []
    for s in train:
        w = first_wrong_line(s["numbers"], s["target"], s["text"]) if not s["correct"] else None
        if w is not None:
            fix = fixed_prefix(s["numbers"], s["target"], *w)
            if fix is not None:
                broken.append((s["numbers"], s["target"], w[0], fix))
    print(f"train: {len(train)} samples of {n_prob - DEV_PROBLEMS} problems, {len(pos)} correct; "
          f"{len(broken)} counterfactual pairs; dev {len(dev)} samples ({sum(s['correct'] for s in dev)} correct)",
          flush=True)

    cfg, model = vd.committed_model(os.path.join(common.HERE, "orm-v2"), GPT2ForSequenceClassification)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    dev_texts = [v2.text_of(s) for s in dev]
    dev_y = np.array([s["correct"] for s in dev])

    def batch():
        ex = [example(s["text"], s["numbers"], s["target"], s["correct"]) for s in rng.sample(train, n_nat)]
        ex += [example(s["text"], s["numbers"], s["target"], True) for s in rng.choices(pos, k=n_pos)]
        for j in range(n_pair):
            numbers, target, wrong, fix = rng.choice(broken)
            ex.append(example(wrong if j % 2 == 0 else fix, numbers, target, None))
        return ex

    def evaluate(step):
        model.eval()
        auc = float(roc_auc_score(dev_y, v2.predict(model, dev_texts)))
        lauc = line_auroc(model, dev)
        model.train()
        print(f"  dev AUROC {auc:.4f}, per-line validity AUROC {lauc:.4f} at step {step} "
              f"({time.time() - t0:.0f}s)", flush=True)
        return {"step": step, "dev_auroc": auc, "dev_line_auroc": lauc, "seconds": round(time.time() - t0)}

    history = [evaluate(0)]
    best, bad, run = (history[0]["dev_auroc"], 0, copy.deepcopy(model.state_dict())), 0, 0.0
    model.train()
    for step in range(a.steps):
        ex = batch()
        for g in opt.param_groups:
            g["lr"] = a.lr * min(1.0, (step + 1) / WARMUP) * 0.5 * (1 + np.cos(np.pi * step / a.steps))
        last, all_logits = v2.forward(model, [e[0] for e in ex])
        outcome = [(b, e[1]) for b, e in enumerate(ex) if e[1] is not None]
        ob, oy = zip(*outcome)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(last[list(ob)], torch.tensor(oy))
        rows = [(b, i, v) for b, e in enumerate(ex) for i, v in e[2]]
        b, i, v = (torch.tensor(c) for c in zip(*rows))
        loss = loss + a.aux * torch.nn.functional.binary_cross_entropy_with_logits(all_logits[b, i], v.float())
        run = vd.train_step(model, opt, loss, step, run, t0)
        if (step + 1) % a.eval_every == 0 or step + 1 == a.steps:
            h = evaluate(step + 1)
            history.append(h)
            if h["dev_auroc"] > best[0]:
                best, bad = (h["dev_auroc"], step + 1, copy.deepcopy(model.state_dict())), 0
            else:
                bad += 1
                if bad >= a.patience:
                    print(f"  early stop: no dev gain in {bad} evaluations", flush=True)
                    break
    train_s = time.time() - t0
    model.load_state_dict(best[2])
    model.eval()

    held = vd.read_jsonl(os.path.join(V3_WORK, "val_samples.jsonl"))
    texts = [v2.text_of(s) for s in held]
    y = np.array([s["correct"] for s in held])
    p_new = v2.predict(model, texts)
    p_v2 = v2.onnx_scores(os.path.join(common.HERE, "orm-v2", "model.onnx"), texts)
    res = {"train_samples": len(train), "train_problems": n_prob - DEV_PROBLEMS, "counterfactual_pairs": len(broken),
           "batch_mix": {"natural": n_nat, "positive": n_pos, "pairs": n_pair}, "aux_weight": a.aux, "lr": a.lr,
           "heldout_samples": len(held), "heldout_positive_rate": float(y.mean()),
           "heldout_auroc": float(roc_auc_score(y, p_new)),
           "heldout_auroc_orm_v2_same_texts": float(roc_auc_score(y, p_v2)),
           "heldout_line_auroc": line_auroc(model, held),
           "heldout_best_of_8": v2.best_of(held, p_new, 8), "heldout_best_of_8_orm_v2": v2.best_of(held, p_v2, 8),
           "heldout_oracle_pass@8": v2.best_of(held, y.astype(float), 8),
           "best_step": best[1], "best_dev_auroc": best[0], "dev_history": history, "train_seconds": round(train_s)}
    print({k: v for k, v in res.items() if k != "dev_history"}, flush=True)
    model.save_pretrained(os.path.join(V3_WORK, "orm_v3_hf"))
    if res["heldout_auroc"] <= res["heldout_auroc_orm_v2_same_texts"]:
        print("not exported: held-out AUROC does not beat ORM v2's", flush=True)
        return
    v2.export(model, OUT, OUT_CACHED, texts, p_new, res, "orm_v3")


if __name__ == "__main__":
    main()
