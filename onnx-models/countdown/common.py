"""Shared helpers for the countdown models: tokenizer, batches, sampling with the policy, checking."""
from __future__ import annotations

import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(ROOT, "work", "countdown")
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

import task  # noqa: E402
from zoo import chartok  # noqa: E402

EOS_ID = 0
PAD_ID = 0
MAX_NEW_TOKENS = 72

_TOK = chartok.build_tokenizer()
chartok.self_check(_TOK)


def tokenizer():
    return _TOK


def encode(text):
    return _TOK.encode(text, add_special_tokens=False).ids


def decode(ids):
    return _TOK.decode(list(ids), skip_special_tokens=False)


def strip_eos(ids):
    """Generated ids -> (solution ids without EOS, ended_with_eos)."""
    ids = list(ids)
    if EOS_ID in ids:
        return ids[:ids.index(EOS_ID)], True
    return ids, False


def lm_batch(examples):
    """examples: list of (prompt_ids, solution_ids incl. EOS). Right padded; labels -100 on prompt and pad."""
    L = max(len(p) + len(s) for p, s in examples)
    ids = torch.full((len(examples), L), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(examples), L), dtype=torch.long)
    labels = torch.full((len(examples), L), -100, dtype=torch.long)
    for i, (p, s) in enumerate(examples):
        seq = p + s
        ids[i, :len(seq)] = torch.tensor(seq)
        mask[i, :len(seq)] = 1
        labels[i, len(p):len(seq)] = torch.tensor(s)
    return ids, mask, labels


@torch.no_grad()
def sample(model, prompts, n_per_prompt=1, greedy=False, temperature=1.0, max_new_tokens=MAX_NEW_TOKENS,
           generator=None, prefixes=None):
    """Batched sampling with KV cache (transformers model, left padding, position_ids = cumsum(mask)-1).
    prompts: list of token-id lists (each may already include a solution prefix).
    Returns, for each prompt, n_per_prompt lists of generated ids (EOS included when produced)."""
    from transformers.cache_utils import DynamicCache
    rows = [p for p in prompts for _ in range(n_per_prompt)]
    B = len(rows)
    L = max(len(r) for r in rows)
    ids = torch.full((B, L), PAD_ID, dtype=torch.long)
    mask = torch.zeros((B, L), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, L - len(r):] = torch.tensor(r)
        mask[i, L - len(r):] = 1
    pos = (mask.cumsum(1) - 1).clamp(min=0)
    cache = DynamicCache()
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, past_key_values=cache, use_cache=True)
    logits = out.logits[:, -1, :]
    cache = out.past_key_values
    last_pos = pos[:, -1:]
    n_pos = getattr(model.config, "n_positions", None) or model.config.max_position_embeddings
    max_new_tokens = min(max_new_tokens, n_pos - int(pos.max()) - 1)  # stay within wpe
    gen = [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool)
    for _ in range(max_new_tokens):
        if greedy:
            nxt = logits.argmax(-1)
        else:
            probs = torch.softmax(logits.float() / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        nxt = torch.where(done, torch.full_like(nxt, PAD_ID), nxt)
        for i in torch.nonzero(~done).flatten().tolist():
            gen[i].append(int(nxt[i]))
        done = done | (nxt == EOS_ID)
        if bool(done.all()):
            break
        mask = torch.cat([mask, torch.ones((B, 1), dtype=torch.long)], 1)
        last_pos = last_pos + 1
        out = model(input_ids=nxt[:, None], attention_mask=mask, position_ids=last_pos, past_key_values=cache,
                    use_cache=True)
        logits = out.logits[:, -1, :]
        cache = out.past_key_values
    return [gen[i * n_per_prompt:(i + 1) * n_per_prompt] for i in range(len(prompts))]


def verdict(numbers, target, gen_ids):
    sol, _ = strip_eos(gen_ids)
    return task.check(numbers, target, decode(sol))


def load_policy(path=None):
    from transformers import GPT2LMHeadModel
    path = path or os.path.join(WORK, "policy_hf")
    m = GPT2LMHeadModel.from_pretrained(path, attn_implementation="eager").eval()
    return m
