"""Re-exports the committed GPT-2 Countdown policy (countdown/policy/model.onnx, the optimum layout: the KV grows
by a past -> present concat every step) in onnxruntime-genai's in-place layout, into countdown/policy-gqa/:
the same weights, attention by com.microsoft GroupQueryAttention over one past/present buffer
(past_present_share_buffer), described by a genai_config.json. Issue 19: the concat was a quarter of a decode
step's kernel time at batch 16.

The graph is written by hand with onnx.helper from the committed export's initializers, so it needs no torch:

  h = wte[input_ids] + wpe[position_ids]
  per layer: qkv = LN1(h) @ c_attn + b            (packed [q | k | v], 4 heads of 32 each)
             a   = GroupQueryAttention(qkv, past k/v, seqlens_k = sum(mask) - 1, total = mask width)
             h   = h + a @ c_proj + b
             h   = h + FastGelu(LN2(h) @ c_fc, b) @ mlp.c_proj + b      (gelu_new is the tanh GELU)
  logits = LN_f(h) @ lm_head

GroupQueryAttention's default scale is 1/sqrt(head_size), GPT-2's. Positions stay absolute (wpe), fed as
position_ids, which Ponder's GQA forward counts from each row's KV length.

Checks (printed; the script fails when one does not hold): logits against the committed export on a batch
prefill and greedy decode steps (max abs diff <= 1e-4), and greedy texts of both exports on the first
GREEDY_PROBLEMS test problems, each on its own buffers.

    .venv/bin/python countdown/export_gqa_policy.py      (run from onnx-models/; needs onnx, onnxruntime, numpy,
                                                         tokenizers only)
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "policy")
DEST = os.path.join(HERE, "policy-gqa")
LAYERS, HEADS, HEAD, HIDDEN, VOCAB, CONTEXT = 4, 4, 32, 128, 30, 128
EPS = 1e-5
GREEDY_PROBLEMS = 100
MAX_NEW = 72


def weights():
    m = onnx.load(os.path.join(SRC, "model.onnx"))
    w = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    lm_head = [n for n, a in w.items() if a.shape == (HIDDEN, VOCAB)]
    if len(lm_head) != 1:
        sys.exit(f"expected one [{HIDDEN}, {VOCAB}] lm_head initializer in {SRC}, found {lm_head}")
    w["lm_head"] = w.pop(lm_head[0])
    return w


def build(w):
    inits, nodes = [], []

    def init(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=array.dtype), name))
        return name

    def node(op, inputs, name, domain="", outputs=None, **attrs):
        outs = outputs or [name]
        nodes.append(helper.make_node(op, inputs, outs, name=name, domain=domain or None, **attrs))
        return outs[0] if outputs is None else outs

    for k, a in w.items():
        init(k, a)
    one = init("const_one", np.array([1], dtype=np.int64))
    width_axis = init("const_axis1", np.array(1, dtype=np.int64))

    # GroupQueryAttention reads each row's length from the mask's sum and the buffer's valid width from its shape.
    mask_sum = node("ReduceSum", ["attention_mask", one], "mask_sum", keepdims=0)
    seqlens = node("Cast", [node("Sub", [mask_sum, one], "seqlens_k_64")], "seqlens_k", to=TensorProto.INT32)
    total = node("Cast", [node("Gather", [node("Shape", ["attention_mask"], "mask_shape"), width_axis],
                               "total_64", axis=0)], "total_sequence_length", to=TensorProto.INT32)

    h = node("Add", [node("Gather", ["g.t.wte.weight", "input_ids"], "tok_emb"),
                     node("Gather", ["g.t.wpe.weight", "position_ids"], "pos_emb")], "emb")
    for l in range(LAYERS):
        p = f"g.t.h.{l}."
        x = node("LayerNormalization", [h, p + "ln_1.weight", p + "ln_1.bias"], f"l{l}_ln1", axis=-1, epsilon=EPS)
        qkv = node("Add", [node("MatMul", [x, p + "attn.c_attn.weight"], f"l{l}_qkv_mm"), p + "attn.c_attn.bias"],
                   f"l{l}_qkv")
        attn = node("GroupQueryAttention",
                    [qkv, "", "", f"past_key_values.{l}.key", f"past_key_values.{l}.value", seqlens, total],
                    f"l{l}_gqa", domain="com.microsoft",
                    outputs=[f"l{l}_attn", f"present.{l}.key", f"present.{l}.value"],
                    num_heads=HEADS, kv_num_heads=HEADS, scale=float(1 / np.sqrt(HEAD)))[0]
        proj = node("Add", [node("MatMul", [attn, p + "attn.c_proj.weight"], f"l{l}_o_mm"), p + "attn.c_proj.bias"],
                    f"l{l}_o")
        h = node("Add", [h, proj], f"l{l}_res1")
        x = node("LayerNormalization", [h, p + "ln_2.weight", p + "ln_2.bias"], f"l{l}_ln2", axis=-1, epsilon=EPS)
        up = node("FastGelu", [node("MatMul", [x, p + "mlp.c_fc.weight"], f"l{l}_fc_mm"), p + "mlp.c_fc.bias"],
                  f"l{l}_gelu", domain="com.microsoft")
        down = node("Add", [node("MatMul", [up, p + "mlp.c_proj.weight"], f"l{l}_down_mm"), p + "mlp.c_proj.bias"],
                    f"l{l}_down")
        h = node("Add", [h, down], f"l{l}_res2")
    x = node("LayerNormalization", [h, "g.t.ln_f.weight", "g.t.ln_f.bias"], "ln_f", axis=-1, epsilon=EPS)
    node("MatMul", [x, "lm_head"], "logits")

    def t(name, dtype, dims):
        return helper.make_tensor_value_info(name, dtype, dims)

    inputs = [t("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              t("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
              t("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"])]
    outputs = [t("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", VOCAB])]
    for l in range(LAYERS):
        for kind in ("key", "value"):
            inputs.append(t(f"past_key_values.{l}.{kind}", TensorProto.FLOAT,
                            ["batch_size", HEADS, "past_sequence_length", HEAD]))
            outputs.append(t(f"present.{l}.{kind}", TensorProto.FLOAT,
                             ["batch_size", HEADS, "total_sequence_length", HEAD]))
    graph = helper.make_graph(nodes, "countdown_policy_gqa", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
                              producer_name="ponder onnx-models/countdown/export_gqa_policy.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def genai_config():
    return {
        "model": {
            "bos_token_id": 0, "context_length": CONTEXT, "eos_token_id": 0, "pad_token_id": 0, "type": "gpt2",
            "vocab_size": VOCAB,
            "decoder": {
                "session_options": {"log_id": "onnxruntime-genai", "provider_options": []},
                "filename": "model.onnx", "head_size": HEAD, "hidden_size": HIDDEN,
                "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                           "position_ids": "position_ids", "past_key_names": "past_key_values.%d.key",
                           "past_value_names": "past_key_values.%d.value"},
                "outputs": {"logits": "logits", "present_key_names": "present.%d.key",
                            "present_value_names": "present.%d.value"},
                "num_attention_heads": HEADS, "num_hidden_layers": LAYERS, "num_key_value_heads": HEADS,
            },
        },
        "search": {"do_sample": False, "max_length": CONTEXT, "num_beams": 1, "past_present_share_buffer": True},
    }


def session(path):
    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


class Concat:
    """The committed export: past grows by concat; left-aligned rows of one length here, so no padding."""

    def __init__(self, s, b):
        self.s, self.b, self.len = s, b, 0
        self.past = {f"past_key_values.{l}.{k}": np.zeros((b, HEADS, 0, HEAD), np.float32)
                     for l in range(LAYERS) for k in ("key", "value")}

    def step(self, ids):
        s = ids.shape[1]
        feed = dict(self.past, input_ids=ids, attention_mask=np.ones((self.b, self.len + s), np.int64),
                    position_ids=np.tile(np.arange(self.len, self.len + s, dtype=np.int64), (self.b, 1)))
        out = self.s.run(None, feed)
        names = [o.name for o in self.s.get_outputs()]
        for n, v in zip(names[1:], out[1:]):
            self.past[n.replace("present.", "past_key_values.")] = v
        self.len += s
        return out[0]


class Shared:
    """The new export: one CONTEXT-wide buffer per layer and kind, written in place by GroupQueryAttention."""

    def __init__(self, s, b):
        self.s, self.b, self.len = s, b, 0
        self.kv = {f"{l}.{k}": np.zeros((b, HEADS, CONTEXT, HEAD), np.float32) for l in range(LAYERS)
                   for k in ("key", "value")}
        self.binding = s.io_binding()

    def step(self, ids):
        s = ids.shape[1]
        bind = self.binding
        bind.clear_binding_inputs()
        bind.clear_binding_outputs()
        bind.bind_cpu_input("input_ids", ids)
        bind.bind_cpu_input("attention_mask", np.ones((self.b, self.len + s), np.int64))
        bind.bind_cpu_input("position_ids", np.tile(np.arange(self.len, self.len + s, dtype=np.int64), (self.b, 1)))
        bind.bind_output("logits")
        for name, buf in self.kv.items():
            v = ort.OrtValue.ortvalue_from_numpy(buf)
            bind.bind_ortvalue_input("past_key_values." + name, v)
            bind.bind_ortvalue_output("present." + name, v)
        self.s.run_with_iobinding(bind)
        self.len += s
        return bind.copy_outputs_to_cpu()[0]


def prompts(n):
    with open(os.path.join(HERE, "test.jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()][:n]
    return ["numbers: " + " ".join(str(x) for x in r["numbers"]) + f" target: {r['target']}\n" for r in rows]


def greedy(runner, ids):
    out, logits = [], runner.step(np.array([ids], np.int64))
    for _ in range(MAX_NEW):
        t = int(np.argmax(logits[0, -1]))
        out.append(t)
        if t == 0:
            break
        logits = runner.step(np.array([[t]], np.int64))
    return out


def main():
    w = weights()
    os.makedirs(DEST, exist_ok=True)
    onnx.save(build(w), os.path.join(DEST, "model.onnx"))
    with open(os.path.join(DEST, "genai_config.json"), "w") as f:
        json.dump(genai_config(), f, indent=4)
        f.write("\n")
    for name in ("tokenizer.json", "generation_config.json"):
        shutil.copy(os.path.join(SRC, name), os.path.join(DEST, name))

    old, new = session(os.path.join(SRC, "model.onnx")), session(os.path.join(DEST, "model.onnx"))
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(SRC, "tokenizer.json"))
    texts = prompts(GREEDY_PROBLEMS)
    # Batch check: 8 prompts of one token length, a prefill and 20 greedy steps, logits side by side.
    seqs = [tok.encode(t, add_special_tokens=False).ids for t in texts]
    width = max(set(map(len, seqs)), key=[len(s) for s in seqs].count)
    batch = np.array([s for s in seqs if len(s) == width][:8], np.int64)
    a, b = Concat(old, len(batch)), Shared(new, len(batch))
    la, lb = a.step(batch), b.step(batch)
    worst = float(np.abs(la - lb).max())
    for _ in range(20):
        nxt = la[:, -1].argmax(-1)[:, None].astype(np.int64)
        la, lb = a.step(nxt), b.step(nxt)
        worst = max(worst, float(np.abs(la - lb).max()))
    print(f"logits, batch {len(batch)}, prefill {width} + 20 steps: max abs diff {worst:.2e}", flush=True)
    same = sum(greedy(Concat(old, 1), s) == greedy(Shared(new, 1), s) for s in seqs)
    print(f"greedy texts equal on {same} of {len(seqs)} test problems", flush=True)
    if worst > 1e-4 or same < len(seqs):
        sys.exit("the GQA export does not match the committed policy")


if __name__ == "__main__":
    main()
