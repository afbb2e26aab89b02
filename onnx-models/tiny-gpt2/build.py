"""Tiny random GPT-2 for Java parity tests.

Builds a transformers GPT2LMHeadModel with random weights (seed 1234), the countdown character tokenizer,
exports three ONNX variants, checks them against transformers with onnxruntime (1e-5), and writes
golden_logits.json computed by transformers in PyTorch.

    python tiny-gpt2/build.py            (run from onnx-models/)
"""
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from transformers import GPT2Config, GPT2LMHeadModel, GenerationConfig  # noqa: E402
from transformers.cache_utils import DynamicCache  # noqa: E402

from zoo import chartok, gpt2_onnx as gx  # noqa: E402

SEED = 1234
PROMPTS = ["12 + ", "7 *", "answer:"]  # 5, 3 and 7 tokens (one token per character)


def build_model():
    torch.manual_seed(SEED)
    cfg = GPT2Config(vocab_size=1 + len(chartok.CHARS), n_positions=64, n_embd=32, n_layer=2, n_head=4,
                     initializer_range=0.2, bos_token_id=None, eos_token_id=0, pad_token_id=0)
    cfg._attn_implementation = "eager"
    model = GPT2LMHeadModel(cfg).eval()
    return model


def golden(model, tok):
    pad = 0
    seqs = [tok.encode(p, add_special_tokens=False).ids for p in PROMPTS]
    ids, mask, pos = gx.left_pad(seqs, pad)
    t = torch.from_numpy
    out = {
        "description": (
            "Golden logits of tiny-gpt2 computed by transformers GPT2LMHeadModel (PyTorch, eager attention, "
            "float32), not by ONNX. Batch of 3 prompts LEFT-padded with pad_token_id; attention_mask is 0 on "
            "pads; position_ids = clip(cumsum(attention_mask, axis=1) - 1, min=0), as Hugging Face generate "
            "does for left padding. prefill_last_logits[b] are the logits at the last position of row b. "
            "prefill_logits_nonpad[b] lists the logits [len_b, V] of row b's non-pad positions in order. "
            "Then 3 greedy decode steps: decode_tokens[k][b] = argmax of the previous logits of row b "
            "(step 0 uses prefill_last_logits); that token is appended (attention_mask 1, position_id = "
            "previous position_id + 1) and decode_logits_cached[k] [3,V] are the logits of the new position "
            "computed with the KV cache (DynamicCache, one token per row per step); decode_logits_recompute[k] "
            "are the same logits from a full forward over the whole sequence without cache. "
            "decode_attention_mask[k] / decode_position_ids[k] are the full attention_mask [3,P+1] and the "
            "new position_ids [3,1] fed at step k. Section no_position_ids repeats prefill + decode "
            "for the no-position-ids export: transformers called WITHOUT position_ids, so positions are "
            "arange(P, P+S) for every row (cache_position), ignoring padding."
        ),
        "model": "tiny-gpt2 (onnx-models/tiny-gpt2/model.onnx)",
        "seed": SEED,
        "pad_token_id": pad,
        "eos_token_id": 0,
        "vocab_size": model.config.vocab_size,
        "prompts_text": PROMPTS,
        "prompt_lengths": [len(s) for s in seqs],
        "padding_side": "left",
        "position_ids_rule": "clip(cumsum(attention_mask, axis=1) - 1, min=0)",
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "position_ids": pos.tolist(),
    }

    def run_section(with_pos):
        sec = {}
        with torch.no_grad():
            cache = DynamicCache()
            r = model(input_ids=t(ids), attention_mask=t(mask), position_ids=t(pos) if with_pos else None,
                      past_key_values=cache, use_cache=True)
            cache = r.past_key_values
            logits = r.logits.numpy()
            sec["prefill_last_logits"] = logits[:, -1, :].tolist()
            sec["prefill_logits_nonpad"] = [logits[b][mask[b].astype(bool)].tolist() for b in range(3)]
            last = logits[:, -1, :]
            all_ids, all_mask, all_pos = ids, mask, pos
            toks, cached, recomp, masks, poss = [], [], [], [], []
            for k in range(3):
                nxt = last.argmax(-1).astype(np.int64)[:, None]
                all_ids = np.concatenate([all_ids, nxt], 1)
                all_mask = np.concatenate([all_mask, np.ones((3, 1), np.int64)], 1)
                new_pos = all_pos[:, -1:] + 1
                all_pos = np.concatenate([all_pos, new_pos], 1)
                r = model(input_ids=t(nxt), attention_mask=t(all_mask),
                          position_ids=t(new_pos) if with_pos else None, past_key_values=cache, use_cache=True)
                cache = r.past_key_values
                lc = r.logits.numpy()[:, -1, :]
                full = model(input_ids=t(all_ids), attention_mask=t(all_mask),
                             position_ids=t(all_pos) if with_pos else None).logits.numpy()[:, -1, :]
                toks.append(nxt[:, 0].tolist())
                cached.append(lc.tolist())
                recomp.append(full.tolist())
                masks.append(all_mask.tolist())
                poss.append(new_pos.tolist() if with_pos else
                            [[all_ids.shape[1] - 1]] * 3)
                sec.setdefault("max_abs_diff_cached_vs_recompute", 0.0)
                sec["max_abs_diff_cached_vs_recompute"] = max(sec["max_abs_diff_cached_vs_recompute"],
                                                              float(np.abs(lc - full).max()))
                last = lc
            sec["decode_tokens"] = toks
            sec["decode_attention_mask"] = masks
            sec["decode_position_ids"] = poss
            sec["decode_logits_cached"] = cached
            sec["decode_logits_recompute"] = recomp
        return sec

    out.update(run_section(True))
    nopos = run_section(False)
    nopos["position_ids_rule"] = "arange(P, P+S) per row (transformers' cache_position when position_ids is None)"
    out["no_position_ids"] = nopos
    return out


def check_golden_with_ort(g, cfg):
    """Replays the golden file through the three ONNX exports."""
    ids, mask, pos = (np.array(g[k], dtype=np.int64) for k in ("input_ids", "attention_mask", "position_ids"))
    worst = 0.0
    for variant, sec, with_pos in (("model.onnx", g, True), ("no-position-ids/model.onnx", g["no_position_ids"], False)):
        sess = gx.ort_session(os.path.join(HERE, variant))
        kv_in = [i.name for i in sess.get_inputs() if i.name.startswith("past_key_values")]
        feed = {"input_ids": ids, "attention_mask": mask}
        if with_pos:
            feed["position_ids"] = pos
        feed.update(dict(zip(kv_in, gx.empty_past(cfg, 3))))
        res = sess.run(None, feed)
        worst = max(worst, np.abs(res[0][:, -1, :] - np.array(sec["prefill_last_logits"])).max())
        for b in range(3):
            worst = max(worst, np.abs(res[0][b][mask[b].astype(bool)] - np.array(sec["prefill_logits_nonpad"][b])).max())
        past = res[1:]
        for k in range(3):
            feed = {"input_ids": np.array(sec["decode_tokens"][k], dtype=np.int64)[:, None],
                    "attention_mask": np.array(sec["decode_attention_mask"][k], dtype=np.int64)}
            if with_pos:
                feed["position_ids"] = np.array(sec["decode_position_ids"][k], dtype=np.int64)
            feed.update(dict(zip(kv_in, past)))
            res = sess.run(None, feed)
            past = res[1:]
            worst = max(worst, np.abs(res[0][:, -1, :] - np.array(sec["decode_logits_cached"][k])).max())
            worst = max(worst, np.abs(res[0][:, -1, :] - np.array(sec["decode_logits_recompute"][k])).max())
    # no-cache export vs recompute logits
    sess = gx.ort_session(os.path.join(HERE, "no-cache/model.onnx"))
    full_ids, full_mask, full_pos = ids, mask, pos
    for k in range(3):
        full_ids = np.concatenate([full_ids, np.array(g["decode_tokens"][k], dtype=np.int64)[:, None]], 1)
        full_mask = np.array(g["decode_attention_mask"][k], dtype=np.int64)
        full_pos = np.concatenate([full_pos, np.array(g["decode_position_ids"][k], dtype=np.int64)], 1)
        lg = sess.run(None, {"input_ids": full_ids, "attention_mask": full_mask, "position_ids": full_pos})[0]
        worst = max(worst, np.abs(lg[:, -1, :] - np.array(g["decode_logits_recompute"][k])).max())
    return float(worst)


def main():
    t0 = time.time()
    torch.set_num_threads(1)
    tok = chartok.save(os.path.join(HERE, "tokenizer.json"))
    model = build_model()
    model.config.save_pretrained(HERE)
    gen = GenerationConfig(eos_token_id=0, pad_token_id=0)
    gen.save_pretrained(HERE)
    for sub in ("no-position-ids", "no-cache"):
        d = os.path.join(HERE, sub)
        os.makedirs(d, exist_ok=True)
        model.config.save_pretrained(d)
        gen.save_pretrained(d)
        chartok.save(os.path.join(d, "tokenizer.json"))

    gx.export_lm_with_past(model, os.path.join(HERE, "model.onnx"))
    gx.export_lm_with_past(model, os.path.join(HERE, "no-position-ids/model.onnx"), with_position_ids=False)
    gx.export_lm_no_cache(model, os.path.join(HERE, "no-cache/model.onnx"))

    # parity with transformers through onnxruntime (several batch shapes, P = 0 prefill then decode)
    seq_sets = [[tok.encode(p, add_special_tokens=False).ids for p in PROMPTS],
                [[5, 6, 7]], [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11], [12, 13]]]
    worst = 0.0
    for seqs in seq_sets:
        worst = max(worst, gx.verify_lm_with_past(model, os.path.join(HERE, "model.onnx"), seqs, 0))
        worst = max(worst, gx.verify_lm_with_past(model, os.path.join(HERE, "no-position-ids/model.onnx"), seqs, 0,
                                                  with_position_ids=False))
        worst = max(worst, gx.verify_lm_no_cache(model, os.path.join(HERE, "no-cache/model.onnx"), seqs, 0))
    print(f"ORT vs transformers: max abs diff {worst:.2e}")

    g = golden(model, tok)
    with open(os.path.join(HERE, "golden_logits.json"), "w") as f:
        json.dump(g, f)
    gw = check_golden_with_ort(g, model.config)
    print(f"golden replay through ORT: max abs diff {gw:.2e}; cached vs recompute (torch): "
          f"{g['max_abs_diff_cached_vs_recompute']:.2e}")
    assert gw < 1e-5
    print(f"tiny-gpt2 built in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
