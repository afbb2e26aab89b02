"""Process reward model: GPT2ForTokenClassification (num_labels=1) initialised from the policy's trunk.

Labels (work/countdown/prm_prefixes.jsonl, made by sample_policy.py): for a step prefix (prompt + the
solution text up to a "\n" that ends a step line, or the prompt alone), the fraction of 8 policy rollouts
from that prefix that the checker accepts. The logit at that "\n" position is trained with BCE against the
fraction (soft label); sigmoid(logit) = P(policy reaches a correct answer from here).
Each prefix is trained as its own sequence, so the logit at a "\n" depends only on the text up to it
(causal model), i.e. any "\n" of a longer text can be read.

Exports countdown/prm/model.onnx (input_ids, attention_mask -> logits [B,S,1]) and countdown/prm-cached/
model.onnx (the policy's KV-cache layout) and checks both against transformers with onnxruntime.
"""
import json
import os
import random
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import common
import eval_policy
import task
from transformers import GPT2ForTokenClassification, GenerationConfig
from zoo import chartok, gpt2_onnx as gx

SEED = 13
OUT = os.path.join(common.HERE, "prm")
OUT_CACHED = os.path.join(common.HERE, "prm-cached")
STEPS, BATCH, LR = 250, 64, 5e-4  # 700 steps overfit (held-out MSE above the constant baseline)


def auroc(y, p):
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None


def load_items():
    with open(os.path.join(common.WORK, "prm_prefixes.jsonl")) as f:
        return [json.loads(line) for line in f]


def encode_item(it):
    return common.encode(task.prompt_text(it["numbers"], it["target"]) + it["prefix"])


def last_logits(model, ids, mask):
    h = model.transformer(input_ids=ids, attention_mask=mask).last_hidden_state
    last = mask.sum(1) - 1
    return model.classifier(h[torch.arange(ids.shape[0]), last]).squeeze(-1)


@torch.no_grad()
def predict(model, seqs, bs=128):
    out = []
    for i in range(0, len(seqs), bs):
        ids, mask = (torch.from_numpy(a) for a in gx.right_pad(seqs[i:i + bs], common.PAD_ID))
        out.append(torch.sigmoid(last_logits(model, ids, mask)).numpy())
    return np.concatenate(out)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    t0 = time.time()
    items = load_items()
    train = [it for it in items if it["split"] == "train"]
    held = [it for it in items if it["split"] == "heldout"]
    policy = common.load_policy()
    cfg = policy.config.__class__.from_dict(policy.config.to_dict())
    cfg.num_labels = 1
    cfg.pad_token_id = common.PAD_ID
    model = GPT2ForTokenClassification(cfg)
    model.transformer.load_state_dict(policy.transformer.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    seqs = [encode_item(it) for it in train]
    labels = np.array([it["wins"] / it["rollouts"] for it in train], dtype=np.float32)
    model.train()
    order, run = [], 0.0
    for step in range(STEPS):
        if len(order) < BATCH:
            order = list(range(len(seqs)))
            rng.shuffle(order)
        idx, order = order[:BATCH], order[BATCH:]
        ids, mask = (torch.from_numpy(a) for a in gx.right_pad([seqs[i] for i in idx], common.PAD_ID))
        y = torch.from_numpy(labels[idx])
        for g in opt.param_groups:
            g["lr"] = LR * min(1.0, (step + 1) / 50) * 0.5 * (1 + np.cos(np.pi * step / STEPS))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(last_logits(model, ids, mask), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run = loss.item() if step == 0 else 0.98 * run + 0.02 * loss.item()
        if (step + 1) % 100 == 0:
            print(f"step {step + 1} loss {run:.4f} ({time.time() - t0:.0f}s)", flush=True)
    model.eval()
    train_s = time.time() - t0

    # held-out evaluation (validation problems)
    p = predict(model, [encode_item(it) for it in held])
    v = np.array([it["wins"] / it["rollouts"] for it in held])
    solvable = (v > 0).astype(int)
    majority = (v >= 0.5).astype(int)
    bins = np.array([0.0, 0.05, 0.1, 0.2, 0.4, 0.6, 1.0])
    table = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        sel = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if sel.sum():
            table.append({"predicted": f"[{lo:.2f},{hi:.2f}{']' if hi == 1 else ')'}", "count": int(sel.sum()),
                          "mean_predicted": float(p[sel].mean()), "mean_mc_value": float(v[sel].mean())})
    nonroot = np.array([it["prefix"] != "" for it in held])
    res = {"train_prefixes": len(train), "heldout_prefixes": len(held), "rollouts_per_prefix": held[0]["rollouts"],
           "heldout_mean_mc_value": float(v.mean()),
           "step_auroc_vs_mc_value_gt_0": auroc(solvable, p),
           "step_auroc_vs_mc_value_ge_0.5": auroc(majority, p),
           "step_auroc_vs_mc_value_ge_0.5_step_prefixes_only": auroc(majority[nonroot], p[nonroot]),
           "mse_vs_mc_value": float(np.mean((p - v) ** 2)),
           "mse_of_constant_mean_baseline": float(np.mean((v.mean() - v) ** 2)),
           "calibration": table, "train_steps": STEPS, "batch": BATCH, "train_seconds": round(train_s)}
    print(json.dumps(res, indent=1))

    model.save_pretrained(os.path.join(common.WORK, "prm_hf"))
    for d in (OUT, OUT_CACHED):
        os.makedirs(d, exist_ok=True)
        model.config.save_pretrained(d)
        chartok.save(os.path.join(d, "tokenizer.json"))
    path, cpath = os.path.join(OUT, "model.onnx"), os.path.join(OUT_CACHED, "model.onnx")
    gx.export_tok_cls(model, path)
    gx.export_tok_cls_with_past(model, cpath)
    res["onnx_max_abs_diff"] = check_exports(model, held, path, cpath)
    eval_policy.update_metrics("prm", res)


def check_exports(model, held, path, cpath):
    """ORT vs transformers GPT2ForTokenClassification; the cached export scored one step at a time."""
    ref_model = GPT2ForTokenClassification.from_pretrained(os.path.join(common.WORK, "prm_hf"),
                                                           attn_implementation="eager").eval()
    texts = [task.prompt_text(it["numbers"], it["target"]) + it["prefix"] for it in held[:12]]
    seqs = [common.encode(t) for t in texts]
    ids, mask = gx.right_pad(seqs, common.PAD_ID)
    with torch.no_grad():
        ref = ref_model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()
    got = gx.ort_session(path).run(None, {"input_ids": ids, "attention_mask": mask})[0]
    m = mask.astype(bool)
    worst = float(np.abs(got - ref)[m].max())
    # cached: prompt first (P=0, left padded, position_ids from the mask), then the rest in 2 chunks
    sess = gx.ort_session(cpath)
    kv = [i.name for i in sess.get_inputs() if i.name.startswith("past_key_values")]
    cuts = [[len(common.encode(task.prompt_text(it["numbers"], it["target"]))) for it in held[:12]]]
    B = len(seqs)
    past = gx.empty_past(model.config, B)
    # chunked feed: common split points per row are awkward with ragged rows, so feed row by row in 3 chunks
    for b in range(B):
        s = seqs[b]
        c1 = cuts[0][b]
        c2 = c1 + (len(s) - c1) // 2
        past_b = gx.empty_past(model.config, 1)
        outs = []
        for lo, hi in ((0, c1), (c1, c2), (c2, len(s))):
            if hi <= lo:
                continue
            feed = {"input_ids": np.array([s[lo:hi]], np.int64), "attention_mask": np.ones((1, hi), np.int64),
                    "position_ids": np.arange(lo, hi, dtype=np.int64)[None]}
            feed.update(dict(zip(kv, past_b)))
            r = sess.run(None, feed)
            outs.append(r[0][0])
            past_b = r[1:]
        inc = np.concatenate(outs, 0)
        worst = max(worst, float(np.abs(inc - ref[b, :len(s)]).max()))
    # batched prefill of the cached export with left padding
    lids, lmask, lpos = gx.left_pad(seqs, common.PAD_ID)
    feed = {"input_ids": lids, "attention_mask": lmask, "position_ids": lpos}
    feed.update(dict(zip(kv, past)))
    r = sess.run(None, feed)[0]
    for b in range(B):
        worst = max(worst, float(np.abs(r[b][lmask[b].astype(bool)] - ref[b, :len(seqs[b])]).max()))
    assert worst < 1e-4, worst
    print(f"PRM exports OK: max abs diff vs transformers {worst:.2e}")
    return worst


if __name__ == "__main__":
    main()
