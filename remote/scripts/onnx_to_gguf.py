#!/usr/bin/env python3
"""Converts the Countdown policy (a GPT-2 exported to ONNX with no HF checkpoint) to GGUF f32 for llama.cpp.

Usage: onnx_to_gguf.py MODEL_DIR OUT.gguf
MODEL_DIR holds model.onnx, config.json and tokenizer.json (onnx-models/countdown/policy).

The ONNX initializers keep Hugging Face GPT-2 names under a prefix (g.t.h.N.attn.c_attn.weight, ...): Conv1D
weights stored (in, out). llama.cpp's gpt2 architecture wants Linear layout (out, in), so those are transposed,
as llama.cpp's own HF converter does. The LM head is the one MatMul weight outside the prefix, shape
(n_embd, vocab); it becomes output.weight (vocab, n_embd).

Tokenizer: the policy's tokenizer.json is a character vocabulary (BPE with no merges, no pre-tokenizer, no byte
level). llama.cpp's "gpt2" tokenizer is byte-level BPE, so each token's text is written in GPT-2's byte-to-unicode
alphabet ("\n" -> "Ċ", " " -> "Ġ"); with no merges every character stays one token, so llama.cpp tokenizes
a prompt exactly as the policy's own tokenizer does (checked by check_logits.py through /tokenize). llama.cpp
refuses a BPE vocabulary without a merges list, so one placeholder merge ("u w") is written: those letters never
meet in Countdown text, and its result is no token of the vocabulary.
"""
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
import gguf


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def main(model_dir: Path, out: Path) -> None:
    cfg = json.loads((model_dir / "config.json").read_text())
    tok = json.loads((model_dir / "tokenizer.json").read_text())
    if cfg.get("model_type") != "gpt2":
        sys.exit(f"expected model_type gpt2 in config.json, found {cfg.get('model_type')}")
    model = onnx.load(str(model_dir / "model.onnx"))
    weights = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in model.graph.initializer}
    prefixes = {n.rsplit("wte.weight", 1)[0] for n in weights if n.endswith("wte.weight")}
    if len(prefixes) != 1:
        sys.exit(f"expected one token embedding '*wte.weight', found {sorted(prefixes)}")
    p = prefixes.pop()
    n_layer, n_embd, n_head, vocab = cfg["n_layer"], cfg["n_embd"], cfg["n_head"], cfg["vocab_size"]
    n_ctx = cfg["n_positions"]
    n_inner = cfg.get("n_inner") or 4 * n_embd

    def take(name):
        if name not in weights:
            sys.exit(f"expected initializer {name} in model.onnx; found e.g. {sorted(weights)[:8]}")
        return weights.pop(name)

    tensors = [("token_embd.weight", take(p + "wte.weight")), ("position_embd.weight", take(p + "wpe.weight"))]
    for i in range(n_layer):
        h = f"{p}h.{i}."
        b = f"blk.{i}."
        tensors += [
            (b + "attn_norm.weight", take(h + "ln_1.weight")), (b + "attn_norm.bias", take(h + "ln_1.bias")),
            (b + "attn_qkv.weight", take(h + "attn.c_attn.weight").T), (b + "attn_qkv.bias", take(h + "attn.c_attn.bias")),
            (b + "attn_output.weight", take(h + "attn.c_proj.weight").T), (b + "attn_output.bias", take(h + "attn.c_proj.bias")),
            (b + "ffn_norm.weight", take(h + "ln_2.weight")), (b + "ffn_norm.bias", take(h + "ln_2.bias")),
            (b + "ffn_up.weight", take(h + "mlp.c_fc.weight").T), (b + "ffn_up.bias", take(h + "mlp.c_fc.bias")),
            (b + "ffn_down.weight", take(h + "mlp.c_proj.weight").T), (b + "ffn_down.bias", take(h + "mlp.c_proj.bias")),
        ]
    tensors += [("output_norm.weight", take(p + "ln_f.weight")), ("output_norm.bias", take(p + "ln_f.bias"))]
    heads = [n for n, w in weights.items() if w.shape == (n_embd, vocab)]
    if len(heads) != 1:
        sys.exit(f"expected one LM head of shape ({n_embd}, {vocab}) left over, found {heads} among {sorted(weights)}")
    tensors.append(("output.weight", weights.pop(heads[0]).T))
    if weights:
        sys.exit(f"initializers left unmapped: {sorted(weights)}")

    # tokenizer: ids in order, texts in GPT-2's byte-level alphabet
    v = dict(tok["model"]["vocab"])
    for a in tok.get("added_tokens", []):
        v[a["content"]] = a["id"]
    if sorted(v.values()) != list(range(vocab)):
        sys.exit(f"expected token ids 0..{vocab - 1}, found {sorted(v.values())}")
    if tok["model"].get("merges"):
        sys.exit("expected a character vocabulary with no merges; this converter does not map merges")
    b2u = bytes_to_unicode()
    special = {a["id"] for a in tok.get("added_tokens", []) if a.get("special")}
    texts = [None] * vocab
    types = [None] * vocab
    for text, i in v.items():
        if i in special:
            texts[i], types[i] = text, gguf.TokenType.CONTROL
        else:
            texts[i], types[i] = "".join(b2u[b] for b in text.encode("utf-8")), gguf.TokenType.NORMAL
    eos = cfg["eos_token_id"]

    w = gguf.GGUFWriter(str(out), "gpt2")
    w.add_name("countdown-policy")
    w.add_block_count(n_layer)
    w.add_context_length(n_ctx)
    w.add_embedding_length(n_embd)
    w.add_feed_forward_length(n_inner)
    w.add_head_count(n_head)
    w.add_layer_norm_eps(cfg["layer_norm_epsilon"])
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(texts)
    w.add_token_types(types)
    # llama.cpp requires a merges list and gguf-py drops an empty one: one merge of two letters that never meet in
    # Countdown text ("uw"; its result is no token, so llama.cpp would fall back to the characters anyway)
    for a, b in (("u", "w"),):
        if a not in v or b not in v:
            sys.exit(f"expected tokens {a!r} and {b!r} for the placeholder merge")
    w.add_token_merges(["u w"])
    w.add_bos_token_id(eos)
    w.add_eos_token_id(eos)
    w.add_pad_token_id(cfg.get("pad_token_id") or eos)
    w.add_add_bos_token(False)
    w.add_add_eos_token(False)
    for name, t in tensors:
        w.add_tensor(name, np.ascontiguousarray(t, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {out}: {len(tensors)} tensors, vocab {vocab}, context {n_ctx}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: onnx_to_gguf.py MODEL_DIR OUT.gguf")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
