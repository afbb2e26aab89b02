"""PRM v2: the process reward model trained on Monte-Carlo progress labels drawn with Ponder
(sample_verifier_data.py: prm_train.jsonl / prm_heldout.jsonl in work/countdown/v2/).

A step prefix's label is its MC value: the fraction of K policy rollouts from it that the checker accepts; a
prefix whose steps already broke a rule has value exactly 0 (no rollout needed). Training reads whole sample
texts: the model is causal, so the logit at each step-ending "\\n" (and the prompt's "\\n", the empty solution)
sees only the text up to it, and one forward pass trains every labelled step of a sample. Sequences are all 32
samples of each train problem (with --extra, prm_train_extra.jsonl adds rolled-out prefixes of samples 4-11); a newline is labelled when its prefix is in prm_train.jsonl (rolled out) or is
invalid (value 0), so the extra samples add exact zeros for wrong arithmetic. Near-miss corruptions of
synthetic valid solutions add more exact zeros (arithmetic drill). Loss: BCE against the soft label.
Early stopping on dev prefixes (the last --dev-problems problems of prm_train.jsonl), never the validation split.
Held out: prm_heldout.jsonl (validation problems), each prefix scored as its own sequence; the committed PRM is
scored on the same prefixes. Exports countdown/prm-v2 and countdown/prm-v2-cached (the layouts of prm/ and
prm-cached/) and records metrics under "prm_v2" in metrics.json.

Usage: python train_prm_v2.py [--steps 600] [--eval-every 100] [--patience 4] [--init prm] [--lr 1e-4] [--rolled-weight 4]
"""
import argparse
import copy
import os
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from transformers import GPT2ForTokenClassification

import common
import eval_policy
import task
import verifier_data as vd
from zoo import chartok, gpt2_onnx as gx

SEED = 23
OUT = os.path.join(common.HERE, "prm-v2")
OUT_CACHED = os.path.join(common.HERE, "prm-v2-cached")
BATCH, WARMUP = 64, 100
N_CORR = 8


def labelled_sequence(numbers, target, text, values, problem):
    """(token ids, [(token index, label, rolled out?)]): labels at the prompt's newline and each step-ending
    newline; rolled out = an MC value, else an exact 0 for a prefix that broke a rule."""
    prompt = task.prompt_text(numbers, target)
    ids = common.encode(prompt + text)
    off = len(common.encode(prompt))
    out = []
    for pre in vd.step_prefixes(text):
        idx = off + len(common.encode(pre)) - 1
        v = values.get((problem, pre))
        if v is not None:
            out.append((idx, v, True))
        elif not vd.prefix_valid(numbers, target, pre):
            out.append((idx, 0.0, False))
    return ids, out


def forward(model, seqs):
    ids, mask = vd.right_pad(seqs)
    h = model.transformer(input_ids=ids, attention_mask=mask).last_hidden_state
    return model.classifier(h).squeeze(-1)


@torch.no_grad()
def predict_prefixes(model, rows, bs=128):
    out = []
    for i in range(0, len(rows), bs):
        seqs = [common.encode(task.prompt_text(r["numbers"], r["target"]) + r["prefix"]) for r in rows[i:i + bs]]
        logits = forward(model, seqs)
        last = torch.tensor([len(s) - 1 for s in seqs])
        out.append(torch.sigmoid(logits[torch.arange(len(seqs)), last]).numpy())
    return np.concatenate(out)


def onnx_prefix_scores(path, rows, bs=128):
    sess = gx.ort_session(path)
    out = []
    for i in range(0, len(rows), bs):
        seqs = [common.encode(task.prompt_text(r["numbers"], r["target"]) + r["prefix"]) for r in rows[i:i + bs]]
        ids, mask = gx.right_pad(seqs, common.PAD_ID)
        lg = sess.run(None, {"input_ids": ids, "attention_mask": mask})[0][:, :, 0]
        out.append(1 / (1 + np.exp(-lg[np.arange(len(seqs)), [len(s) - 1 for s in seqs]])))
    return np.concatenate(out)


def auroc(y, p):
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None


def metrics(rows, p):
    v = np.array([r["value"] for r in rows])
    step = np.array([r["prefix"] != "" for r in rows])
    valid = np.array([r["valid"] for r in rows])
    return {"step_auroc_vs_mc_value_ge_0.5": auroc((v >= 0.5).astype(int), p),
            "step_auroc_vs_mc_value_ge_0.5_step_prefixes_only": auroc((v[step] >= 0.5).astype(int), p[step]),
            "step_auroc_vs_mc_value_gt_0": auroc((v > 0).astype(int), p),
            "step_auroc_vs_mc_value_ge_0.5_valid_prefixes_only": auroc((v[valid] >= 0.5).astype(int), p[valid]),
            "mse_vs_mc_value": float(np.mean((p - v) ** 2)),
            "mse_of_constant_mean_baseline": float(np.mean((v.mean() - v) ** 2))}


def main(defaults=None):
    """defaults: argparse defaults to override (train_prm_v3.py: its extra files, output folders, metrics key)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--patience", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--rolled-weight", type=float, default=4.0,
                    help="loss weight of MC-valued newlines against exact zeros (which are ~90%% of labels)")
    ap.add_argument("--dev-problems", type=int, default=200)
    ap.add_argument("--extra", type=int, default=1, help="1: also use prm_train_extra.jsonl when present")
    ap.add_argument("--init", choices=["prm", "policy"], default="prm",
                    help="start from the committed PRM (default) or from the policy's trunk")
    ap.add_argument("--train-after-dev", type=int, default=0,
                    help="1: also train on the problems after the dev block (prm_train.jsonl's last --dev-problems)")
    ap.add_argument("--extra-files", default="prm_train_extra.jsonl",
                    help="comma-separated files in work/countdown/v2 with more rolled-out train prefixes")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--out-cached", default=OUT_CACHED)
    ap.add_argument("--metrics-key", default="prm_v2")
    ap.add_argument("--min-heldout", type=float, default=None,
                    help="export only when the held-out AUROC (>= 0.5, all prefixes) exceeds this")
    ap.set_defaults(**(defaults or {}))
    a = ap.parse_args()
    torch.set_num_threads(1)
    rng = vd.set_seed(SEED)
    t0 = time.time()
    prm_rows = vd.read_jsonl(os.path.join(vd.V2_WORK, "prm_train.jsonl"))
    n_prob = max(r["problem"] for r in prm_rows) + 1
    dev_rows = [r for r in prm_rows if r["problem"] >= n_prob - a.dev_problems]
    extra = []  # more rolled-out prefixes, train part only
    for name in a.extra_files.split(",") if a.extra else []:
        if os.path.exists(os.path.join(vd.V2_WORK, name)):
            extra += vd.read_jsonl(os.path.join(vd.V2_WORK, name))
        elif name != "prm_train_extra.jsonl":
            raise FileNotFoundError(os.path.join(vd.V2_WORK, name))
    in_dev = lambda p: n_prob - a.dev_problems <= p < n_prob  # noqa: E731
    in_train = lambda p: p < n_prob - a.dev_problems or (a.train_after_dev and p >= n_prob)  # noqa: E731
    assert not any(in_dev(r["problem"]) for r in extra), "extra prefixes must not touch dev problems"
    values = {(r["problem"], r["prefix"]): r["value"] for r in prm_rows + extra if r["rollouts"] > 0}
    samples = [s for s in vd.read_jsonl(os.path.join(vd.V2_WORK, "train_samples.jsonl")) if in_train(s["problem"])]
    seqs = []
    for s in samples:
        ids, labels = labelled_sequence(s["numbers"], s["target"], s["text"], values, s["problem"])
        if labels:
            seqs.append((ids, labels))
    problems = sorted({(tuple(s["numbers"]), s["target"]) for s in samples})
    n_lab = sum(len(l) for _, l in seqs)
    print(f"train: {len(seqs)} sequences from {len(samples)} samples, {n_lab} labelled newlines "
          f"({sum(v > 0 for _, l in seqs for _, v, _ in l)} with value > 0); dev prefixes {len(dev_rows)} "
          f"({sum(r['value'] >= 0.5 for r in dev_rows)} with value >= 0.5)", flush=True)

    if a.init == "prm":
        cfg, model = vd.committed_model(os.path.join(common.HERE, "prm"), GPT2ForTokenClassification)
    else:
        cfg, trunk = vd.policy_transformer()
        cfg.num_labels, cfg.pad_token_id = 1, common.PAD_ID
        model = GPT2ForTokenClassification(cfg)
        model.transformer.load_state_dict(trunk.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)

    def corrupted():
        while True:
            numbers, target = rng.choice(problems)
            t = vd.synthetic_correct(rng, list(numbers), target)
            c = None if t is None else vd.corrupt(rng, list(numbers), target, t)
            if c is not None:
                return labelled_sequence(list(numbers), target, c, {}, None)

    model.eval()
    m0 = metrics(dev_rows, predict_prefixes(model, dev_rows))
    print(f"  dev AUROC(>=0.5) {m0['step_auroc_vs_mc_value_ge_0.5']:.4f} at step 0 (init {a.init})", flush=True)
    best = (m0["step_auroc_vs_mc_value_ge_0.5"], 0, copy.deepcopy(model.state_dict()))
    history, run, bad = [{"step": 0, **m0, "seconds": round(time.time() - t0)}], 0.0, 0
    model.train()
    for step in range(a.steps):
        batch = rng.sample(seqs, BATCH - N_CORR)
        batch += [b for b in (corrupted() for _ in range(N_CORR)) if b[1]]
        for g in opt.param_groups:
            g["lr"] = a.lr * min(1.0, (step + 1) / WARMUP) * 0.5 * (1 + np.cos(np.pi * step / a.steps))
        logits = forward(model, [b[0] for b in batch])
        rows = [(i, j, v, a.rolled_weight if r else 1.0) for i, b in enumerate(batch) for j, v, r in b[1]]
        bi, pi, y, w = (torch.tensor(c) for c in zip(*rows))
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits[bi, pi], y.float(), reduction="none")
                * w.float()).sum() / w.float().sum()
        run = vd.train_step(model, opt, loss, step, run, t0)
        if (step + 1) % a.eval_every == 0 or step + 1 == a.steps:
            model.eval()
            m = metrics(dev_rows, predict_prefixes(model, dev_rows))
            model.train()
            score = m["step_auroc_vs_mc_value_ge_0.5"]
            history.append({"step": step + 1, **m, "seconds": round(time.time() - t0)})
            print(f"  dev AUROC(>=0.5) {score:.4f} AUROC(>0) {m['step_auroc_vs_mc_value_gt_0']:.4f} "
                  f"at step {step + 1}", flush=True)
            if score > best[0]:
                best, bad = (score, step + 1, copy.deepcopy(model.state_dict())), 0
            else:
                bad += 1
                if bad >= a.patience:
                    print(f"  early stop: no dev gain in {bad} evaluations", flush=True)
                    break
    train_s = time.time() - t0
    model.load_state_dict(best[2])
    model.eval()

    held = vd.read_jsonl(os.path.join(vd.V2_WORK, "prm_heldout.jsonl"))
    p_new = predict_prefixes(model, held)
    p_old = onnx_prefix_scores(os.path.join(common.HERE, "prm", "model.onnx"), held)
    res = {"train_sequences": len(seqs), "train_labelled_newlines": n_lab, "rolled_prefixes": len(values),
           "rollouts_train": max(r["rollouts"] for r in prm_rows), "rollouts_heldout": max(r["rollouts"] for r in held),
           "heldout_prefixes": len(held), "heldout_valid_prefixes": sum(r["valid"] for r in held),
           "heldout_mean_mc_value": float(np.mean([r["value"] for r in held])),
           "heldout": metrics(held, p_new), "heldout_committed_prm_same_prefixes": metrics(held, p_old),
           "best_step": best[1], "best_dev_auroc": best[0], "dev_history": history, "train_seconds": round(train_s), "init": a.init, "lr": a.lr, "rolled_weight": a.rolled_weight,
           "dev_problems": a.dev_problems, "extra_prefix_files": a.extra_files if extra else "",
           "train_after_dev": a.train_after_dev, "train_problems": len(problems),
           "train_rolled_prefixes": sum(1 for k in values if in_train(k[0])),
           "steps": a.steps}
    print({k: v for k, v in res.items() if k != "dev_history"}, flush=True)

    model.save_pretrained(os.path.join(vd.V2_WORK, a.metrics_key + "_hf"))
    got = res["heldout"]["step_auroc_vs_mc_value_ge_0.5"]
    if a.min_heldout is not None and not got > a.min_heldout:
        print(f"held-out AUROC {got:.4f} does not beat {a.min_heldout}: not exported", flush=True)
        res["exported"] = False
        eval_policy.update_metrics(a.metrics_key, res)
        return res
    for d in (a.out, a.out_cached):
        os.makedirs(d, exist_ok=True)
        model.config.save_pretrained(d)
        chartok.save(os.path.join(d, "tokenizer.json"))
    path, cpath = os.path.join(a.out, "model.onnx"), os.path.join(a.out_cached, "model.onnx")
    gx.export_tok_cls(model, path)
    gx.export_tok_cls_with_past(model, cpath)
    res["onnx_max_abs_diff"] = check_exports(model, held[:12], path, cpath)
    res["exported"] = True
    eval_policy.update_metrics(a.metrics_key, res)
    return res


@torch.no_grad()
def check_exports(model, rows, path, cpath):
    """Both exports against the PyTorch model: plain (right padded) and cached (prompt, then the rest in 2 chunks)."""
    seqs = [common.encode(task.prompt_text(r["numbers"], r["target"]) + r["prefix"]) for r in rows]
    ids, mask = gx.right_pad(seqs, common.PAD_ID)
    ref = forward(model, seqs).numpy()
    got = gx.ort_session(path).run(None, {"input_ids": ids, "attention_mask": mask})[0][:, :, 0]
    worst = float(np.abs(got - ref)[mask.astype(bool)].max())
    sess = gx.ort_session(cpath)
    kv = [i.name for i in sess.get_inputs() if i.name.startswith("past_key_values")]
    for b, (r, s) in enumerate(zip(rows, seqs)):
        c1 = len(common.encode(task.prompt_text(r["numbers"], r["target"])))
        c2 = c1 + (len(s) - c1) // 2
        past, outs = gx.empty_past(model.config, 1), []
        for lo, hi in ((0, c1), (c1, c2), (c2, len(s))):
            if hi <= lo:
                continue
            feed = {"input_ids": np.array([s[lo:hi]], np.int64), "attention_mask": np.ones((1, hi), np.int64),
                    "position_ids": np.arange(lo, hi, dtype=np.int64)[None]}
            feed.update(dict(zip(kv, past)))
            res = sess.run(None, feed)
            outs.append(res[0][0, :, 0])
            past = res[1:]
        worst = max(worst, float(np.abs(np.concatenate(outs) - ref[b, :len(s)]).max()))
    assert worst < 1e-4, f"{path}, {cpath}: exports differ from the PyTorch model by {worst}"
    print(f"exports OK: max abs diff {worst:.2e}")
    return worst


if __name__ == "__main__":
    main()
