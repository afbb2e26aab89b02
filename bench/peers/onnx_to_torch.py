"""Rebuilds the Countdown policy as a transformers GPT2LMHeadModel from config.json and the ONNX initializers.

The export (onnx-models/zoo/gpt2_onnx.py, TorchScript exporter) wraps the transformers model as
`LMWithPast.g.t` (the GPT2Model) and `LMWithPast.lm_head`; the initializers keep those parameter names, so
`transformer.X` is the initializer `g.t.X`. lm_head is tied to wte (tie_word_embeddings). Every parameter of
the PyTorch model must be found, with the same shape, or the conversion fails. `load_policy(check=True)` then
compares its logits with onnxruntime's on a few prompts (prefill of left-padded prompts, and greedy decode steps
through the KV cache on both sides) and fails above 1e-4.
"""
from __future__ import annotations

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from transformers import GPT2Config, GPT2LMHeadModel

import peers_common as pc


def initializers(path):
    m = onnx.load(path)
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def candidates(key):
    if key.startswith("transformer."):
        rest = key[len("transformer."):]
        yield "g.t." + rest
        yield "t." + rest
        yield rest
    yield key
    yield "g." + key


def load_policy(check=True, tol=1e-4):
    cfg = GPT2Config.from_pretrained(pc.POLICY)
    model = GPT2LMHeadModel(cfg).eval()
    init = initializers(pc.POLICY + "/model.onnx")
    used = set()
    state = {}
    for key, param in model.named_parameters():
        if key == "lm_head.weight" and model.config.tie_word_embeddings:
            continue  # tied to transformer.wte.weight
        name = next((c for c in candidates(key) if c in init), None)
        if name is None:
            raise KeyError(f"no ONNX initializer for {key}; tried {list(candidates(key))}; "
                           f"initializers: {sorted(init)[:20]} ...")
        arr = init[name]
        if tuple(arr.shape) != tuple(param.shape):
            raise ValueError(f"{key}: ONNX {name} has shape {arr.shape}, model wants {tuple(param.shape)}")
        state[key] = torch.from_numpy(arr.copy())
        used.add(name)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not (k == "lm_head.weight" or k.endswith(".attn.bias")
                                          or k.endswith(".attn.masked_bias"))]
    if missing or unexpected:
        raise ValueError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    wte = state["transformer.wte.weight"].numpy()
    big_unused = [n for n, a in init.items() if n not in used and a.size > 64
                  and not (a.shape == wte.T.shape and np.array_equal(a, wte.T))]  # the folded lm_head = wte^T
    diff = compare_with_ort(model) if check else float("nan")
    if check and diff > tol:
        raise AssertionError(f"PyTorch rebuild differs from onnxruntime by {diff:.3e} > {tol}")
    if big_unused:
        print(f"note: ONNX initializers not mapped (constants of the graph): {big_unused}")
    return model, diff


def compare_with_ort(model, steps=8):
    """Left-padded batched prefill, then greedy decode steps, both sides with their KV caches; max |diff|."""
    sess = pc.session(pc.POLICY, 1)
    probs = pc.load_problems(pc.os.path.join(pc.COUNTDOWN, "test.jsonl"), 5)
    seqs = [pc.encode(pc.prompt_of(p)) for p in probs] + [pc.encode(pc.prompt_of(probs[0]) + "38 + 20 = 5")]
    L = max(len(s) for s in seqs)
    B = len(seqs)
    ids = np.zeros((B, L), dtype=np.int64)
    mask = np.zeros((B, L), dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, L - len(s):] = s
        mask[i, L - len(s):] = 1
    pos = np.clip(np.cumsum(mask, 1) - 1, 0, None)
    past_names = [i.name for i in sess.get_inputs() if i.name.startswith("past_key_values")]
    H, D = model.config.n_head, model.config.n_embd // model.config.n_head
    feed = {"input_ids": ids, "attention_mask": mask, "position_ids": pos}
    for n in past_names:
        feed[n] = np.zeros((B, H, 0, D), dtype=np.float32)
    out_names = [o.name for o in sess.get_outputs()]
    worst = 0.0
    t_ids, t_mask, t_pos = torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(pos)
    past = None
    with torch.inference_mode():
        for step in range(steps + 1):
            res = dict(zip(out_names, sess.run(None, feed)))
            o = model(input_ids=t_ids, attention_mask=t_mask, position_ids=t_pos, past_key_values=past, use_cache=True)
            past = o.past_key_values
            lo = res["logits"]
            lt = o.logits.numpy()
            real = mask[:, -lo.shape[1]:] > 0 if step == 0 else np.ones((B, 1), bool)
            worst = max(worst, float(np.abs(lo - lt)[real].max()))
            nxt = lo[:, -1].argmax(-1).astype(np.int64)[:, None]
            mask = np.concatenate([mask, np.ones((B, 1), np.int64)], 1)
            pos = pos[:, -1:] + 1
            feed = {"input_ids": nxt, "attention_mask": mask, "position_ids": pos}
            for i, n in enumerate(past_names):
                layer, kv = int(n.split(".")[1]), n.split(".")[2]
                feed[n] = res[f"present.{layer}.{kv}"]
            t_ids, t_mask, t_pos = torch.from_numpy(nxt), torch.from_numpy(mask), torch.from_numpy(pos)
    return worst


if __name__ == "__main__":
    m, d = load_policy(check=True)
    print(f"policy rebuilt: {sum(p.numel() for p in m.parameters())} parameters; max |logit diff| vs onnxruntime "
          f"{d:.3e} (left-padded prefill of 6 prompts + 8 greedy decode steps)")
