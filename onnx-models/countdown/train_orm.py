"""Outcome reward model: GPT2ForSequenceClassification (num_labels=1) initialised from the policy's trunk,
trained with binary cross-entropy on the policy's own samples labelled by the checker
(work/countdown/samples.jsonl, split "train"); AUROC measured on split "heldout" (validation problems).

Input text = prompt + solution text (no EOS), right padded; the score is read at the last real token.
Exports countdown/orm/model.onnx (input_ids, attention_mask -> logits [B,1]) and checks it against
transformers' GPT2ForSequenceClassification with onnxruntime."""
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
from transformers import GPT2ForSequenceClassification
from zoo import chartok, gpt2_onnx as gx

SEED = 11
OUT = os.path.join(common.HERE, "orm")
STEPS, BATCH, LR = 700, 64, 5e-4


def load_samples():
    with open(os.path.join(common.WORK, "samples.jsonl")) as f:
        return [json.loads(line) for line in f]


def encode_sample(s):
    return common.encode(task.prompt_text(s["numbers"], s["target"]) + s["text"])


def pooled_logits(model, ids, mask):
    h = model.transformer(input_ids=ids, attention_mask=mask).last_hidden_state
    last = mask.sum(1) - 1  # right padding
    return model.score(h[torch.arange(ids.shape[0]), last]).squeeze(-1)


@torch.no_grad()
def predict(model, seqs, bs=128):
    out = []
    for i in range(0, len(seqs), bs):
        ids, mask = (torch.from_numpy(a) for a in gx.right_pad(seqs[i:i + bs], common.PAD_ID))
        out.append(torch.sigmoid(pooled_logits(model, ids, mask)).numpy())
    return np.concatenate(out)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    t0 = time.time()
    samples = load_samples()
    train = [s for s in samples if s["split"] == "train"]
    held = [s for s in samples if s["split"] == "heldout"]
    policy = common.load_policy()
    cfg = policy.config.__class__.from_dict(policy.config.to_dict())
    cfg.num_labels = 1
    cfg.pad_token_id = common.PAD_ID
    cfg.problem_type = "regression"  # single logit; we train it with BCE (sigmoid = P(correct))
    model = GPT2ForSequenceClassification(cfg)
    model.transformer.load_state_dict(policy.transformer.state_dict())
    torch.nn.init.normal_(model.score.weight, std=0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    seqs = [encode_sample(s) for s in train]
    labels = np.array([float(s["correct"]) for s in train], dtype=np.float32)
    pos_w = torch.tensor(1.0)
    model.train()
    order = []
    run = 0.0
    for step in range(STEPS):
        if len(order) < BATCH:
            order = list(range(len(seqs)))
            rng.shuffle(order)
        idx, order = order[:BATCH], order[BATCH:]
        ids, mask = (torch.from_numpy(a) for a in gx.right_pad([seqs[i] for i in idx], common.PAD_ID))
        y = torch.from_numpy(labels[idx])
        for g in opt.param_groups:
            g["lr"] = LR * min(1.0, (step + 1) / 50) * 0.5 * (1 + np.cos(np.pi * step / STEPS))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(pooled_logits(model, ids, mask), y, pos_weight=pos_w)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run = loss.item() if step == 0 else 0.98 * run + 0.02 * loss.item()
        if (step + 1) % 100 == 0:
            print(f"step {step + 1} loss {run:.4f} ({time.time() - t0:.0f}s)", flush=True)
    model.eval()
    train_s = time.time() - t0
    p = predict(model, [encode_sample(s) for s in held])
    y = np.array([s["correct"] for s in held])
    auroc = float(roc_auc_score(y, p))
    acc = float(np.mean((p > 0.5) == y))
    # best-of-8 with the ORM on the held-out problems vs. first sample
    by_prob = {}
    for s, score in zip(held, p):
        by_prob.setdefault(s["problem"], []).append((score, s["correct"]))
    bo8 = float(np.mean([max(v)[1] for v in by_prob.values()]))
    first = float(np.mean([v[0][1] for v in by_prob.values()]))
    anyc = float(np.mean([any(c for _, c in v) for v in by_prob.values()]))
    res = {"train_samples": len(train), "train_positive_rate": float(labels.mean()),
           "heldout_samples": len(held), "heldout_positive_rate": float(y.mean()),
           "heldout_auroc": auroc, "heldout_accuracy_at_0.5": acc,
           "heldout_best_of_8_by_orm": bo8, "heldout_single_sample": first, "heldout_oracle_pass@8": anyc,
           "train_steps": STEPS, "batch": BATCH, "train_seconds": round(train_s)}
    print(json.dumps(res, indent=1))

    os.makedirs(OUT, exist_ok=True)
    model.save_pretrained(os.path.join(common.WORK, "orm_hf"))
    model.config.save_pretrained(OUT)
    chartok.save(os.path.join(OUT, "tokenizer.json"))
    path = os.path.join(OUT, "model.onnx")
    gx.export_seq_cls(model, path)
    # parity: ORT vs transformers' own GPT2ForSequenceClassification (right padding, no pad ids in the text)
    ref_model = GPT2ForSequenceClassification.from_pretrained(os.path.join(common.WORK, "orm_hf"),
                                                              attn_implementation="eager").eval()
    batch = [encode_sample(s) for s in held[:16]]
    ids, mask = gx.right_pad(batch, common.PAD_ID)
    sess = gx.ort_session(path)
    got = sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    with torch.no_grad():
        ref = ref_model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()
    d = float(np.abs(got - ref).max())
    # left padding gives the same scores in the export (positions come from the mask)
    lids, lmask, _ = gx.left_pad(batch, common.PAD_ID)
    got_left = sess.run(None, {"input_ids": lids, "attention_mask": lmask})[0]
    d_left = float(np.abs(got_left - ref).max())
    assert got.shape == (16, 1) and d < 1e-4 and d_left < 1e-4, (d, d_left)
    print(f"ORM export OK: max abs diff vs transformers {d:.2e} (right pad), {d_left:.2e} (left pad)")
    res["onnx_max_abs_diff"] = max(d, d_left)
    eval_policy.update_metrics("orm", res)


if __name__ == "__main__":
    main()
