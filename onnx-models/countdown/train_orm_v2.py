"""ORM v2: the outcome reward model retrained on many more of the policy's samples, with class balance and hard
negatives, and early stopping on a dev set of train-stream problems (never the validation split).

Data (sample_verifier_data.py, work/countdown/v2/): train_samples.jsonl (32 Ponder samples per train problem,
checker labels, the committed ORM's score); the last DEV_PROBLEMS problems of the file are the dev set.
Starts from the committed ORM (--init orm; from the policy's trunk it reached only 0.78 dev AUROC in 400 steps).
Each batch of 64 (--mix natural,positive,hard,corrupted; default 48,8,0,8):
  samples drawn uniformly (the natural mix, ~5% correct),
  positives (the policy's correct samples; --synthetic: the share replaced by a solver's valid solution),
  hard negatives: wrong samples the committed ORM scores highest (top HARD_FRACTION of wrong samples),
  near-miss corruptions of correct solutions (one wrong digit or operator, later lines consistent).
The mix 32,10,10,12 with 40% synthetic positives (lr 2e-4) lowered dev AUROC from 0.891 to 0.838 in 400 steps;
the default mix kept it at 0.887-0.893.
Loss: BCE on the logit at the last token (P(correct)) + AUX_WEIGHT x BCE of the same head at every "\\n"
against "no rule has failed yet" (dense arithmetic supervision; the export reads only the last token).
Held out: val_samples.jsonl (8 samples of each of the 500 validation problems); the committed ORM is scored on
the same texts. Exports countdown/orm-v2 (plain) and countdown/orm-v2-cached (KV-cache layout, via
export_orm_cached.py) and records metrics under "orm_v2" in metrics.json.

Usage: python train_orm_v2.py [--steps 700] [--eval-every 100] [--patience 4] [--lr 1e-4] [--mix 48,8,0,8]
"""
import argparse
import copy
import os
import subprocess
import sys
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from transformers import GPT2ForSequenceClassification

import common
import eval_policy
import task
import verifier_data as vd
from zoo import chartok, gpt2_onnx as gx

SEED = 21
OUT = os.path.join(common.HERE, "orm-v2")
OUT_CACHED = os.path.join(common.HERE, "orm-v2-cached")
BATCH, WARMUP = 64, 100
N_NAT, N_POS, N_HARD, N_CORR = 48, 8, 0, 8  # 32/10/10/12 with 40% synthetic positives lowered dev AUROC
HARD_FRACTION, AUX_WEIGHT, DEV_PROBLEMS = 0.1, 0.3, 150


def text_of(s):
    return task.prompt_text(s["numbers"], s["target"]) + s["text"]


def forward(model, seqs):
    """(last-token logits [B], per-newline logits and their char positions) for right-padded token seqs."""
    ids, mask = vd.right_pad(seqs)
    h = model.transformer(input_ids=ids, attention_mask=mask).last_hidden_state
    logits = model.score(h).squeeze(-1)  # [B, S]
    last = mask.sum(1) - 1
    return logits[torch.arange(len(seqs)), last], logits


@torch.no_grad()
def predict(model, texts, bs=128):
    out = []
    for i in range(0, len(texts), bs):
        last, _ = forward(model, [common.encode(t) for t in texts[i:i + bs]])
        out.append(torch.sigmoid(last).numpy())
    return np.concatenate(out)


def onnx_scores(path, texts, bs=128):
    sess = gx.ort_session(path)
    out = []
    for i in range(0, len(texts), bs):
        ids, mask = gx.right_pad([common.encode(t) for t in texts[i:i + bs]], common.PAD_ID)
        out.append(1 / (1 + np.exp(-sess.run(None, {"input_ids": ids, "attention_mask": mask})[0][:, 0])))
    return np.concatenate(out)


def best_of(samples, scores, k):
    by = {}
    for s, p in zip(samples, scores):
        if s["sample"] < k:
            by.setdefault(s["problem"], []).append((p, s["correct"]))
    return float(np.mean([max(v)[1] for v in by.values()]))


def example(rng, s_text, numbers, target, correct):
    """(token ids, final label, [(token index of a newline, validity label)])."""
    prompt = task.prompt_text(numbers, target)
    off = len(common.encode(prompt))
    aux = [(off + i, float(v)) for i, v in vd.line_validity(numbers, target, s_text)]
    return common.encode(prompt + s_text), float(correct), aux


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--patience", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--mix", default=f"{N_NAT},{N_POS},{N_HARD},{N_CORR}",
                    help="per batch: natural, positive, hard-negative, corrupted examples")
    ap.add_argument("--synthetic", type=float, default=0.0, help="share of positives that are synthetic solutions")
    ap.add_argument("--aux", type=float, default=AUX_WEIGHT)
    ap.add_argument("--init", choices=["orm", "policy"], default="orm",
                    help="start from the committed ORM (default) or from the policy's trunk")
    a = ap.parse_args()
    n_nat, n_pos, n_hard, n_corr = (int(x) for x in a.mix.split(","))
    if n_nat + n_pos + n_hard + n_corr != BATCH:
        raise ValueError(f"--mix must add up to the batch {BATCH}, found {a.mix}")
    torch.set_num_threads(1)
    rng = vd.set_seed(SEED)
    t0 = time.time()
    samples = vd.read_jsonl(os.path.join(vd.V2_WORK, "train_samples.jsonl"))
    n_prob = max(s["problem"] for s in samples) + 1
    dev = [s for s in samples if s["problem"] >= n_prob - DEV_PROBLEMS and s["sample"] < 8]
    train = [s for s in samples if s["problem"] < n_prob - DEV_PROBLEMS]
    pos = [s for s in train if s["correct"]]
    wrong = sorted((s for s in train if not s["correct"]), key=lambda s: -s["orm"])
    hard = wrong[:max(1, int(HARD_FRACTION * len(wrong)))]
    problems = {}
    for s in train:
        problems.setdefault(s["problem"], (s["numbers"], s["target"]))
    prob_list = list(problems.values())
    print(f"train: {len(train)} samples of {len(problems)} problems, {len(pos)} correct "
          f"({len(pos) / len(train):.3f}); hard negatives {len(hard)} (committed ORM >= {hard[-1]['orm']:.3f}); "
          f"dev {len(dev)} samples ({sum(s['correct'] for s in dev)} correct)", flush=True)

    if a.init == "orm":
        cfg, model = vd.committed_model(os.path.join(common.HERE, "orm"), GPT2ForSequenceClassification)
    else:
        cfg, trunk = vd.policy_transformer()
        cfg.num_labels, cfg.pad_token_id, cfg.problem_type = 1, common.PAD_ID, "regression"
        model = GPT2ForSequenceClassification(cfg)
        model.transformer.load_state_dict(trunk.state_dict())
        torch.nn.init.normal_(model.score.weight, std=0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    dev_texts = [text_of(s) for s in dev]
    dev_y = np.array([s["correct"] for s in dev])

    def positive():
        if pos and rng.random() >= a.synthetic:
            s = rng.choice(pos)
            return s["text"], s["numbers"], s["target"]
        while True:
            numbers, target = rng.choice(prob_list)
            t = vd.synthetic_correct(rng, numbers, target)
            if t is not None:
                return t, numbers, target

    def batch():
        ex = []
        for s in rng.sample(train, n_nat):
            ex.append(example(rng, s["text"], s["numbers"], s["target"], s["correct"]))
        for _ in range(n_pos):
            t, n, g = positive()
            ex.append(example(rng, t, n, g, True))
        for s in rng.sample(hard, n_hard):
            ex.append(example(rng, s["text"], s["numbers"], s["target"], False))
        while len(ex) < BATCH:
            t, n, g = positive()
            c = vd.corrupt(rng, n, g, t)
            if c is not None:
                ex.append(example(rng, c, n, g, False))
        return ex

    model.eval()
    auc0 = float(roc_auc_score(dev_y, predict(model, dev_texts)))
    print(f"  dev AUROC {auc0:.4f} at step 0 (init {a.init})", flush=True)
    best = (auc0, 0, copy.deepcopy(model.state_dict()))
    history, run, bad = [{"step": 0, "dev_auroc": auc0, "seconds": round(time.time() - t0)}], 0.0, 0
    model.train()
    for step in range(a.steps):
        ex = batch()
        for g in opt.param_groups:
            g["lr"] = a.lr * min(1.0, (step + 1) / WARMUP) * 0.5 * (1 + np.cos(np.pi * step / a.steps))
        last, all_logits = forward(model, [e[0] for e in ex])
        y = torch.tensor([e[1] for e in ex])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(last, y)
        rows = [(b, i, v) for b, e in enumerate(ex) for i, v in e[2]]
        if rows and a.aux > 0:
            b, i, v = (torch.tensor(c) for c in zip(*rows))
            loss = loss + a.aux * torch.nn.functional.binary_cross_entropy_with_logits(
                all_logits[b, i], v.float())
        run = vd.train_step(model, opt, loss, step, run, t0)
        if (step + 1) % a.eval_every == 0 or step + 1 == a.steps:
            model.eval()
            auc = float(roc_auc_score(dev_y, predict(model, dev_texts)))
            model.train()
            history.append({"step": step + 1, "dev_auroc": auc, "seconds": round(time.time() - t0)})
            print(f"  dev AUROC {auc:.4f} at step {step + 1}", flush=True)
            if auc > best[0]:
                best, bad = (auc, step + 1, copy.deepcopy(model.state_dict())), 0
            else:
                bad += 1
                if bad >= a.patience:
                    print(f"  early stop: no dev gain in {bad} evaluations", flush=True)
                    break
    train_s = time.time() - t0
    model.load_state_dict(best[2])
    model.eval()

    held = vd.read_jsonl(os.path.join(vd.V2_WORK, "val_samples.jsonl"))
    texts = [text_of(s) for s in held]
    y = np.array([s["correct"] for s in held])
    p_new = predict(model, texts)
    p_old = onnx_scores(os.path.join(common.HERE, "orm", "model.onnx"), texts)
    res = {"train_samples": len(train), "train_problems": len(problems), "train_positive_rate": len(pos) / len(train),
           "hard_negatives": len(hard), "batch_mix": {"natural": n_nat, "positive": n_pos, "hard": n_hard,
                                                      "corrupted": n_corr}, "synthetic_share": a.synthetic,
           "aux_weight": a.aux,
           "heldout_samples": len(held), "heldout_positive_rate": float(y.mean()),
           "heldout_auroc": float(roc_auc_score(y, p_new)),
           "heldout_auroc_committed_orm_same_texts": float(roc_auc_score(y, p_old)),
           "heldout_best_of_8": best_of(held, p_new, 8), "heldout_best_of_8_committed_orm": best_of(held, p_old, 8),
           "heldout_oracle_pass@8": best_of(held, y.astype(float), 8),
           "best_step": best[1], "best_dev_auroc": best[0], "dev_history": history,
           "train_seconds": round(train_s), "init": a.init, "lr": a.lr}
    print({k: v for k, v in res.items() if k != "dev_history"}, flush=True)

    model.save_pretrained(os.path.join(vd.V2_WORK, "orm_v2_hf"))
    export(model, OUT, OUT_CACHED, texts, p_new, res, "orm_v2")


def export(model, out, out_cached, texts, p_new, res, key):
    """Writes the plain export (checked against the PyTorch model's probabilities p_new on the first 64 texts) and
    the KV-cache one, and records res under key in metrics.json."""
    os.makedirs(out, exist_ok=True)
    model.config.save_pretrained(out)
    chartok.save(os.path.join(out, "tokenizer.json"))
    path = os.path.join(out, "model.onnx")
    gx.export_seq_cls(model, path)
    got = onnx_scores(path, texts[:64])
    d = float(np.abs(got - p_new[:64]).max())
    assert d < 1e-4, f"{out}: the export differs from the PyTorch model by {d}"
    res["onnx_max_prob_diff"] = d
    eval_policy.update_metrics(key, res)
    subprocess.run([sys.executable, os.path.join(common.HERE, "export_orm_cached.py"), out, out_cached], check=True)


if __name__ == "__main__":
    main()
