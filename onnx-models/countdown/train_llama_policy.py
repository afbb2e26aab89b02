"""Trains a Llama-family countdown policy (issue 19): train_policy.py's recipe on a LlamaForCausalLM.

Same data stream (make_data.train_problems, seed 7), same arithmetic drills (train_policy.arithmetic_drill, seed 8),
same loss masks (solution tokens + EOS; drill result digits + newlines), batch 64 (16 drills), AdamW 2e-3 with
100 warm-up steps and a cosine decay, one CPU thread. Only the model differs: RoPE, grouped-query attention
(4 heads / 2 KV heads, head size 32), SwiGLU MLP (intermediate 344), RMSNorm, hidden 128, 4 layers, 128
positions, the same 30-token character vocabulary, untied input/output embeddings (as llama-tiny: the
onnxruntime-genai builder then reads lm_head as it is). About the GPT-2 policy's size.

Saves a transformers checkpoint (with tokenizer and generation config, as the builder wants) to
work/countdown/policy_llama_hf; export_llama_policy.py exports it.

    .venv-genai/bin/python countdown/train_llama_policy.py --steps N     (run from onnx-models/)
"""
import argparse
import math
import os
import random
import time

import torch

import common
import make_data
import task
from train_policy import SEED, arithmetic_drill, greedy_accuracy
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
from zoo import chartok

OUT = os.path.join(common.WORK, "policy_llama_hf")


def llama_policy_config():
    return LlamaConfig(vocab_size=len(common.tokenizer().get_vocab()), max_position_embeddings=128, hidden_size=128,
                       intermediate_size=344, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                       head_dim=32, rms_norm_eps=1e-5, tie_word_embeddings=False, attention_dropout=0.0,
                       bos_token_id=common.EOS_ID, eos_token_id=common.EOS_ID, pad_token_id=common.PAD_ID)


def save(model, out):
    model.save_pretrained(out)
    GenerationConfig(eos_token_id=common.EOS_ID, pad_token_id=common.PAD_ID,
                     bos_token_id=common.EOS_ID).save_pretrained(out)
    PreTrainedTokenizerFast(tokenizer_object=chartok.build_tokenizer(), eos_token=chartok.EOS,
                            pad_token=chartok.EOS, bos_token=chartok.EOS).save_pretrained(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3600)
    ap.add_argument("--aux", type=int, default=16, help="arithmetic drill sequences per batch")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    random.seed(SEED)
    os.makedirs(args.out, exist_ok=True)

    cfg = llama_policy_config()
    cfg._attn_implementation = "sdpa"
    model = LlamaForCausalLM(cfg)
    print(f"parameters: {sum(p.numel() for p in model.parameters())}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    warm = 100

    def lr_at(s):
        if s < warm:
            return args.lr * (s + 1) / warm
        return args.lr * 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, args.steps - warm)))

    stream = make_data.train_problems(SEED)
    aux_rng = random.Random(SEED + 1)
    val = make_data.load_split("validation")[:100]
    t0 = time.time()
    model.train()
    run = 0.0
    for step in range(args.steps):
        ex = []
        for _ in range(args.batch - args.aux):
            numbers, target, steps = next(stream)
            ex.append((common.encode(task.prompt_text(numbers, target)),
                       common.encode(task.solution_text(steps, target)) + [common.EOS_ID]))
        drills = [arithmetic_drill(aux_rng) for _ in range(args.aux)]
        ids, mask, labels = common.lm_batch(ex + [([], d) for d, _ in drills])
        for k, (d, lab) in enumerate(drills):
            row = len(ex) + k
            labels[row, :len(d)] = torch.where(torch.tensor(lab, dtype=torch.bool), torch.tensor(d), -100)
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run = loss.item() if step == 0 else 0.98 * run + 0.02 * loss.item()
        if step + 1 in (10, 20, 50) or (step + 1) % 100 == 0:
            print(f"step {step + 1} loss {run:.4f} time {time.time() - t0:.0f}s "
                  f"({(time.time() - t0) / (step + 1):.3f} s/step)", flush=True)
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            model.eval()
            acc = greedy_accuracy(model, val)
            model.train()
            print(f"step {step + 1} loss {run:.4f} val-greedy {acc:.3f} time {time.time() - t0:.0f}s", flush=True)
            save(model, args.out)  # a checkpoint at every evaluation: a stopped run still leaves a policy
    model.eval()
    save(model, args.out)
    print(f"saved {args.out}; {args.steps} steps; training time {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
