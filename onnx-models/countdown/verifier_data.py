"""Shared pieces of the v2 verifiers (train_orm_v2.py, train_prm_v2.py, sample_verifier_data.py): the policy's
trunk rebuilt from policy/model.onnx (no training checkpoint needed), step prefixes and their validity, near-miss
corruptions of correct solutions, and the per-line validity labels used as a dense auxiliary target."""
import json
import os
import random
import time

import numpy as np
import torch

import common
import task

V2_WORK = os.path.join(common.WORK, "v2")
POLICY_DIR = os.path.join(common.HERE, "policy")


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def policy_transformer():
    """GPT2Model with the committed policy's weights, read from the ONNX initializers (`g.t.X` or `t.X`)."""
    import onnx
    from onnx import numpy_helper
    from transformers import GPT2Config, GPT2Model
    cfg = GPT2Config.from_pretrained(POLICY_DIR)
    model = GPT2Model(cfg)
    init = {t.name: numpy_helper.to_array(t) for t in onnx.load(os.path.join(POLICY_DIR, "model.onnx")).graph.initializer}
    state = {}
    for key, param in model.named_parameters():
        cands = [n for n in init if n.endswith("t." + key) and tuple(init[n].shape) == tuple(param.shape)]
        if len(cands) != 1:
            raise KeyError(f"policy ONNX: expected one initializer for {key} {tuple(param.shape)}, found {cands}")
        state[key] = torch.from_numpy(init[cands[0]].copy())
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith((".attn.bias", ".attn.masked_bias"))]
    if missing or unexpected:
        raise ValueError(f"policy trunk: missing {missing}, unexpected {unexpected}")
    return cfg, model


def step_prefixes(text):
    """"" and the text up to each "\\n" that ends a step-shaped line (as sample_policy.py)."""
    out, acc = [""], ""
    for line in text.split("\n")[:-1]:
        if not task.STEP_RE.match(line):
            break
        acc += line + "\n"
        out.append(acc)
    return out


def prefix_valid(numbers, target, prefix):
    """True when no rule has failed yet: every continuation of an invalid prefix is rejected (value exactly 0)."""
    if prefix == "":
        return True
    return task.check(numbers, target, prefix)[1] == "missing_answer"


def line_validity(numbers, target, text):
    """(char offset of each "\\n" ending a line, still-valid flag after that line) for the dense auxiliary loss."""
    out = []
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append((i, prefix_valid(numbers, target, text[:i + 1])))
    return out


def _digit_flip(rng, n):
    s = str(n)
    i = rng.randrange(len(s))
    choices = [d for d in "0123456789" if d != s[i] and not (i == 0 and d == "0" and len(s) > 1)]
    return int(s[:i] + rng.choice(choices) + s[i + 1:])


def parse_steps(text):
    steps = []
    for line in text.split("\n"):
        m = task.STEP_RE.match(line)
        if m:
            steps.append((int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))))
    return steps


def corrupt(rng, numbers, target, text):
    """A near miss of a correct solution (one wrong digit or operator in an arithmetic line, later lines kept
    consistent with it), or None when the draw happened to stay correct."""
    steps = parse_steps(text)
    if not steps:
        return None
    k = rng.randrange(len(steps))
    a, op, b, c = steps[k]
    kind = rng.random()
    new = list(steps)
    if kind < 0.6:  # wrong result digit; later uses of c follow the wrong value
        c2 = _digit_flip(rng, c)
        new[k] = (a, op, b, c2)
        for j in range(k + 1, len(new)):
            x, o, y, z = new[j]
            if x == c:
                x = c2
            elif y == c:
                y = c2
            new[j] = (x, o, y, z)
        last = new[-1][3]
        answer = target if rng.random() < 0.7 else last  # the policy usually copies the target
    elif kind < 0.8:  # wrong operator, result kept
        new[k] = (a, rng.choice([o for o in task.OPS if o != op]), b, c)
        answer = target
    else:  # one wrong digit in the last step's result
        x, o, y, z = new[-1]
        new[-1] = (x, o, y, _digit_flip(rng, z))
        answer = new[-1][3] if rng.random() < 0.5 else target
    out = task.solution_text(new, answer)
    return None if task.check(numbers, target, out)[0] else out


def synthetic_correct(rng, numbers, target):
    """A valid solution in the policy's training format (A >= B), or None."""
    sol = task.random_valid_solution_for(rng, numbers, target)
    return None if sol is None else task.solution_text(sol, target)


def right_pad(seqs):
    L = max(len(s) for s in seqs)
    ids = np.full((len(seqs), L), common.PAD_ID, np.int64)
    mask = np.zeros((len(seqs), L), np.int64)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = s
        mask[i, :len(s)] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def train_step(model, opt, loss, step, run, t0):
    """One optimizer step (gradients clipped to norm 1); returns the running loss, printed at step 10 and every 50."""
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    run = loss.item() if step == 0 else 0.98 * run + 0.02 * loss.item()
    if step == 9 or (step + 1) % 50 == 0:
        print(f"step {step + 1} loss {run:.4f} ({time.time() - t0:.0f}s)", flush=True)
    return run


def set_seed(seed):
    torch.manual_seed(seed)
    return random.Random(seed)


def committed_model(src_dir, cls):
    """A committed reward model (orm/ or prm/) rebuilt as `cls` from its ONNX initializers: `g.t.X` is
    transformer.X, the one other [n_embd, num_labels] MatMul weight is the head transposed (as
    export_orm_cached.py), `classifier.bias` the token head's bias. For fine-tuning it instead of the policy."""
    import onnx
    from onnx import numpy_helper
    from transformers import GPT2Config
    cfg = GPT2Config.from_pretrained(src_dir)
    model = cls(cfg)
    init = {t.name: numpy_helper.to_array(t) for t in onnx.load(os.path.join(src_dir, "model.onnx")).graph.initializer}
    head = "score" if hasattr(model, "score") else "classifier"
    state = {}
    for key, param in model.named_parameters():
        if key == head + ".weight":
            cands = [n for n, a in init.items() if not n.startswith("g.t.") and a.shape == (cfg.n_embd, cfg.num_labels)]
            if len(cands) != 1:
                raise ValueError(f"{src_dir}: expected one [n_embd, num_labels] head initializer, found {cands}")
            state[key] = torch.from_numpy(init[cands[0]].T.copy())
        elif key == head + ".bias":
            state[key] = torch.from_numpy(init[head + ".bias"].copy())
        else:
            name = "g.t." + key[len("transformer."):]
            if name not in init or tuple(init[name].shape) != tuple(param.shape):
                raise KeyError(f"{src_dir}: no initializer {name} of shape {tuple(param.shape)} for {key}")
            state[key] = torch.from_numpy(init[name].copy())
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith((".attn.bias", ".attn.masked_bias"))]
    if missing or unexpected:
        raise ValueError(f"{src_dir}: missing {missing}, unexpected {unexpected}")
    return cfg, model
