"""ONNX export of transformers GPT-2 models in Hugging Face optimum's decoder layout.

We do not trace transformers' own forward (its Cache objects and mask helpers bake shapes into a traced
graph). Instead `GPT2Graph` re-states GPT-2's forward pass in plain tensor operations over the *same
parameter tensors* of a transformers GPT2 model, and that module is exported with the TorchScript-based
exporter (dynamo=False) using dynamic axes. Every export is then checked against transformers itself
(`verify_*` functions) with onnxruntime.

Semantics (identical to transformers GPT-2 with eager attention for every non-pad position):
  * hidden = wte[input_ids] + wpe[position_ids]
  * key j (0..P+S-1) is visible to query i (0..S-1) iff j <= P + i and attention_mask[b, j] == 1
  * masked scores are replaced by float32 min (not -inf), so a fully masked row (a left-pad query)
    yields finite, meaningless values instead of NaN; those rows are never read.
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import numpy as np
import torch
from torch import nn

OPSET = 17


def _conv1d(x, m):
    # transformers' Conv1D: y = x @ W + b with W stored [in, out]
    return torch.matmul(x, m.weight) + m.bias


class GPT2Graph(nn.Module):
    """Plain-tensor GPT-2 trunk over the parameters of a transformers GPT2Model."""

    def __init__(self, transformer):
        super().__init__()
        self.t = transformer
        cfg = transformer.config
        self.n_layer = cfg.n_layer
        self.n_head = cfg.n_head
        self.head_dim = cfg.n_embd // cfg.n_head
        assert cfg.activation_function == "gelu_new", cfg.activation_function
        assert not cfg.scale_attn_by_inverse_layer_idx and cfg.scale_attn_weights

    @staticmethod
    def _gelu_new(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

    def forward(self, input_ids, attention_mask, position_ids, past: Optional[List[Tuple[torch.Tensor, torch.Tensor]]]):
        B = input_ids.shape[0]
        S = input_ids.shape[1]
        T = attention_mask.shape[1]  # = P + S
        h = self.t.wte(input_ids) + self.t.wpe(position_ids)
        # visibility: key j visible to query i iff j <= (T - S) + i and attention_mask[b, j] == 1
        q_abs = torch.arange(S, dtype=torch.int64) + (T - S)
        k_idx = torch.arange(T, dtype=torch.int64)
        causal = k_idx.unsqueeze(0) <= q_abs.unsqueeze(1)  # [S, T]
        visible = causal.unsqueeze(0).unsqueeze(0) & (attention_mask > 0).unsqueeze(1).unsqueeze(2)  # [B,1,S,T]
        neg = torch.tensor(torch.finfo(torch.float32).min, dtype=torch.float32)
        scale = torch.tensor(1.0 / math.sqrt(self.head_dim), dtype=torch.float32)
        presents = []
        H, D = self.n_head, self.head_dim
        for li, block in enumerate(self.t.h):
            x = block.ln_1(h)
            qkv = _conv1d(x, block.attn.c_attn)
            q, k, v = qkv.split(H * D, dim=2)
            q = q.reshape(B, S, H, D).transpose(1, 2)
            k = k.reshape(B, S, H, D).transpose(1, 2)
            v = v.reshape(B, S, H, D).transpose(1, 2)
            if past is not None:
                k = torch.cat([past[li][0], k], dim=2)
                v = torch.cat([past[li][1], v], dim=2)
            presents.append((k, v))
            scores = torch.matmul(q, k.transpose(-1, -2)) * scale
            scores = torch.where(visible, scores, neg)
            probs = torch.softmax(scores, dim=-1)
            a = torch.matmul(probs, v).transpose(1, 2).reshape(B, S, H * D)
            h = h + _conv1d(a, block.attn.c_proj)
            x = block.ln_2(h)
            x = self._gelu_new(_conv1d(x, block.mlp.c_fc))
            h = h + _conv1d(x, block.mlp.c_proj)
        h = self.t.ln_f(h)
        return h, presents


def positions_from_mask(attention_mask):
    """cumsum(mask) - 1 clipped at 0: real tokens get 0,1,2,... whatever the padding side."""
    return torch.clamp(torch.cumsum(attention_mask, dim=1) - 1, min=0)


# ---------------------------------------------------------------- export wrappers

class LMWithPast(nn.Module):
    """input_ids, attention_mask, position_ids, past k/v ... -> logits, present k/v ..."""

    def __init__(self, lm, with_position_ids=True):
        super().__init__()
        self.g = GPT2Graph(lm.transformer)
        self.lm_head = lm.lm_head
        self.with_position_ids = with_position_ids

    def forward(self, input_ids, attention_mask, *rest):
        if self.with_position_ids:
            position_ids, flat = rest[0], rest[1:]
        else:
            flat = rest
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(self.g.n_layer)]
        if not self.with_position_ids:
            # transformers GPT2Model without position_ids: cache_position = arange(P, P+S), same for every row
            P = past[0][0].shape[2]
            S = input_ids.shape[1]
            position_ids = (torch.arange(S, dtype=torch.int64) + P).unsqueeze(0).expand(input_ids.shape[0], S)
        h, presents = self.g(input_ids, attention_mask, position_ids, past)
        logits = torch.matmul(h, self.lm_head.weight.t())
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


class LMNoCache(nn.Module):
    def __init__(self, lm):
        super().__init__()
        self.g = GPT2Graph(lm.transformer)
        self.lm_head = lm.lm_head

    def forward(self, input_ids, attention_mask, position_ids):
        h, _ = self.g(input_ids, attention_mask, position_ids, None)
        return torch.matmul(h, self.lm_head.weight.t())


class SeqCls(nn.Module):
    """GPT2ForSequenceClassification: logits [B, num_labels] read at the rightmost attention_mask==1 token.
    Positions are computed in-graph as cumsum(attention_mask)-1 (clipped at 0)."""

    def __init__(self, model):
        super().__init__()
        self.g = GPT2Graph(model.transformer)
        self.score = model.score

    def forward(self, input_ids, attention_mask):
        pos = positions_from_mask(attention_mask)
        h, _ = self.g(input_ids, attention_mask, pos, None)
        logits = torch.matmul(h, self.score.weight.t())  # [B,S,L]
        T = attention_mask.shape[1]
        idx = torch.argmax(torch.arange(T, dtype=torch.int64).unsqueeze(0) * attention_mask, dim=1)  # rightmost 1
        idx = idx.reshape(-1, 1, 1).expand(-1, 1, logits.shape[2])
        return torch.gather(logits, 1, idx).squeeze(1)


class TokCls(nn.Module):
    """GPT2ForTokenClassification: logits [B,S,num_labels]; positions from the mask (cumsum-1)."""

    def __init__(self, model):
        super().__init__()
        self.g = GPT2Graph(model.transformer)
        self.classifier = model.classifier

    def forward(self, input_ids, attention_mask):
        pos = positions_from_mask(attention_mask)
        h, _ = self.g(input_ids, attention_mask, pos, None)
        return self.classifier(h)


class TokClsWithPast(nn.Module):
    """Token classification with the policy's KV-cache layout (position_ids given explicitly)."""

    def __init__(self, model):
        super().__init__()
        self.g = GPT2Graph(model.transformer)
        self.classifier = model.classifier

    def forward(self, input_ids, attention_mask, position_ids, *flat):
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(self.g.n_layer)]
        h, presents = self.g(input_ids, attention_mask, position_ids, past)
        out = [self.classifier(h)]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


# ---------------------------------------------------------------- export functions

def _kv_names(n_layer):
    ins, outs = [], []
    for i in range(n_layer):
        ins += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outs += [f"present.{i}.key", f"present.{i}.value"]
    return ins, outs


def _dummy_past(cfg, B, P):
    D = cfg.n_embd // cfg.n_head
    return [torch.randn(B, cfg.n_head, P, D) for _ in range(2 * cfg.n_layer)]


def _export(module, args, path, input_names, output_names, dynamic_axes):
    module.eval()
    with torch.no_grad():
        torch.onnx.export(
            module, tuple(args), path, input_names=input_names, output_names=output_names,
            dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    m.producer_name = "ponder-onnx-models"
    onnx.save(m, path)


def export_lm_with_past(lm, path, with_position_ids=True, logits_name="logits"):
    cfg = lm.config
    B, S, P = 2, 3, 4
    ids = torch.randint(0, cfg.vocab_size, (B, S))
    mask = torch.ones(B, P + S, dtype=torch.int64)
    pos = torch.arange(P, P + S).unsqueeze(0).expand(B, S).contiguous()
    kv_in, kv_out = _kv_names(cfg.n_layer)
    names = ["input_ids", "attention_mask"] + (["position_ids"] if with_position_ids else []) + kv_in
    args = [ids, mask] + ([pos] if with_position_ids else []) + _dummy_past(cfg, B, P)
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           logits_name: {0: "batch_size", 1: "sequence_length"}}
    if with_position_ids:
        dyn["position_ids"] = {0: "batch_size", 1: "sequence_length"}
    for n in kv_in:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in kv_out:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    _export(LMWithPast(lm, with_position_ids), args, path, names, [logits_name] + kv_out, dyn)


def export_lm_no_cache(lm, path):
    cfg = lm.config
    B, S = 2, 5
    ids = torch.randint(0, cfg.vocab_size, (B, S))
    mask = torch.ones(B, S, dtype=torch.int64)
    pos = torch.arange(S).unsqueeze(0).expand(B, S).contiguous()
    dyn = {n: {0: "batch_size", 1: "sequence_length"} for n in ["input_ids", "attention_mask", "position_ids", "logits"]}
    _export(LMNoCache(lm), [ids, mask, pos], path, ["input_ids", "attention_mask", "position_ids"], ["logits"], dyn)


def export_seq_cls(model, path):
    cfg = model.config
    B, S = 2, 5
    ids = torch.randint(0, cfg.vocab_size, (B, S))
    mask = torch.ones(B, S, dtype=torch.int64)
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "sequence_length"}, "logits": {0: "batch_size"}}
    _export(SeqCls(model), [ids, mask], path, ["input_ids", "attention_mask"], ["logits"], dyn)
    import onnx
    m = onnx.load(path)  # the tracer leaves the label axis symbolic: pin it to num_labels
    d = m.graph.output[0].type.tensor_type.shape.dim[1]
    d.Clear()
    d.dim_value = cfg.num_labels
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export_tok_cls(model, path):
    cfg = model.config
    B, S = 2, 5
    ids = torch.randint(0, cfg.vocab_size, (B, S))
    mask = torch.ones(B, S, dtype=torch.int64)
    dyn = {n: {0: "batch_size", 1: "sequence_length"} for n in ["input_ids", "attention_mask", "logits"]}
    _export(TokCls(model), [ids, mask], path, ["input_ids", "attention_mask"], ["logits"], dyn)


def export_tok_cls_with_past(model, path):
    cfg = model.config
    B, S, P = 2, 3, 4
    ids = torch.randint(0, cfg.vocab_size, (B, S))
    mask = torch.ones(B, P + S, dtype=torch.int64)
    pos = torch.arange(P, P + S).unsqueeze(0).expand(B, S).contiguous()
    kv_in, kv_out = _kv_names(cfg.n_layer)
    names = ["input_ids", "attention_mask", "position_ids"] + kv_in
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in kv_in:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in kv_out:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    _export(TokClsWithPast(model), [ids, mask, pos] + _dummy_past(cfg, B, P), path, names, ["logits"] + kv_out, dyn)


# ---------------------------------------------------------------- helpers for checks

def ort_session(path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def empty_past(cfg, B):
    D = cfg.n_embd // cfg.n_head
    return [np.zeros((B, cfg.n_head, 0, D), dtype=np.float32) for _ in range(2 * cfg.n_layer)]


def left_pad(seqs, pad_id):
    """Left-pad token lists; returns input_ids, attention_mask, position_ids (cumsum(mask)-1 clipped at 0)."""
    L = max(len(s) for s in seqs)
    ids = np.full((len(seqs), L), pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), L), dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, L - len(s):] = s
        mask[i, L - len(s):] = 1
    pos = np.clip(np.cumsum(mask, axis=1) - 1, 0, None).astype(np.int64)
    return ids, mask, pos


def right_pad(seqs, pad_id):
    L = max(len(s) for s in seqs)
    ids = np.full((len(seqs), L), pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), L), dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = s
        mask[i, :len(s)] = 1
    return ids, mask


def verify_lm_with_past(lm, path, seqs, pad_id, with_position_ids=True, steps=3, tol=1e-5):
    """Prefill (P=0, left padding) + `steps` greedy decode steps through ORT with KV cache, compared with
    transformers (eager) full recompute on the same inputs at every non-pad position. Returns max abs diff."""
    cfg = lm.config
    sess = ort_session(path)
    out_names = [o.name for o in sess.get_outputs()]
    ids, mask, pos = left_pad(seqs, pad_id)
    B = len(seqs)
    worst = 0.0
    feed = {"input_ids": ids, "attention_mask": mask}
    if with_position_ids:
        feed["position_ids"] = pos
    kv_in, _ = _kv_names(cfg.n_layer)
    past = empty_past(cfg, B)
    all_ids, all_mask, all_pos = ids, mask, pos
    for step in range(steps + 1):
        for n, a in zip(kv_in, past):
            feed[n] = a
        res = sess.run(None, feed)
        logits = res[0]
        past = res[1:]
        # reference: transformers on the full sequence so far
        with torch.no_grad():
            ref = lm(input_ids=torch.from_numpy(all_ids), attention_mask=torch.from_numpy(all_mask),
                     position_ids=torch.from_numpy(all_pos) if with_position_ids else None).logits.numpy()
        S = logits.shape[1]
        ref_tail = ref[:, -S:, :]
        m = all_mask[:, -S:].astype(bool)
        d = np.abs(ref_tail - logits)[m].max()
        worst = max(worst, float(d))
        assert logits.shape == (B, S, cfg.vocab_size)
        assert past[0].shape == (B, cfg.n_head, all_ids.shape[1], cfg.n_embd // cfg.n_head), past[0].shape
        nxt = logits[:, -1, :].argmax(-1).astype(np.int64)[:, None]
        all_ids = np.concatenate([all_ids, nxt], 1)
        all_mask = np.concatenate([all_mask, np.ones((B, 1), np.int64)], 1)
        all_pos = np.concatenate([all_pos, all_pos[:, -1:] + 1], 1)
        feed = {"input_ids": nxt, "attention_mask": all_mask}
        if with_position_ids:
            feed["position_ids"] = all_pos[:, -1:]
    assert worst < tol, f"{path}: max abs diff {worst}"
    assert out_names[0] in ("logits",)
    return worst


def verify_lm_no_cache(lm, path, seqs, pad_id, tol=1e-5):
    sess = ort_session(path)
    ids, mask, pos = left_pad(seqs, pad_id)
    logits = sess.run(None, {"input_ids": ids, "attention_mask": mask, "position_ids": pos})[0]
    with torch.no_grad():
        ref = lm(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                 position_ids=torch.from_numpy(pos)).logits.numpy()
    d = float(np.abs(ref - logits)[mask.astype(bool)].max())
    assert d < tol, f"{path}: max abs diff {d}"
    return d
