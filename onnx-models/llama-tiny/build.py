"""Tiny random Llama for the onnxruntime-genai layout (issue 19): format, parity and speed tests, not a policy.

Builds a transformers LlamaForCausalLM with RANDOM weights (seed 1234; RoPE, grouped-query attention 4 heads /
2 KV heads, SwiGLU; 2 layers, hidden 64) over the countdown character tokenizer, then exports it three ways:

  genai-fp32/   onnxruntime-genai's model builder, -p fp32 -e cpu (GroupQueryAttention, genai_config.json)
  genai-int4/   the same builder, -p int4 -e cpu (MatMulNBits weights)
  optimum/      Hugging Face optimum's past -> present concat layout (zoo/llama_onnx.py), with config.json

checks the fp32 exports against transformers with onnxruntime, and writes golden.json: greedy and token-beam
outputs of transformers `generate` for the first 6 countdown test prompts.

    .venv-genai/bin/python llama-tiny/build.py      (run from onnx-models/; see README.md for the venv)
    .venv-genai/bin/python llama-tiny/build.py --bench-size    (work/llama-tiny/bench-size: hidden 256, 4 layers,
                                                                8 heads / 2 KV heads; for speed only)
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "countdown"))

from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402

import task  # noqa: E402
from zoo import chartok, llama_onnx  # noqa: E402

SEED = 1234
WORK = os.path.join(ROOT, "work", "llama-tiny")
HF_DIR = os.path.join(WORK, "hf")
N_PROMPTS = 6
MAX_NEW = 24
BEAM = {"num_beams": 4, "length_penalty": 1.0, "early_stopping": True, "num_return_sequences": 2}


def build_model(size):
    torch.manual_seed(SEED)
    cfg = LlamaConfig(vocab_size=1 + len(chartok.CHARS), max_position_embeddings=128, **size,
                      initializer_range=0.2, rms_norm_eps=1e-5, tie_word_embeddings=False,
                      bos_token_id=0, eos_token_id=0, pad_token_id=0)
    cfg._attn_implementation = "eager"
    return LlamaForCausalLM(cfg).eval()


def save_hf(model):
    shutil.rmtree(HF_DIR, ignore_errors=True)
    model.save_pretrained(HF_DIR)
    model.generation_config = GenerationConfig(eos_token_id=0, pad_token_id=0, bos_token_id=0)
    model.generation_config.save_pretrained(HF_DIR)
    tok = PreTrainedTokenizerFast(tokenizer_object=chartok.build_tokenizer(), eos_token=chartok.EOS,
                                  pad_token=chartok.EOS, bos_token=chartok.EOS)
    tok.save_pretrained(HF_DIR)


def run_builder(precision, out):
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", HF_DIR, "-o", out, "-p", precision,
           "-e", "cpu", "-c", os.path.join(WORK, "cache")]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import onnx
    m = onnx.load(os.path.join(out, "model.onnx"))  # weights inline: one file per model (they are tiny)
    m.producer_version = m.producer_version.split("+")[0]  # the builder appends the git commit of the working dir
    onnx.save(m, os.path.join(out, "model.onnx"), save_as_external_data=False)
    # keep what a loader needs; the builder's own copies of the tokenizer are replaced by the repo's one
    for f in os.listdir(out):
        if f not in ("model.onnx", "genai_config.json", "tokenizer.json", "tokenizer_config.json"):
            p = os.path.join(out, f)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    chartok.save(os.path.join(out, "tokenizer.json"))


def export_optimum(model, out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    llama_onnx.export_lm_with_past(model, os.path.join(out, "model.onnx"))
    model.config.save_pretrained(out)
    model.generation_config.save_pretrained(out)
    chartok.save(os.path.join(out, "tokenizer.json"))


def prompts():
    with open(os.path.join(ROOT, "countdown", "test.jsonl")) as f:
        probs = [json.loads(line) for line in f][:N_PROMPTS]
    tok = chartok.build_tokenizer()
    return [(p["id"], task.prompt_text(p["numbers"], p["target"])) for p in probs], tok


@torch.no_grad()
def check_optimum(model, path, seqs, tol=1e-4):
    """ORT prefill (left padding) + 4 greedy decode steps against transformers full recompute."""
    import onnxruntime as ort
    from zoo import gpt2_onnx as gx
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ids, mask, pos = gx.left_pad(seqs, 0)
    B = len(seqs)
    kv_in, _ = gx._kv_names(model.config.num_hidden_layers)
    c = model.config
    past = [np.zeros((B, c.num_key_value_heads, 0, c.head_dim), np.float32) for _ in kv_in]
    feed = {"input_ids": ids, "attention_mask": mask, "position_ids": pos}
    all_ids, all_mask, all_pos = ids, mask, pos
    worst = 0.0
    for _ in range(5):
        feed.update(dict(zip(kv_in, past)))
        res = sess.run(None, feed)
        logits, past = res[0], res[1:]
        ref = model(input_ids=torch.from_numpy(all_ids), attention_mask=torch.from_numpy(all_mask),
                    position_ids=torch.from_numpy(all_pos)).logits.numpy()
        S = logits.shape[1]
        m = all_mask[:, -S:].astype(bool)
        worst = max(worst, float(np.abs(ref[:, -S:] - logits)[m].max()))
        nxt = logits[:, -1].argmax(-1).astype(np.int64)[:, None]
        all_ids = np.concatenate([all_ids, nxt], 1)
        all_mask = np.concatenate([all_mask, np.ones((B, 1), np.int64)], 1)
        all_pos = np.concatenate([all_pos, all_pos[:, -1:] + 1], 1)
        feed = {"input_ids": nxt, "attention_mask": all_mask, "position_ids": all_pos[:, -1:]}
    assert worst < tol, worst
    return worst


@torch.no_grad()
def check_genai(model, out, seqs, tol):
    """onnxruntime-genai's own generator, greedy, one prompt at a time: same tokens as transformers."""
    import onnxruntime_genai as og
    m = og.Model(out)
    agree = 0
    for s in seqs:
        params = og.GeneratorParams(m)
        params.set_search_options(do_sample=False, max_length=len(s) + MAX_NEW, min_length=0)
        g = og.Generator(m, params)
        g.append_tokens([s])
        while not g.is_done():
            g.generate_next_token()
        got = [int(t) for t in g.get_sequence(0)][len(s):]  # ends before the EOS it generated
        ref = model.generate(input_ids=torch.tensor([s]), attention_mask=torch.ones(1, len(s), dtype=torch.long),
                             do_sample=False, max_new_tokens=MAX_NEW, eos_token_id=0, pad_token_id=0)[0, len(s):]
        ref = ref.tolist()
        if 0 in ref:
            ref = ref[:ref.index(0)]
        agree += got == ref
    assert agree >= tol * len(seqs), (out, agree)
    return agree


@torch.no_grad()
def goldens(model, items, tok):
    out = {"description": (
        "transformers " + __import__("transformers").__version__ + " generate on llama-tiny (random weights, eager "
        "attention), one prompt per call (batch 1, no padding), eos_token_id=pad_token_id=0, max_new_tokens "
        f"{MAX_NEW}. greedy: do_sample=False. beam: do_sample=False, {BEAM}. generated_ids: the tokens after the "
        "prompt up to and including EOS when one was generated. min_margin: the smallest gap between the best and "
        "second-best logit along the greedy path (how close a tie came)."),
        "max_new_tokens": MAX_NEW, "beam": BEAM, "results": []}
    for pid, text in items:
        p = tok.encode(text, add_special_tokens=False).ids
        ids = torch.tensor([p])
        am = torch.ones_like(ids)
        g = model.generate(input_ids=ids, attention_mask=am, do_sample=False, max_new_tokens=MAX_NEW,
                           eos_token_id=0, pad_token_id=0, output_scores=True, return_dict_in_generate=True)
        greedy = g.sequences[0, len(p):].tolist()
        margin = min(float(torch.topk(s[0], 2).values[0] - torch.topk(s[0], 2).values[1]) for s in g.scores)
        if 0 in greedy:
            greedy = greedy[:greedy.index(0) + 1]
        b = model.generate(input_ids=ids, attention_mask=am, do_sample=False, max_new_tokens=MAX_NEW,
                           eos_token_id=0, pad_token_id=0, output_scores=True, return_dict_in_generate=True, **BEAM)
        hyps = []
        for r in range(BEAM["num_return_sequences"]):
            gen = b.sequences[r, len(p):].tolist()
            ended = 0 in gen
            if ended:
                gen = gen[:gen.index(0) + 1]
            hyps.append({"generated_ids": gen, "ended_with_eos": ended, "sequence_score": float(b.sequences_scores[r])})
        out["results"].append({"id": pid, "prompt": text, "prompt_ids": p, "greedy_ids": greedy,
                               "greedy_min_margin": margin, "beam": hyps})
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(out, f, indent=1)
    return out


TINY = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            head_dim=16)
# --bench-size: a larger random Llama for speed only (written under work/, never committed, no goldens)
BENCH = dict(hidden_size=256, intermediate_size=768, num_hidden_layers=4, num_attention_heads=8,
             num_key_value_heads=2, head_dim=32)


def main():
    global HF_DIR, HERE
    torch.set_num_threads(1)
    bench = "--bench-size" in sys.argv
    if bench:
        HERE = os.path.join(WORK, "bench-size")
        HF_DIR = os.path.join(HERE, "hf")
    os.makedirs(HERE, exist_ok=True)
    os.makedirs(WORK, exist_ok=True)
    model = build_model(BENCH if bench else TINY)
    save_hf(model)
    model = LlamaForCausalLM.from_pretrained(HF_DIR, attn_implementation="eager").eval()
    items, tok = prompts()
    seqs = [tok.encode(t, add_special_tokens=False).ids for _, t in items]
    export_optimum(model, os.path.join(HERE, "optimum"))
    d = check_optimum(model, os.path.join(HERE, "optimum", "model.onnx"), seqs, 1e-3 if bench else 1e-4)
    print(f"optimum export vs transformers: max abs logit diff {d:.2e}")
    run_builder("fp32", os.path.join(HERE, "genai-fp32"))
    run_builder("int4", os.path.join(HERE, "genai-int4"))
    print("genai fp32 greedy == transformers:", check_genai(model, os.path.join(HERE, "genai-fp32"), seqs, 1.0),
          "of", len(seqs))
    print("genai int4 greedy == transformers:", check_genai(model, os.path.join(HERE, "genai-int4"), seqs, 0.0),
          "of", len(seqs))
    if bench:
        return
    g = goldens(model, items, tok)
    print("goldens:", len(g["results"]), "prompts; smallest greedy margin",
          min(r["greedy_min_margin"] for r in g["results"]))


if __name__ == "__main__":
    main()
