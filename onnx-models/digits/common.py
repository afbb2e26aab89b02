"""Shared pieces of the digits model zoo: data, noise schedule, model definitions, helpers.

Conventions used by every model in this folder:
  * an image is a flat float32 vector of 64 pixels (8x8, row-major), value range [-1, 1]
    (scikit-learn's 0..16 grey levels mapped by x / 8 - 1);
  * a diffusion timestep is an int64 index t in [0, T-1], T = 1000, diffusers' convention:
    x_t = sqrt(abar_t) * x0 + sqrt(1 - abar_t) * eps, abar_t = prod_{s<=t} (1 - beta_s),
    t = 0 is the least noisy level, t = 999 the noisiest.
"""
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(os.path.dirname(HERE), "work", "digits")
METRICS = os.path.join(HERE, "metrics.json")

T = 1000
BETA_START = 1e-4
BETA_END = 0.02
NUM_CLASSES = 10
DIM = 64
SPLIT_SEED = 0
TEST_FRACTION = 0.2


def setup(seed):
    """Single-threaded, seeded, deterministic torch."""
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    os.makedirs(WORK, exist_ok=True)


def load_digits_split():
    """(x_train, y_train, x_test, y_test): float32 [N,64] in [-1,1], int64 labels. Stratified 80/20 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.data.astype(np.float32) / 8.0 - 1.0).astype(np.float32)
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=y)
    return xtr, ytr, xte, yte


def schedule():
    """betas, alphas, alphas_cumprod as float64 torch tensors (diffusers 'linear' schedule)."""
    betas = torch.linspace(BETA_START, BETA_END, T, dtype=torch.float64)
    alphas = 1.0 - betas
    abar = torch.cumprod(alphas, 0)
    return betas, alphas, abar


def scheduler_config():
    """diffusers DDPMScheduler config matching the training schedule and the reference samplers below."""
    return {
        "_class_name": "DDPMScheduler",
        "_diffusers_version": "0.35.2",
        "num_train_timesteps": T,
        "beta_start": BETA_START,
        "beta_end": BETA_END,
        "beta_schedule": "linear",
        "trained_betas": None,
        "variance_type": "fixed_small",
        "clip_sample": True,
        "clip_sample_range": 1.0,
        "prediction_type": "epsilon",
        "thresholding": False,
        "dynamic_thresholding_ratio": 0.995,
        "sample_max_value": 1.0,
        "timestep_spacing": "leading",
        "steps_offset": 0,
        "rescale_betas_zero_snr": False,
    }


def q_sample(x0, t, eps, abar):
    a = abar[t].to(x0.dtype).unsqueeze(1)
    return a.sqrt() * x0 + (1 - a).sqrt() * eps


# ----------------------------------------------------------------------------------------------------------
# models


def timestep_embedding(t, dim):
    """Sinusoidal embedding of an integer (or float) timestep tensor [B] -> [B, dim]."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000.0) / half))
    args = t.to(torch.float32).unsqueeze(1) * freqs.unsqueeze(0)
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class TimeMLP(nn.Module):
    """Residual MLP on a flat 64-pixel image, conditioned on a timestep embedding.

    Used for the epsilon-prediction denoiser (out_dim = 64) and for the noise-aware classifier (out_dim = 10).
    Each block: h <- h + W2 silu(W1 silu(LN(h)) + emb_proj(temb)).
    """

    def __init__(self, hidden=256, blocks=3, temb=128, out_dim=DIM):
        super().__init__()
        self.temb = temb
        self.t_mlp = nn.Sequential(nn.Linear(temb, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.inp = nn.Linear(DIM, hidden)
        self.norms = nn.ModuleList([nn.LayerNorm(hidden) for _ in range(blocks)])
        self.l1 = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(blocks)])
        self.tp = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(blocks)])
        self.l2 = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(blocks)])
        self.out_norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, out_dim)

    def forward(self, x, t):
        e = self.t_mlp(timestep_embedding(t, self.temb))
        h = self.inp(x)
        for n, l1, tp, l2 in zip(self.norms, self.l1, self.tp, self.l2):
            u = l1(F.silu(n(h))) + tp(F.silu(e))
            h = h + l2(F.silu(u))
        return self.out(F.silu(self.out_norm(h)))


class MLPClassifier(nn.Module):
    """Plain SiLU MLP 64 -> hidden -> hidden -> 10 (no normalisation, so its backward pass is easy to write by
    hand inside the reward-grad graph)."""

    def __init__(self, hidden=256):
        super().__init__()
        self.l1 = nn.Linear(DIM, hidden)
        self.l2 = nn.Linear(hidden, hidden)
        self.l3 = nn.Linear(hidden, NUM_CLASSES)

    def forward(self, x):
        return self.l3(F.silu(self.l2(F.silu(self.l1(x)))))


class CNNClassifier(nn.Module):
    """Small convolutional net on the 8x8 grid: an architecture unlike the MLP reward classifier."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.c3 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 4 * 4, 128)
        self.fc2 = nn.Linear(128, NUM_CLASSES)
        self.drop = nn.Dropout(0.3)

    def forward(self, x):
        h = x.reshape(-1, 1, 8, 8)
        h = F.relu(self.c1(h))
        h = F.max_pool2d(F.relu(self.c2(h)), 2)  # 4x4
        h = F.relu(self.c3(h))
        h = self.drop(F.relu(self.fc1(h.flatten(1))))
        return self.fc2(h)


class Generator(nn.Module):
    """One-step generator: z [B,64] ~ N(0, I) -> image [B,64] in (-1, 1).

    h1 = silu(W0 z), h_{k+1} = h_k + silu(W_k h_k) (residual), out = tanh(W_out h_L).
    No normalisation layers so that the hand-written backward pass in reward-grad stays simple.
    """

    def __init__(self, hidden=256, blocks=4):
        super().__init__()
        self.inp = nn.Linear(DIM, hidden)
        self.hid = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(blocks)])
        self.out = nn.Linear(hidden, DIM)

    def forward(self, z):
        h = F.silu(self.inp(z))
        for l in self.hid:
            h = h + F.silu(l(h))
        return torch.tanh(self.out(h))


def count_params(m):
    return int(sum(p.numel() for p in m.parameters()))


class EMA:
    def __init__(self, model, decay):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model):
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(self.decay).add_(v.detach(), alpha=1 - self.decay)
            else:
                self.shadow[k].copy_(v)


# ----------------------------------------------------------------------------------------------------------
# reference samplers (these mirror diffusers' DDPMScheduler.step and DDIMScheduler.step for this config)


@torch.no_grad()
def ddpm_sample(model, n, gen, clip=True):
    """Ancestral DDPM sampling over all T steps, variance 'fixed_small', x0 clipped to [-1,1].

    Equals diffusers DDPMScheduler.from_config(scheduler_config()).step(..., generator=gen) with the same noise
    stream (checked by verify_diffusers.py).
    """
    betas, alphas, abar = schedule()
    x = torch.randn(n, DIM, generator=gen)
    for t in range(T - 1, -1, -1):
        tt = torch.full((n,), t, dtype=torch.int64)
        eps = model(x, tt).double()
        xd = x.double()
        ab_t = abar[t]
        ab_prev = abar[t - 1] if t > 0 else torch.tensor(1.0, dtype=torch.float64)
        beta_t = 1 - ab_t / ab_prev
        x0 = (xd - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()
        if clip:
            x0 = x0.clamp(-1, 1)
        c0 = ab_prev.sqrt() * beta_t / (1 - ab_t)
        ct = (1 - beta_t).sqrt() * (1 - ab_prev) / (1 - ab_t)
        mean = c0 * x0 + ct * xd
        if t > 0:
            var = ((1 - ab_prev) / (1 - ab_t) * beta_t).clamp(min=1e-20)
            mean = mean + var.sqrt() * torch.randn(n, DIM, generator=gen).double()
        x = mean.float()
    return x


def ddim_timesteps(steps):
    """diffusers 'leading' spacing with steps_offset 0: e.g. 50 steps -> 980, 960, ..., 0."""
    ratio = T // steps
    return list(range(0, steps * ratio, ratio))[::-1]


@torch.no_grad()
def ddim_sample(model, z, steps=50, clip=True):
    """Deterministic DDIM (eta = 0) from x_T = z, set_alpha_to_one=True, x0 clipped, eps re-derived after clip.

    Equals diffusers DDIMScheduler(set_alpha_to_one=True, **scheduler_config()).step(..., eta=0,
    use_clipped_model_output=True) (checked by verify_diffusers.py).
    """
    _, _, abar = schedule()
    ts = ddim_timesteps(steps)
    ratio = T // steps
    x = z.double()
    for t in ts:
        n = x.shape[0]
        eps = model(x.float(), torch.full((n,), t, dtype=torch.int64)).double()
        ab_t = abar[t]
        prev = t - ratio
        ab_prev = abar[prev] if prev >= 0 else torch.tensor(1.0, dtype=torch.float64)
        x0 = (x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()
        if clip:
            x0 = x0.clamp(-1, 1)
            eps = (x - ab_t.sqrt() * x0) / (1 - ab_t).sqrt()
        x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
    return x.float()


# ----------------------------------------------------------------------------------------------------------
# helpers


def save_grid(images, path, nrow=10, scale=6, pad=2):
    """images: array [N,64] in [-1,1] -> PNG grid, white digits on black (like the sklearn data), upscaled."""
    from PIL import Image
    imgs = np.asarray(images, dtype=np.float32).reshape(-1, 8, 8)
    n = imgs.shape[0]
    ncol = nrow
    nr = (n + ncol - 1) // ncol
    cell = 8 * scale + pad
    canvas = np.full((nr * cell + pad, ncol * cell + pad), 80, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, ncol)
        g = np.clip((imgs[i] + 1) / 2, 0, 1) * 255
        g = np.kron(g, np.ones((scale, scale)))
        canvas[pad + r * cell: pad + r * cell + 8 * scale, pad + c * cell: pad + c * cell + 8 * scale] = g.astype(np.uint8)
    Image.fromarray(canvas, mode="L").save(path, optimize=True)


def update_metrics(key, value):
    m = {}
    if os.path.exists(METRICS):
        with open(METRICS) as f:
            m = json.load(f)
    m[key] = value
    with open(METRICS, "w") as f:
        json.dump(m, f, indent=2, sort_keys=True)
        f.write("\n")


def export_onnx(module, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    module.eval()
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=17, do_constant_folding=True, dynamo=False)
    import onnx
    onnx.checker.check_model(onnx.load(path))


def ort_session(path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *a):
        self.seconds = round(time.perf_counter() - self.t0, 2)
