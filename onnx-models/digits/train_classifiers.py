"""Train and export the three digit classifiers:
  classifier/              reward classifier, SiLU MLP on clean images            image -> logits
  noisy-classifier/        noise-aware classifier on (x_t, t)                     sample, timestep -> logits
  independent-classifier/  a CNN trained separately with another seed (anti reward-hacking check)  image -> logits

usage: python train_classifiers.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

import common as C


def accuracy(logits, y):
    return float((logits.argmax(1) == y).float().mean())


def shift_aug(x, g):
    """Random shift by -1..1 pixel in each direction; vacated pixels are background (-1)."""
    b = x.shape[0]
    img = x.reshape(b, 8, 8)
    pad = F.pad(img, (1, 1, 1, 1), value=-1.0)
    dx = torch.randint(0, 3, (b,), generator=g)
    dy = torch.randint(0, 3, (b,), generator=g)
    rows = (dy.view(b, 1) + torch.arange(8).view(1, 8))  # [b,8]
    cols = (dx.view(b, 1) + torch.arange(8).view(1, 8))
    out = pad[torch.arange(b).view(b, 1, 1), rows.view(b, 8, 1), cols.view(b, 1, 8)]
    return out.reshape(b, 64)


def train_clean(model, xtr, ytr, seed, steps, lr, wd, noise_std, shift_p, batch=128):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    x = torch.from_numpy(xtr)
    y = torch.from_numpy(ytr)
    model.train()
    for step in range(steps):
        idx = torch.randint(0, x.shape[0], (batch,), generator=g)
        xb, yb = x[idx], y[idx]
        if shift_p > 0:
            sh = shift_aug(xb, g)
            m = (torch.rand(batch, 1, generator=g) < shift_p).float()
            xb = m * sh + (1 - m) * xb
        if noise_std > 0:
            xb = xb + noise_std * torch.rand(batch, 1, generator=g) * torch.randn(xb.shape, generator=g)
        loss = F.cross_entropy(model(xb), yb, label_smoothing=0.05)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    return model


def parity(sess, feeds, ref, out_name):
    o = sess.run([out_name], feeds)[0]
    return float(np.abs(o - ref).max())


def main():
    C.setup(10)
    xtr, ytr, xte, yte = C.load_digits_split()
    xte_t, yte_t = torch.from_numpy(xte), torch.from_numpy(yte)
    gt = torch.Generator().manual_seed(99)
    dyn = {"image": {0: "batch"}, "logits": {0: "batch"}}

    # ---------------- reward classifier (MLP) ----------------
    torch.manual_seed(10)
    clf = C.MLPClassifier(hidden=256)
    with C.Timer() as tm:
        train_clean(clf, xtr, ytr, seed=10, steps=4000, lr=2e-3, wd=1e-2, noise_std=0.3, shift_p=0.3)
    with torch.no_grad():
        acc = accuracy(clf(xte_t), yte_t)
        acc_tr = accuracy(clf(torch.from_numpy(xtr)), torch.from_numpy(ytr))
    print(f"classifier: test acc {acc:.4f} train acc {acc_tr:.4f} ({tm.seconds}s)")
    torch.save(clf.state_dict(), os.path.join(C.WORK, "classifier.pt"))
    path = os.path.join(C.HERE, "classifier", "model.onnx")
    C.export_onnx(clf, (torch.randn(3, 64),), path, ["image"], ["logits"], dyn)
    bx = torch.randn(5, 64, generator=gt).clamp(-1, 1)
    with torch.no_grad():
        par = parity(C.ort_session(path), {"image": bx.numpy()}, clf(bx).numpy(), "logits")
    C.update_metrics("classifier", {
        "architecture": "MLP 64-256-256-10, SiLU", "params": C.count_params(clf), "seed": 10,
        "train": "AdamW lr 2e-3 wd 1e-2, cosine, 4000 steps x batch 128, label smoothing 0.05, "
                 "aug: +-1px shift (p=0.3), gaussian noise std U(0,0.3)",
        "train_seconds": tm.seconds, "test_accuracy": round(acc, 4), "train_accuracy": round(acc_tr, 4),
        "test_size": int(len(yte)), "onnx_parity_max_abs": par})

    # ---------------- independent classifier (CNN, other seed) ----------------
    torch.manual_seed(20)
    ind = C.CNNClassifier()
    with C.Timer() as tm:
        train_clean(ind, xtr, ytr, seed=20, steps=1500, lr=1e-3, wd=1e-4, noise_std=0.2, shift_p=0.5)
    with torch.no_grad():
        acc_i = accuracy(ind(xte_t), yte_t)
        agree = float((ind(xte_t).argmax(1) == clf(xte_t).argmax(1)).float().mean())
    print(f"independent: test acc {acc_i:.4f}, agreement with classifier {agree:.4f} ({tm.seconds}s)")
    torch.save(ind.state_dict(), os.path.join(C.WORK, "independent.pt"))
    path = os.path.join(C.HERE, "independent-classifier", "model.onnx")
    C.export_onnx(ind, (torch.randn(3, 64),), path, ["image"], ["logits"], dyn)
    with torch.no_grad():
        par = parity(C.ort_session(path), {"image": bx.numpy()}, ind(bx).numpy(), "logits")
    C.update_metrics("independent_classifier", {
        "architecture": "CNN conv3x3(32)-conv3x3(64)-maxpool2-conv3x3(64)-fc128-fc10, ReLU, dropout 0.3",
        "params": C.count_params(ind), "seed": 20,
        "train": "AdamW lr 1e-3 wd 1e-4, cosine, 1500 steps x batch 128, label smoothing 0.05, "
                 "aug: +-1px shift (p=0.5), gaussian noise std U(0,0.2)",
        "train_seconds": tm.seconds, "test_accuracy": round(acc_i, 4),
        "test_agreement_with_classifier": round(agree, 4), "onnx_parity_max_abs": par})

    # ---------------- noise-aware classifier ----------------
    torch.manual_seed(30)
    _, _, abar = C.schedule()
    abar_f = abar.float()
    nc = C.TimeMLP(hidden=128, blocks=2, temb=64, out_dim=C.NUM_CLASSES)
    g = torch.Generator().manual_seed(30)
    steps, batch = 6000, 256
    opt = torch.optim.AdamW(nc.parameters(), lr=1e-3, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    x, y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    with C.Timer() as tm:
        for step in range(steps):
            idx = torch.randint(0, x.shape[0], (batch,), generator=g)
            x0, yb = x[idx], y[idx]
            sh = shift_aug(x0, g)
            m = (torch.rand(batch, 1, generator=g) < 0.3).float()
            x0 = m * sh + (1 - m) * x0
            t = torch.randint(0, C.T, (batch,), generator=g)
            xt = C.q_sample(x0, t, torch.randn(x0.shape, generator=g), abar_f)
            loss = F.cross_entropy(nc(xt, t), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    nc.eval()
    acc_t = {}
    gen = torch.Generator().manual_seed(31)
    with torch.no_grad():
        for tv in [0, 100, 250, 400, 500, 600, 750, 900, 999]:
            accs = []
            for _ in range(5):
                t = torch.full((len(yte),), tv, dtype=torch.int64)
                xt = C.q_sample(xte_t, t, torch.randn(xte_t.shape, generator=gen), abar_f)
                accs.append(accuracy(nc(xt, t), yte_t))
            acc_t[str(tv)] = round(float(np.mean(accs)), 4)
    print(f"noisy classifier: test acc by t {acc_t} ({tm.seconds}s)")
    torch.save(nc.state_dict(), os.path.join(C.WORK, "noisy_classifier.pt"))
    path = os.path.join(C.HERE, "noisy-classifier", "model.onnx")
    C.export_onnx(nc, (torch.randn(4, 64), torch.tensor([0, 10, 500, 999])), path, ["sample", "timestep"], ["logits"],
                  {"sample": {0: "batch"}, "timestep": {0: "batch"}, "logits": {0: "batch"}})
    bt = torch.randint(0, C.T, (5,), generator=gt)
    with torch.no_grad():
        par = parity(C.ort_session(path), {"sample": bx.numpy(), "timestep": bt.numpy()}, nc(bx, bt).numpy(), "logits")
    C.update_metrics("noisy_classifier", {
        "architecture": "TimeMLP hidden=128 blocks=2 temb=64 -> 10 logits", "params": C.count_params(nc),
        "seed": 30,
        "train": f"AdamW lr 1e-3 wd 1e-2, cosine, {steps} steps x batch {batch}; x_t = q(x_t|x0) with t ~ U{{0..999}}, "
                 "+-1px shift aug (p=0.3)",
        "train_seconds": tm.seconds, "test_accuracy_by_t_mean_of_5_noise_draws": acc_t, "onnx_parity_max_abs": par})


if __name__ == "__main__":
    main()
