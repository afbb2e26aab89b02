"""Check that denoiser/scheduler_config.json, loaded into diffusers' DDPMScheduler / DDIMScheduler, reproduces the
reference samplers in common.py (which produced samples_ddpm.png and the generator's teacher), driving the
exported ONNX denoiser through ONNX Runtime.

usage: python verify_diffusers.py      (skips with a message when diffusers is not installed)
"""
import json
import os
import sys

import numpy as np
import torch

import common as C


def main():
    try:
        from diffusers import DDIMScheduler, DDPMScheduler
        import diffusers
    except ImportError:
        print("diffusers not installed: skipped")
        return
    C.setup(70)
    with open(os.path.join(C.HERE, "denoiser", "scheduler_config.json")) as f:
        cfg = json.load(f)
    sess = C.ort_session(os.path.join(C.HERE, "denoiser", "model.onnx"))

    def onnx_model(x, t):
        return torch.from_numpy(sess.run(["noise_pred"], {"sample": x.float().numpy(), "timestep": t.numpy()})[0])

    n = 8
    # DDPM ancestral, 1000 steps: same noise stream as common.ddpm_sample
    ddpm = DDPMScheduler.from_config(cfg)
    ddpm.set_timesteps(C.T)
    assert list(ddpm.timesteps.tolist()) == list(range(C.T - 1, -1, -1))
    g = torch.Generator().manual_seed(5)
    x = torch.randn(n, C.DIM, generator=g)
    for t in ddpm.timesteps:
        eps = onnx_model(x, torch.full((n,), int(t), dtype=torch.int64))
        x = ddpm.step(eps, t, x, generator=g).prev_sample
    ref = C.ddpm_sample(onnx_model, n, torch.Generator().manual_seed(5))
    ddpm_diff = float((x - ref).abs().max())

    # DDIM eta=0, 50 steps (the generator's teacher). common.ddim_sample re-derives eps from the clipped x0, which is
    # diffusers' DDIMScheduler.step(..., use_clipped_model_output=True) (the default False keeps the raw eps).
    ddim = DDIMScheduler.from_config({**cfg, "_class_name": "DDIMScheduler", "set_alpha_to_one": True})
    ddim.set_timesteps(50)
    assert ddim.timesteps.tolist() == C.ddim_timesteps(50), ddim.timesteps.tolist()[:5]
    z = torch.randn(n, C.DIM, generator=g)
    x = z.clone()
    for t in ddim.timesteps:
        eps = onnx_model(x, torch.full((n,), int(t), dtype=torch.int64))
        x = ddim.step(eps, t, x, eta=0.0, use_clipped_model_output=True).prev_sample
    ref = C.ddim_sample(onnx_model, z, steps=50)
    ddim_diff = float((x - ref).abs().max())

    # the DDIM golden file
    with open(os.path.join(C.HERE, "denoiser", "golden_ddim10.json")) as f:
        gold = json.load(f)
    ddim.set_timesteps(10)
    assert ddim.timesteps.tolist() == gold["timesteps"]
    x = torch.tensor(gold["x_T"]["data"], dtype=torch.float32).reshape(2, 64)
    gdiff = 0.0
    for t, st in zip(ddim.timesteps, gold["steps"]):
        eps = onnx_model(x, torch.full((2,), int(t), dtype=torch.int64))
        x = ddim.step(eps, t, x, eta=0.0, use_clipped_model_output=True).prev_sample
        gdiff = max(gdiff, float((x - torch.tensor(st["prev_sample"]).reshape(2, 64)).abs().max()))

    res = {"diffusers_version": diffusers.__version__,
           "ddpm_1000_steps_max_abs_diff_vs_common_ddpm_sample": ddpm_diff,
           "ddim_50_steps_max_abs_diff_vs_common_ddim_sample": ddim_diff,
           "ddim_10_steps_max_abs_diff_vs_golden_ddim10": gdiff}
    print(res)
    C.update_metrics("diffusers_scheduler_check", res)
    if max(ddpm_diff, ddim_diff, gdiff) > 1e-3:
        sys.exit("diffusers schedulers disagree with the reference samplers")


if __name__ == "__main__":
    main()
