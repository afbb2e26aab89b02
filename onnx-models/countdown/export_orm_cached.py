"""The ORM with a KV cache: countdown/orm-cached/model.onnx, derived from countdown/orm/model.onnx (same weights).

Why: best-of-N scores N texts that share one prompt. The plain ORM reads `prompt + text` for every row, so the
prompt is computed N times; this export takes the decoder's KV-cache layout (input_ids, attention_mask,
position_ids, past_key_values.{i}.key|value -> logits [B, S, 1], present.{i}.*), so a caller can run the prompt
once and then only each text over the prompt's cached state. The score of a text is the logit at its last
token: what the plain export returns for `prompt + text`.

The weights come from the ONNX initializers of countdown/orm (the export wraps the model as `SeqCls.g.t`, so
`transformer.X` is the initializer `g.t.X`; the score head is the one [n_embd, 1] MatMul weight, score.weight^T),
so this needs no training checkpoint. Checks (fail above 1e-4): the rebuilt PyTorch model against the plain ONNX
export, and the cached export (prompt first, then the texts, batched, right padded) against the plain one.
"""
import json
import os
import random
import shutil
import types

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from transformers import GPT2Config, GPT2ForSequenceClassification

import common
import task
from zoo import gpt2_onnx as gx

import sys

# `python export_orm_cached.py [SRC OUT]`: defaults to the committed orm -> orm-cached
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(common.HERE, "orm")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(common.HERE, "orm-cached")
TOL = 1e-4


def rebuild():
    cfg = GPT2Config.from_pretrained(SRC)
    model = GPT2ForSequenceClassification(cfg).eval()
    init = {t.name: numpy_helper.to_array(t) for t in onnx.load(os.path.join(SRC, "model.onnx")).graph.initializer}
    state, used = {}, set()
    for key, param in model.named_parameters():
        if key == "score.weight":
            heads = [n for n, a in init.items() if n not in used and a.shape == (cfg.n_embd, cfg.num_labels)
                     and not n.startswith("g.t.")]
            if len(heads) != 1:
                raise ValueError(f"expected one [n_embd, num_labels] score initializer, found {heads}")
            state[key] = torch.from_numpy(init[heads[0]].T.copy())
            continue
        name = "g.t." + key[len("transformer."):]
        if name not in init:
            raise KeyError(f"no ONNX initializer {name} for {key}")
        if tuple(init[name].shape) != tuple(param.shape):
            raise ValueError(f"{key}: ONNX {name} has shape {init[name].shape}, the model wants {tuple(param.shape)}")
        state[key] = torch.from_numpy(init[name].copy())
        used.add(name)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not (k.endswith(".attn.bias") or k.endswith(".attn.masked_bias"))]
    if missing or unexpected:
        raise ValueError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    return model


def check_texts(prompts=8, per_prompt=3, seed=3):
    """Validation prompts, each with texts of varied length over the solution alphabet (the check is numeric)."""
    rng = random.Random(seed)
    alphabet = "0123456789+-*/=\n"
    out = []
    for line in open(os.path.join(common.HERE, "validation.jsonl")).readlines()[:prompts]:
        it = json.loads(line)
        for _ in range(per_prompt):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
            out.append((task.prompt_text(it["numbers"], it["target"]), text))
    return out


def main():
    torch.manual_seed(0)
    model = rebuild()
    pairs = check_texts()
    seqs = [common.encode(p + t) for p, t in pairs]
    ids, mask = gx.right_pad(seqs, common.PAD_ID)
    plain = gx.ort_session(os.path.join(SRC, "model.onnx"))
    ref = plain.run(None, {"input_ids": ids, "attention_mask": mask})[0][:, 0]
    with torch.no_grad():
        h = model.transformer(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).last_hidden_state
        last = torch.from_numpy(mask).sum(1) - 1
        rebuilt = model.score(h[torch.arange(len(seqs)), last])[:, 0].numpy()
    worst_rebuild = float(np.abs(rebuilt - ref).max())
    assert worst_rebuild < TOL, f"rebuilt ORM differs from the ONNX export by {worst_rebuild}"

    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "model.onnx")
    shim = types.SimpleNamespace(config=model.config, transformer=model.transformer, classifier=model.score)
    gx.export_tok_cls_with_past(shim, path)
    for f in ("config.json", "tokenizer.json"):
        shutil.copyfile(os.path.join(SRC, f), os.path.join(OUT, f))

    # cached: each distinct prompt once ([1, P]), then every text over its prompt's state, right padded
    sess = gx.ort_session(path)
    kv = [i.name for i in sess.get_inputs() if i.name.startswith("past_key_values")]
    worst = 0.0
    for prompt in sorted({p for p, _ in pairs}):
        rows = [i for i, (p, _) in enumerate(pairs) if p == prompt]
        pt = common.encode(prompt)
        P = len(pt)
        feed = {"input_ids": np.array([pt], np.int64), "attention_mask": np.ones((1, P), np.int64),
                "position_ids": np.arange(P, dtype=np.int64)[None]}
        feed.update(dict(zip(kv, gx.empty_past(model.config, 1))))
        past = sess.run(None, feed)[1:]
        texts = [common.encode(pairs[i][1]) for i in rows]
        S = max(len(t) for t in texts)
        tids = np.full((len(rows), S), common.PAD_ID, np.int64)
        tmask = np.zeros((len(rows), P + S), np.int64)
        tmask[:, :P] = 1
        for r, t in enumerate(texts):
            tids[r, :len(t)] = t
            tmask[r, P:P + len(t)] = 1
        feed = {"input_ids": tids, "attention_mask": tmask,
                "position_ids": np.broadcast_to(np.arange(P, P + S, dtype=np.int64), (len(rows), S)).copy()}
        feed.update({n: np.repeat(x, len(rows), 0) for n, x in zip(kv, past)})
        logits = sess.run(["logits"], feed)[0]
        for r, i in enumerate(rows):
            worst = max(worst, abs(float(logits[r, len(texts[r]) - 1, 0]) - float(ref[i])))
    assert worst < TOL, f"cached ORM scores differ from the plain export's by {worst}"
    print(f"{os.path.basename(OUT)} OK: rebuilt model vs ONNX {worst_rebuild:.2e}, cached vs plain scores {worst:.2e} "
          f"({len(pairs)} texts)")


if __name__ == "__main__":
    main()
