"""Golden token-level beam search outputs: transformers `generate` on the countdown policy (PyTorch, eager
attention), one prompt per call (batch 1, no padding), for the first 24 test prompts and several configs.
Writes countdown/beam_golden.json. Each returned sequence's score is recomputed from the model's
log-probabilities to pin the scoring rule down (see the "description" field)."""
import json
import os

import numpy as np
import torch

import common
import make_data
import task

N_PROMPTS = 24
CONFIGS = [
    {"name": "lp1_early", "num_beams": 4, "length_penalty": 1.0, "early_stopping": True, "max_new_tokens": 72},
    {"name": "lp0_early", "num_beams": 4, "length_penalty": 0.0, "early_stopping": True, "max_new_tokens": 72},
    {"name": "lp1_noearly", "num_beams": 4, "length_penalty": 1.0, "early_stopping": False, "max_new_tokens": 72},
    {"name": "lp0_noearly", "num_beams": 4, "length_penalty": 0.0, "early_stopping": False, "max_new_tokens": 72},
    {"name": "lp1_early_short", "num_beams": 4, "length_penalty": 1.0, "early_stopping": True, "max_new_tokens": 26},
    {"name": "lp0_noearly_short", "num_beams": 4, "length_penalty": 0.0, "early_stopping": False,
     "max_new_tokens": 26},
]
NUM_RETURN = 2


@torch.no_grad()
def seq_logprob(model, prompt, gen):
    ids = torch.tensor([prompt + gen])
    logp = torch.log_softmax(model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0].float(), -1)
    return float(sum(logp[len(prompt) - 1 + i, t] for i, t in enumerate(gen)))


def main():
    torch.set_num_threads(1)
    model = common.load_policy()
    probs = make_data.load_split("test")[:N_PROMPTS]
    out = {
        "description": (
            "Token-level beam search golden outputs from transformers " + __import__("transformers").__version__ +
            " GenerationMixin.generate on onnx-models/countdown/policy (PyTorch weights, eager attention), "
            "one prompt per call (batch size 1, no padding, attention_mask all ones), do_sample=False, "
            "num_return_sequences=2, eos_token_id=pad_token_id=0, no other logits processors. "
            "prompt_ids: the prompt's token ids. For each returned hypothesis: generated_ids = the tokens after "
            "the prompt, up to and including the EOS when the hypothesis ended with EOS (transformers' pad "
            "filling after the end removed); ended_with_eos; text = decoded generated_ids without EOS; "
            "sequence_score = transformers' sequences_scores; sum_logprobs = sum over generated_ids of "
            "log_softmax(logits) recomputed by a full forward; the scoring rule is "
            "sequence_score = sum_logprobs / len(generated_ids) ** length_penalty, where len counts the EOS; "
            "recomputed_score is that value; the file is only written if it matches sequence_score to 1e-4. "
            "Hypotheses cut by max_new_tokens (ended_with_eos false) are scored by the same rule with their "
            "full length. Hypotheses are listed best first, as transformers returns them."),
        "model": "onnx-models/countdown/policy",
        "eos_token_id": common.EOS_ID,
        "pad_token_id": common.PAD_ID,
        "num_return_sequences": NUM_RETURN,
        "configs": [],
    }
    worst = 0.0
    n_eos_before_max = 0
    n_cut = 0
    for cfg in CONFIGS:
        entry = {"params": {k: v for k, v in cfg.items() if k != "name"}, "name": cfg["name"], "results": []}
        entry["params"]["num_return_sequences"] = NUM_RETURN
        entry["params"]["do_sample"] = False
        for p in probs:
            prompt = common.encode(task.prompt_text(p["numbers"], p["target"]))
            ids = torch.tensor([prompt])
            g = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                               num_beams=cfg["num_beams"], length_penalty=cfg["length_penalty"],
                               early_stopping=cfg["early_stopping"], max_new_tokens=cfg["max_new_tokens"],
                               num_return_sequences=NUM_RETURN, output_scores=True, return_dict_in_generate=True,
                               eos_token_id=common.EOS_ID, pad_token_id=common.PAD_ID, top_k=None, top_p=None,
                               temperature=None)
            hyps = []
            for r in range(NUM_RETURN):
                full = g.sequences[r].tolist()
                gen = full[len(prompt):]
                ended = common.EOS_ID in gen
                if ended:
                    gen = gen[:gen.index(common.EOS_ID) + 1]
                    n_eos_before_max += len(gen) < cfg["max_new_tokens"]
                else:
                    n_cut += 1
                s = float(g.sequences_scores[r])
                lp = seq_logprob(model, prompt, gen)
                rec = lp / (len(gen) ** cfg["length_penalty"])
                worst = max(worst, abs(rec - s))
                text = common.decode([t for t in gen if t != common.EOS_ID])
                hyps.append({"generated_ids": gen, "ended_with_eos": ended, "text": text,
                             "sequence_score": s, "sum_logprobs": lp, "recomputed_score": rec,
                             "checker": list(task.check(p["numbers"], p["target"], text))})
            entry["results"].append({"id": p["id"], "prompt": task.prompt_text(p["numbers"], p["target"]),
                                     "prompt_ids": prompt, "hypotheses": hyps})
        out["configs"].append(entry)
    assert worst < 1e-4, worst
    out["max_abs_diff_recomputed_vs_sequences_scores"] = worst
    with open(os.path.join(common.HERE, "beam_golden.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(f"beam golden: {len(CONFIGS)} configs x {len(probs)} prompts; hypotheses ending in EOS before "
          f"max_new_tokens: {n_eos_before_max}; cut by max_new_tokens: {n_cut}; score recompute diff {worst:.2e}")


if __name__ == "__main__":
    main()
