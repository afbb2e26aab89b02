"""ONNX export of transformers Llama models in Hugging Face optimum's decoder layout (past -> present concat).

As zoo/gpt2_onnx.py does for GPT-2, `LlamaGraph` re-states Llama's forward pass in plain tensor operations over
the *same parameter tensors* of a transformers LlamaForCausalLM (RMSNorm, rotary position embedding from
position_ids, grouped-query attention, SwiGLU MLP), exported with the TorchScript-based exporter (dynamo=False).
KV tensors are [B, num_key_value_heads, P, head_dim]; masking is GPT2Graph's (key j visible to query i iff
j <= P + i and attention_mask[b, j] == 1; masked scores are float32 min).
"""
from __future__ import annotations

import torch
from torch import nn

from zoo import gpt2_onnx as gx

OPSET = 17


def _rms(x, norm):
    var = x.pow(2).mean(-1, keepdim=True)
    return norm.weight * (x * torch.rsqrt(var + norm.variance_epsilon))


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class LlamaGraph(nn.Module):
    def __init__(self, lm):
        super().__init__()
        self.lm = lm
        cfg = lm.config
        self.n_layer = cfg.num_hidden_layers
        self.n_head = cfg.num_attention_heads
        self.n_kv = cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        theta = cfg.rope_parameters["rope_theta"] if hasattr(cfg, "rope_parameters") else cfg.rope_theta
        assert (getattr(cfg, "rope_parameters", None) or {}).get("rope_type", "default") == "default"
        inv = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.int64).float() / self.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)
        assert cfg.hidden_act == "silu" and not cfg.attention_bias and not cfg.mlp_bias

    def forward(self, input_ids, attention_mask, position_ids, past):
        m = self.lm.model
        B, S = input_ids.shape[0], input_ids.shape[1]
        T = attention_mask.shape[1]
        h = m.embed_tokens(input_ids)
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq  # [B,S,D/2]
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)  # [B,1,S,D]
        q_abs = torch.arange(S, dtype=torch.int64) + (T - S)
        causal = torch.arange(T, dtype=torch.int64).unsqueeze(0) <= q_abs.unsqueeze(1)
        visible = causal.unsqueeze(0).unsqueeze(0) & (attention_mask > 0).unsqueeze(1).unsqueeze(2)
        neg = torch.tensor(torch.finfo(torch.float32).min, dtype=torch.float32)
        H, KV, D = self.n_head, self.n_kv, self.head_dim
        presents = []
        for li, layer in enumerate(m.layers):
            a = layer.self_attn
            x = _rms(h, layer.input_layernorm)
            q = a.q_proj(x).reshape(B, S, H, D).transpose(1, 2)
            k = a.k_proj(x).reshape(B, S, KV, D).transpose(1, 2)
            v = a.v_proj(x).reshape(B, S, KV, D).transpose(1, 2)
            q = q * cos + _rotate_half(q) * sin
            k = k * cos + _rotate_half(k) * sin
            if past is not None:
                k = torch.cat([past[li][0], k], dim=2)
                v = torch.cat([past[li][1], v], dim=2)
            presents.append((k, v))
            kk = k.repeat_interleave(H // KV, dim=1)  # query head j reads KV head j // (H / KV), as HF's repeat_kv
            vv = v.repeat_interleave(H // KV, dim=1)
            scores = torch.matmul(q, kk.transpose(-1, -2)) * a.scaling
            scores = torch.where(visible, scores, neg)
            o = torch.matmul(torch.softmax(scores, dim=-1), vv).transpose(1, 2).reshape(B, S, H * D)
            h = h + a.o_proj(o)
            x = _rms(h, layer.post_attention_layernorm)
            mlp = layer.mlp
            h = h + mlp.down_proj(nn.functional.silu(mlp.gate_proj(x)) * mlp.up_proj(x))
        return _rms(h, m.norm), presents


class LMWithPast(nn.Module):
    def __init__(self, lm):
        super().__init__()
        self.g = LlamaGraph(lm)
        self.lm_head = lm.lm_head

    def forward(self, input_ids, attention_mask, position_ids, *flat):
        past = [(flat[2 * i], flat[2 * i + 1]) for i in range(self.g.n_layer)]
        h, presents = self.g(input_ids, attention_mask, position_ids, past)
        out = [self.lm_head(h)]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def export_lm_with_past(lm, path):
    g = LlamaGraph(lm)
    B, S, P = 2, 3, 4
    ids = torch.randint(0, lm.config.vocab_size, (B, S))
    mask = torch.ones(B, P + S, dtype=torch.int64)
    pos = torch.arange(P, P + S).unsqueeze(0).expand(B, S).contiguous()
    past = [torch.randn(B, g.n_kv, P, g.head_dim) for _ in range(2 * g.n_layer)]
    kv_in, kv_out = gx._kv_names(g.n_layer)
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in kv_in:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in kv_out:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    gx._export(LMWithPast(lm), [ids, mask, pos] + past, path, ["input_ids", "attention_mask", "position_ids"] + kv_in,
               ["logits"] + kv_out, dyn)
