"""Export the differentiable reward  (noise [B,64], target_class [B]) ->
    reward [B]   = log p(target_class | classifier(generator(noise)))
    grad   [B,64] = d reward / d noise
    sample [B,64] = generator(noise)          (extra output, saves the caller a generator call)
    logits [B,10] = classifier(generator(noise))  (extra output)
The backward pass is written out by hand in forward() (ONNX has no autograd), then checked against torch
autograd and against central finite differences run through ONNX Runtime.

usage: python export_reward_grad.py
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import common as C


def dsilu(a):
    s = torch.sigmoid(a)
    return s * (1 + a * (1 - s))


class RewardGrad(nn.Module):
    def __init__(self, gen: C.Generator, clf: C.MLPClassifier):
        super().__init__()
        self.gen = gen
        self.clf = clf

    def forward(self, noise, target_class):
        g, c = self.gen, self.clf
        # ---- forward, keeping pre-activations
        a0 = F.linear(noise, g.inp.weight, g.inp.bias)
        h = F.silu(a0)
        pre = []
        for l in g.hid:
            a = F.linear(h, l.weight, l.bias)
            pre.append(a)
            h = h + F.silu(a)
        x = torch.tanh(F.linear(h, g.out.weight, g.out.bias))
        c1 = F.linear(x, c.l1.weight, c.l1.bias)
        c2 = F.linear(F.silu(c1), c.l2.weight, c.l2.bias)
        logits = F.linear(F.silu(c2), c.l3.weight, c.l3.bias)
        logp = torch.log_softmax(logits, dim=1)
        onehot = (torch.arange(C.NUM_CLASSES, dtype=torch.int64).unsqueeze(0) == target_class.unsqueeze(1)).to(logits.dtype)
        reward = (logp * onehot).sum(dim=1)
        # ---- backward (row-vector convention: d/d input of y = x W^T is g W)
        gl = onehot - torch.exp(logp)                   # d log p_k / d logits
        gc2 = torch.matmul(gl, c.l3.weight) * dsilu(c2)
        gc1 = torch.matmul(gc2, c.l2.weight) * dsilu(c1)
        gx = torch.matmul(gc1, c.l1.weight)
        go = gx * (1 - x * x)                           # tanh'
        gh = torch.matmul(go, g.out.weight)
        for l, a in zip(reversed(list(g.hid)), reversed(pre)):
            gh = gh + torch.matmul(gh * dsilu(a), l.weight)
        grad = torch.matmul(gh * dsilu(a0), g.inp.weight)
        return reward, grad, x, logits


def reference(gen, clf, z, y):
    """torch autograd of the same quantity."""
    z = z.clone().requires_grad_(True)
    r = torch.log_softmax(clf(gen(z)), 1).gather(1, y.unsqueeze(1)).squeeze(1)
    (gz,) = torch.autograd.grad(r.sum(), z)
    return r.detach(), gz


def rel_errors(g, ref):
    """(max over samples of ||g - ref|| / ||ref||, max elementwise |g - ref| / max(|ref|, 1e-3 * max|ref| of that row))."""
    g, ref = np.asarray(g, np.float64), np.asarray(ref, np.float64)
    norm = np.linalg.norm(g - ref, axis=1) / np.maximum(np.linalg.norm(ref, axis=1), 1e-30)
    floor = 1e-3 * np.abs(ref).max(axis=1, keepdims=True)
    elem = np.abs(g - ref) / np.maximum(np.abs(ref), floor)
    return float(norm.max()), float(elem.max())


def central_fd(sess, z, y, h):
    """Central finite differences of the ONNX 'reward' output w.r.t. every coordinate of every noise row."""
    B, D = z.shape
    dt = z.dtype
    eye = np.eye(D, dtype=dt) * h
    zp = (z[:, None, :] + eye[None]).reshape(B * D, D)
    zm = (z[:, None, :] - eye[None]).reshape(B * D, D)
    yy = np.repeat(y, D)
    rp = sess.run(["reward"], {"noise": zp, "target_class": yy})[0].astype(np.float64)
    rm = sess.run(["reward"], {"noise": zm, "target_class": yy})[0].astype(np.float64)
    return ((rp - rm) / (2 * h)).reshape(B, D)


def main():
    C.setup(50)
    gen = C.Generator()
    gen.load_state_dict(torch.load(os.path.join(C.WORK, "generator.pt")))
    clf = C.MLPClassifier()
    clf.load_state_dict(torch.load(os.path.join(C.WORK, "classifier.pt")))
    gen.eval()
    clf.eval()
    rg = RewardGrad(gen, clf).eval()

    path = os.path.join(C.HERE, "reward-grad", "model.onnx")
    ex = (torch.randn(3, C.DIM), torch.tensor([0, 4, 9]))
    names_out = ["reward", "grad", "sample", "logits"]
    dyn = {k: {0: "batch"} for k in ["noise", "target_class"] + names_out}
    C.export_onnx(rg, ex, path, ["noise", "target_class"], names_out, dyn)
    # a float64 copy (not committed) to show the hand-written backward is exact up to float64 round-off
    path64 = os.path.join(C.WORK, "reward_grad_f64.onnx")
    rg64 = RewardGrad(C.Generator(), C.MLPClassifier())
    rg64.load_state_dict(rg.state_dict())
    rg64 = rg64.double().eval()
    C.export_onnx(rg64, (ex[0].double(), ex[1]), path64, ["noise", "target_class"], names_out, dyn)

    g = torch.Generator().manual_seed(51)
    B = 16
    z = torch.randn(B, C.DIM, generator=g)
    y = torch.arange(B) % C.NUM_CLASSES
    sess = C.ort_session(path)
    r_onnx, g_onnx, x_onnx, l_onnx = sess.run(names_out, {"noise": z.numpy(), "target_class": y.numpy()})

    # 1) vs torch autograd, float32 and float64
    r_ref, g_ref = reference(gen, clf, z, y)
    gen64 = C.Generator(); gen64.load_state_dict(gen.state_dict()); gen64 = gen64.double().eval()
    clf64 = C.MLPClassifier(); clf64.load_state_dict(clf.state_dict()); clf64 = clf64.double().eval()
    r_ref64, g_ref64 = reference(gen64, clf64, z.double(), y)
    with torch.no_grad():
        x_ref = gen(z).numpy()
    auto32 = rel_errors(g_onnx, g_ref.numpy())
    auto64 = rel_errors(g_onnx, g_ref64.numpy())
    reward_abs = float(np.abs(r_onnx - r_ref64.numpy()).max())
    sample_abs = float(np.abs(x_onnx - x_ref).max())
    sess64 = C.ort_session(path64)
    r64, g64 = sess64.run(["reward", "grad"], {"noise": z.double().numpy(), "target_class": y.numpy()})
    auto64_f64graph = rel_errors(g64, g_ref64.numpy())

    # 2) central finite differences through ONNX Runtime
    fd32 = {}
    for h in [1e-2, 3e-3, 1e-3]:
        fd32[str(h)] = rel_errors(g_onnx, central_fd(sess, z.numpy(), y.numpy(), h))
    fd64 = rel_errors(g64, central_fd(sess64, z.double().numpy(), y.numpy(), 1e-5))

    # 3) directional derivative along random unit directions (float32 graph)
    v = torch.randn(B, C.DIM, generator=g)
    v = (v / v.norm(dim=1, keepdim=True)).numpy()
    hh = 1e-2
    rp = sess.run(["reward"], {"noise": z.numpy() + hh * v, "target_class": y.numpy()})[0].astype(np.float64)
    rm = sess.run(["reward"], {"noise": z.numpy() - hh * v, "target_class": y.numpy()})[0].astype(np.float64)
    dd_fd = (rp - rm) / (2 * hh)
    dd_an = (g_onnx.astype(np.float64) * v).sum(1)
    dir_rel = float(np.max(np.abs(dd_fd - dd_an) / np.maximum(np.abs(dd_an), 1e-3 * np.abs(g_onnx).max())))

    res = {
        "reward_vs_torch_max_abs": reward_abs,
        "sample_vs_generator_max_abs": sample_abs,
        "grad_vs_autograd_f32": {"max_rel_norm": auto32[0], "max_rel_elementwise": auto32[1]},
        "grad_vs_autograd_f64_reference": {"max_rel_norm": auto64[0], "max_rel_elementwise": auto64[1]},
        "f64_graph_grad_vs_autograd_f64": {"max_rel_norm": auto64_f64graph[0], "max_rel_elementwise": auto64_f64graph[1]},
        "grad_vs_central_fd_onnx_f32_by_h": {h: {"max_rel_norm": e[0], "max_rel_elementwise": e[1]} for h, e in fd32.items()},
        "grad_vs_central_fd_onnx_f64graph_h1e-5": {"max_rel_norm": fd64[0], "max_rel_elementwise": fd64[1]},
        "directional_derivative_fd_f32_h1e-2_max_rel": dir_rel,
        "check_batch": B,
        "rel_error_definition": "rel_norm = ||g - ref|| / ||ref|| per sample; elementwise = |g_i - ref_i| / "
                                "max(|ref_i|, 1e-3 * max_j |ref_j|) per sample; max over the batch",
    }
    for k, v_ in res.items():
        print(k, v_)
    C.update_metrics("reward_grad", res)


if __name__ == "__main__":
    main()
