"""Train the class-unconditional DDPM epsilon-prediction denoiser on the digits train split, export it to ONNX,
write the diffusers scheduler config and a grid of ancestral DDPM samples.

usage: python train_denoiser.py [--steps N]
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

import common as C


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    C.setup(args.seed)

    xtr, ytr, xte, yte = C.load_digits_split()
    x = torch.from_numpy(xtr)
    _, _, abar = C.schedule()
    abar_f = abar.float()

    model = C.TimeMLP(hidden=args.hidden, blocks=args.blocks, out_dim=C.DIM)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    warm = 200
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + np.cos(np.pi * min(s, args.steps) / args.steps)))
    ema = C.EMA(model, 0.999)
    g = torch.Generator().manual_seed(args.seed)

    losses = []
    with C.Timer() as tm:
        for step in range(args.steps):
            idx = torch.randint(0, x.shape[0], (args.batch,), generator=g)
            x0 = x[idx]
            t = torch.randint(0, C.T, (args.batch,), generator=g)
            eps = torch.randn(x0.shape, generator=g)
            xt = C.q_sample(x0, t, eps, abar_f)
            loss = F.mse_loss(model(xt, t), eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            ema.update(model)
            losses.append(loss.item())
            if (step + 1) % 1000 == 0:
                print(f"step {step + 1} loss(avg last 1000) {np.mean(losses[-1000:]):.4f}", flush=True)
    print(f"train time {tm.seconds}s")

    model.load_state_dict(ema.shadow)
    model.eval()
    torch.save(model.state_dict(), os.path.join(C.WORK, "denoiser.pt"))

    # held-out epsilon-MSE of the EMA model at a few noise levels (test images, fixed noise)
    gt = torch.Generator().manual_seed(123)
    xt_ = torch.from_numpy(xte)
    test_mse = {}
    with torch.no_grad():
        for tv in [10, 100, 250, 500, 750, 999]:
            t = torch.full((xt_.shape[0],), tv, dtype=torch.int64)
            eps = torch.randn(xt_.shape, generator=gt)
            test_mse[str(tv)] = round(F.mse_loss(model(C.q_sample(xt_, t, eps, abar_f), t), eps).item(), 4)
    print("test eps-MSE by t:", test_mse)

    # export
    out_dir = os.path.join(C.HERE, "denoiser")
    path = os.path.join(out_dir, "model.onnx")
    ex_x = torch.randn(4, C.DIM, generator=gt)
    ex_t = torch.tensor([0, 10, 500, 999], dtype=torch.int64)
    C.export_onnx(model, (ex_x, ex_t), path, ["sample", "timestep"], ["noise_pred"],
                  {"sample": {0: "batch"}, "timestep": {0: "batch"}, "noise_pred": {0: "batch"}})
    with open(os.path.join(out_dir, "scheduler_config.json"), "w") as f:
        json.dump(C.scheduler_config(), f, indent=2)
        f.write("\n")

    # ONNX Runtime vs torch parity, batch 7
    sess = C.ort_session(path)
    bx = torch.randn(7, C.DIM, generator=gt)
    bt = torch.randint(0, C.T, (7,), generator=gt)
    ort_out = sess.run(["noise_pred"], {"sample": bx.numpy(), "timestep": bt.numpy()})[0]
    with torch.no_grad():
        ref = model(bx, bt).numpy()
    parity = float(np.abs(ort_out - ref).max())
    print("onnx parity max abs diff", parity)

    # 100 ancestral DDPM samples (1000 steps) for the grid; 1000 more for the class histogram (evaluate.py)
    with C.Timer() as ts:
        samples = C.ddpm_sample(model, 100, torch.Generator().manual_seed(2024))
    C.save_grid(samples.numpy(), os.path.join(C.HERE, "samples_ddpm.png"))
    many = C.ddpm_sample(model, 1000, torch.Generator().manual_seed(7))
    np.save(os.path.join(C.WORK, "ddpm_samples.npy"), many.numpy())
    np.save(os.path.join(C.WORK, "ddpm_grid.npy"), samples.numpy())

    C.update_metrics("denoiser", {
        "architecture": f"TimeMLP hidden={args.hidden} blocks={args.blocks} temb=128",
        "params": C.count_params(model),
        "train_steps": args.steps, "batch": args.batch, "lr": args.lr, "ema": 0.999, "seed": args.seed,
        "train_seconds": tm.seconds,
        "final_train_loss_avg_last_1000": round(float(np.mean(losses[-1000:])), 4),
        "test_eps_mse_by_t": test_mse,
        "onnx_parity_max_abs": parity,
        "ddpm_100_samples_seconds": ts.seconds,
    })


if __name__ == "__main__":
    main()
