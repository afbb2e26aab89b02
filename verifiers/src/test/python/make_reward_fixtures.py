"""Writes tiny random-weight reward-model exports for the verifiers' unit tests, in exactly the layouts the
Countdown ORM / PRM use (onnx-models/countdown/train_orm.py, train_prm.py), with golden outputs from
transformers itself:

  verifiers/src/test/resources/fixtures/orm1/     GPT2ForSequenceClassification, num_labels=1 -> logits [B,1]
  verifiers/src/test/resources/fixtures/orm2/     GPT2ForSequenceClassification, num_labels=2 -> logits [B,2]
  verifiers/src/test/resources/fixtures/prm/      GPT2ForTokenClassification -> logits [B,S,1]
  verifiers/src/test/resources/fixtures/prm-cached/  the same weights with past_key_values.* / present.*
  verifiers/src/test/resources/fixtures/golden.json  per text: ORM logits, PRM logits at every position

Run from the repository root:  onnx-models/.venv/bin/python verifiers/src/test/python/make_reward_fixtures.py
"""
import json
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "onnx-models"))
from zoo import chartok, gpt2_onnx as gx  # noqa: E402
from transformers import GPT2Config, GPT2ForSequenceClassification, GPT2ForTokenClassification  # noqa: E402

OUT = os.path.join(ROOT, "verifiers", "src", "test", "resources", "fixtures")
TEXTS = [
    "numbers: 3 7 25 50 target: 85\n",
    "numbers: 3 7 25 50 target: 85\n50 + 25 = 75\n",
    "numbers: 3 7 25 50 target: 85\n50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85",
    "numbers: 2 2 4 40 target: 42\n40 + 2 = 42\nanswer: 42",
    "numbers: 6 9 12 30 target: 14\n30 / 6 = 5\n9 + 5 = 14\nanswer: 14",
    "numbers: 6 9 12 30 target: 14\n30 / 6 = 5\n9 + 5 = 1",
]


def config(labels):
    return GPT2Config(vocab_size=30, n_positions=128, n_embd=32, n_layer=2, n_head=2, num_labels=labels,
                      pad_token_id=0, eos_token_id=0, bos_token_id=0, activation_function="gelu_new",
                      resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)


def randomize_head(module):
    with torch.no_grad():
        module.weight.normal_(0, 1.0)
        if getattr(module, "bias", None) is not None:
            module.bias.normal_(0, 0.5)


def save_dir(name, model):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    model.config.save_pretrained(d)
    chartok.save(os.path.join(d, "tokenizer.json"))
    return d


def main():
    torch.manual_seed(3)
    tok = chartok.build_tokenizer()
    seqs = [tok.encode(t, add_special_tokens=False).ids for t in TEXTS]
    golden = {"texts": TEXTS, "orm1": [], "orm2": [], "prm": []}
    for labels in (1, 2):
        m = GPT2ForSequenceClassification(config(labels)).eval()
        randomize_head(m.score)
        d = save_dir(f"orm{labels}", m)
        gx.export_seq_cls(m, os.path.join(d, "model.onnx"))
        with torch.no_grad():
            for s in seqs:  # one at a time: no padding in the reference
                golden[f"orm{labels}"].append(m(input_ids=torch.tensor([s])).logits[0].tolist())
    m = GPT2ForTokenClassification(config(1)).eval()
    randomize_head(m.classifier)
    gx.export_tok_cls(m, os.path.join(save_dir("prm", m), "model.onnx"))
    gx.export_tok_cls_with_past(m, os.path.join(save_dir("prm-cached", m), "model.onnx"))
    with torch.no_grad():
        for s in seqs:
            golden["prm"].append([row[0] for row in m(input_ids=torch.tensor([s])).logits[0].tolist()])
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
    for name in ("orm1", "orm2", "prm", "prm-cached"):
        print(name, os.path.getsize(os.path.join(OUT, name, "model.onnx")), "bytes")


if __name__ == "__main__":
    main()
