"""An ensemble ORM in the plain ORM layout (input_ids, attention_mask -> logits [B,1]): the mean of the member ORMs'
logits, for best-of-N without changing `ponder eval` (`--orm DIR` takes any plain or cached ORM dir). Averaging
reward models is the reward-model-ensemble remedy for over-optimization (Coste et al. 2023). Two 3.3 MB members
make a 6.5 MB file, over the repository's 4 MB file limit, so the default output is work/countdown/v2/orm-ens.

Usage: python export_orm_ensemble.py [OUT] (members: countdown/orm and countdown/orm-v2)
Check: the export's logits against the mean of the members' own ONNX logits on 256 validation samples' texts.
"""
import os
import shutil
import sys

import numpy as np
import torch
from transformers import GPT2ForSequenceClassification

import common
import train_orm_v2 as t2
import verifier_data as vd
from zoo import gpt2_onnx as gx

MEMBERS = [os.path.join(common.HERE, "orm"), os.path.join(common.HERE, "orm-v2")]


class MeanSeqCls(torch.nn.Module):
    def __init__(self, models):
        super().__init__()
        self.members = torch.nn.ModuleList(gx.SeqCls(m) for m in models)

    def forward(self, input_ids, attention_mask):
        return torch.stack([m(input_ids, attention_mask) for m in self.members]).mean(0)


def main():
    torch.set_num_threads(1)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(vd.V2_WORK, "orm-ens")
    models = [vd.committed_model(d, GPT2ForSequenceClassification)[1].eval() for d in MEMBERS]
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    ids = torch.randint(0, models[0].config.vocab_size, (2, 5))
    mask = torch.ones(2, 5, dtype=torch.int64)
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "sequence_length"}, "logits": {0: "batch_size"}}
    gx._export(MeanSeqCls(models), [ids, mask], path, ["input_ids", "attention_mask"], ["logits"], dyn)
    for f in ("config.json", "tokenizer.json"):
        shutil.copyfile(os.path.join(MEMBERS[1], f), os.path.join(out, f))
    held = vd.read_jsonl(os.path.join(vd.V2_WORK, "val_samples.jsonl"))[:256]
    texts = [t2.text_of(s) for s in held]
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    want = np.mean([logit(t2.onnx_scores(os.path.join(d, "model.onnx"), texts)) for d in MEMBERS], 0)
    got = logit(t2.onnx_scores(path, texts))
    d = float(np.abs(got - want).max())
    assert d < 1e-3, f"ensemble export differs from the members' mean logit by {d}"
    print(f"orm ensemble OK: {path}, max logit diff vs members' mean {d:.2e}, {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
