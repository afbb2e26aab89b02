"""Evaluate the exported models through ONNX Runtime (the way the Java engine will run them), draw the
generator grid, and write small golden files for the Java tests.

usage: python evaluate.py
"""
import json
import os

import numpy as np
import torch

import common as C


def softmax(l):
    e = np.exp(l - l.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def stats(sess_clf, sess_ind, x):
    pc = softmax(sess_clf.run(["logits"], {"image": x})[0])
    pi = softmax(sess_ind.run(["logits"], {"image": x})[0])
    yc, yi = pc.argmax(1), pi.argmax(1)
    return {
        "n": int(x.shape[0]),
        "classifier_mean_max_confidence": round(float(pc.max(1).mean()), 4),
        "independent_mean_max_confidence": round(float(pi.max(1).mean()), 4),
        "classifier_class_histogram": np.bincount(yc, minlength=10).tolist(),
        "independent_class_histogram": np.bincount(yi, minlength=10).tolist(),
        "classifier_independent_agreement": round(float((yc == yi).mean()), 4),
        "fraction_classifier_confidence_gt_0.9": round(float((pc.max(1) > 0.9).mean()), 4),
    }


def nn_dist(x, ref):
    """mean Euclidean distance of each row of x to its nearest row of ref."""
    d = ((x[:, None, :] - ref[None, :, :]) ** 2).sum(-1)
    return float(np.sqrt(d.min(1)).mean())


def golden(path, inputs, sess, outputs):
    res = sess.run(outputs, inputs)
    data = {"inputs": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "data": v.ravel().tolist()} for k, v in inputs.items()},
            "outputs": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "data": v.ravel().tolist()} for k, v in zip(outputs, res)}}
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")


def write_configs():
    """Small machine-readable descriptions next to each model.onnx (the model card has the full contract)."""
    image = {"pixels": 64, "layout": "8x8 row-major, flat", "range": [-1.0, 1.0], "background": -1.0,
             "from_sklearn_digits": "x / 8 - 1"}
    labels = {str(i): str(i) for i in range(10)}
    ts = {"dtype": "int64", "range": [0, C.T - 1], "convention": "diffusers: x_t = sqrt(abar_t) x0 + sqrt(1-abar_t) eps, "
                                                                  "abar_t = prod_{s<=t}(1-beta_s), linear betas 1e-4..0.02"}
    cfgs = {
        "denoiser": {"kind": "denoiser", "inputs": {"sample": "float32 [B,64]", "timestep": "int64 [B]"},
                     "outputs": {"noise_pred": "float32 [B,64]"}, "prediction_type": "epsilon", "image": image,
                     "timestep": ts, "scheduler": "scheduler_config.json"},
        "noisy-classifier": {"kind": "noise-aware classifier", "inputs": {"sample": "float32 [B,64]", "timestep": "int64 [B]"},
                             "outputs": {"logits": "float32 [B,10]"}, "id2label": labels, "image": image, "timestep": ts},
        "classifier": {"kind": "classifier", "inputs": {"image": "float32 [B,64]"}, "outputs": {"logits": "float32 [B,10]"},
                       "id2label": labels, "image": image},
        "independent-classifier": {"kind": "classifier", "inputs": {"image": "float32 [B,64]"},
                                   "outputs": {"logits": "float32 [B,10]"}, "id2label": labels, "image": image},
        "generator": {"kind": "one-step generator", "inputs": {"noise": "float32 [B,64], i.i.d. N(0,1)"},
                      "outputs": {"sample": "float32 [B,64]"}, "image": image},
        "reward-grad": {"kind": "differentiable reward",
                        "inputs": {"noise": "float32 [B,64], i.i.d. N(0,1)", "target_class": "int64 [B], 0..9"},
                        "outputs": {"reward": "float32 [B], log p(target | classifier(generator(noise)))",
                                    "grad": "float32 [B,64], d reward / d noise",
                                    "sample": "float32 [B,64], generator(noise)",
                                    "logits": "float32 [B,10], classifier(generator(noise))"},
                        "generator": "../generator", "classifier": "../classifier", "image": image},
    }
    for d, cfg in cfgs.items():
        with open(os.path.join(C.HERE, d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")


def main():
    C.setup(60)
    xtr, ytr, xte, yte = C.load_digits_split()
    s_clf = C.ort_session(os.path.join(C.HERE, "classifier", "model.onnx"))
    s_ind = C.ort_session(os.path.join(C.HERE, "independent-classifier", "model.onnx"))
    s_gen = C.ort_session(os.path.join(C.HERE, "generator", "model.onnx"))
    s_den = C.ort_session(os.path.join(C.HERE, "denoiser", "model.onnx"))
    s_noisy = C.ort_session(os.path.join(C.HERE, "noisy-classifier", "model.onnx"))
    s_rg = C.ort_session(os.path.join(C.HERE, "reward-grad", "model.onnx"))

    out = {}
    real = stats(s_clf, s_ind, xte)
    real["classifier_accuracy"] = round(float((s_clf.run(["logits"], {"image": xte})[0].argmax(1) == yte).mean()), 4)
    real["independent_accuracy"] = round(float((s_ind.run(["logits"], {"image": xte})[0].argmax(1) == yte).mean()), 4)
    real["nn_dist_to_train"] = round(nn_dist(xte, xtr), 4)
    out["real_test_images"] = real

    ddpm = np.load(os.path.join(C.WORK, "ddpm_samples.npy")).astype(np.float32)
    out["ddpm_samples_1000_steps"] = stats(s_clf, s_ind, ddpm)
    out["ddpm_samples_1000_steps"]["nn_dist_to_train"] = round(nn_dist(ddpm, xtr), 4)
    out["ddpm_samples_1000_steps"]["frac_exact_train_copies_(nn_dist<0.5)"] = round(
        float((np.sqrt(((ddpm[:, None] - xtr[None]) ** 2).sum(-1)).min(1) < 0.5).mean()), 4)

    teacher = np.load(os.path.join(C.WORK, "ddim_val_x0.npy")).astype(np.float32)
    out["ddim50_teacher_samples"] = stats(s_clf, s_ind, teacher)

    z = torch.randn(1000, C.DIM, generator=torch.Generator().manual_seed(61)).numpy()
    gx = s_gen.run(["sample"], {"noise": z})[0]
    out["generator_samples"] = stats(s_clf, s_ind, gx)
    out["generator_samples"]["nn_dist_to_train"] = round(nn_dist(gx, xtr), 4)
    out["generator_samples"]["value_range"] = [round(float(gx.min()), 4), round(float(gx.max()), 4)]
    C.save_grid(gx[:100], os.path.join(C.HERE, "samples_generator.png"))
    C.save_grid(xte[:100], os.path.join(C.WORK, "real_test.png"))
    C.save_grid(teacher[:100], os.path.join(C.WORK, "ddim_teacher.png"))

    # reward-grad sanity: reward equals log-softmax of the classifier on the generator output
    y = (np.arange(1000) % 10).astype(np.int64)
    r, _, smp, lg = s_rg.run(["reward", "grad", "sample", "logits"], {"noise": z, "target_class": y})
    lc = s_clf.run(["logits"], {"image": gx})[0]
    lsm = lc - lc.max(1, keepdims=True)
    lsm = lsm - np.log(np.exp(lsm).sum(1, keepdims=True))
    out["reward_grad_consistency"] = {
        "reward_vs_classifier_of_generator_max_abs": float(np.abs(r - lsm[np.arange(1000), y]).max()),
        "sample_vs_generator_max_abs": float(np.abs(smp - gx).max()),
        "mean_reward_random_target": round(float(r.mean()), 4),
    }
    # noise optimisation smoke test (what ReNO-style steering does): gradient ascent on
    # reward(z) - 0.5 * lambda * ||z||^2 through the reward-grad graph, then judged by the independent classifier.
    n = 100
    z0 = torch.randn(n, C.DIM, generator=torch.Generator().manual_seed(63)).numpy()
    tgt = (np.arange(n) % 10).astype(np.int64)

    def judge(zz):
        r_, _, s_, _ = s_rg.run(["reward", "grad", "sample", "logits"], {"noise": zz, "target_class": tgt})
        pi = softmax(s_ind.run(["logits"], {"image": s_})[0])
        return {"classifier_mean_p_target": round(float(np.exp(r_).mean()), 4),
                "classifier_argmax_is_target": round(float((np.exp(r_) > 0.5).mean()), 4),
                "independent_mean_p_target": round(float(pi[np.arange(n), tgt].mean()), 4),
                "independent_argmax_is_target": round(float((pi.argmax(1) == tgt).mean()), 4),
                "mean_norm_z_over_sqrt64": round(float(np.linalg.norm(zz, axis=1).mean() / 8), 4)}, s_

    ascent = {"setup": "100 noises, targets 0..9 x 10, 60 steps of z += 1.0 * (grad - lambda * z) (plain gradient ascent)",
              "before": judge(z0)[0]}
    for lam in [0.0, 0.01]:
        zz = z0.copy()
        for _ in range(60):
            _, gr = s_rg.run(["reward", "grad"], {"noise": zz, "target_class": tgt})
            zz = (zz + 1.0 * (gr - lam * zz)).astype(np.float32)
        ascent[f"after_lambda_{lam}"], smp_ = judge(zz)
        if lam == 0.01:
            C.save_grid(smp_, os.path.join(C.HERE, "samples_reward_ascent.png"))
    out["noise_ascent_smoke_test"] = ascent

    for k, v in out.items():
        print(k, v)
    C.update_metrics("evaluation", out)

    write_configs()

    # ---- golden files (small; inputs and the ONNX Runtime outputs)
    g = torch.Generator().manual_seed(62)
    x3 = torch.randn(3, C.DIM, generator=g).numpy()
    t3 = np.array([0, 500, 999], dtype=np.int64)
    golden(os.path.join(C.HERE, "denoiser", "golden.json"), {"sample": x3, "timestep": t3}, s_den, ["noise_pred"])
    golden(os.path.join(C.HERE, "noisy-classifier", "golden.json"), {"sample": x3, "timestep": t3}, s_noisy, ["logits"])
    golden(os.path.join(C.HERE, "classifier", "golden.json"), {"image": xte[:3]}, s_clf, ["logits"])
    golden(os.path.join(C.HERE, "independent-classifier", "golden.json"), {"image": xte[:3]}, s_ind, ["logits"])
    golden(os.path.join(C.HERE, "generator", "golden.json"), {"noise": x3}, s_gen, ["sample"])
    golden(os.path.join(C.HERE, "reward-grad", "golden.json"),
           {"noise": x3, "target_class": np.array([0, 3, 7], dtype=np.int64)}, s_rg, ["reward", "grad", "sample", "logits"])

    # deterministic DDIM (eta=0, 10 steps, leading spacing 900..0) from fixed x_T, driven through ONNX Runtime;
    # a scheduler implementation can be checked end to end against this.
    _, _, abar = C.schedule()
    ts = C.ddim_timesteps(10)
    xT = torch.randn(2, C.DIM, generator=g).numpy()
    x = xT.astype(np.float64)
    traj = []
    for t in ts:
        eps = s_den.run(["noise_pred"], {"sample": x.astype(np.float32), "timestep": np.full(2, t, np.int64)})[0].astype(np.float64)
        ab = float(abar[t])
        abp = float(abar[t - 100]) if t - 100 >= 0 else 1.0
        x0 = np.clip((x - np.sqrt(1 - ab) * eps) / np.sqrt(ab), -1, 1)
        eps = (x - np.sqrt(ab) * x0) / np.sqrt(1 - ab)
        x = np.sqrt(abp) * x0 + np.sqrt(1 - abp) * eps
        traj.append({"timestep": t, "prev_sample": x.astype(np.float32).ravel().tolist()})
    with open(os.path.join(C.HERE, "denoiser", "golden_ddim10.json"), "w") as f:
        json.dump({"description": "DDIM eta=0, 10 inference steps, timestep_spacing leading (900,800,...,0), "
                                  "set_alpha_to_one=true, clip_sample=true (x0 clipped to [-1,1], eps re-derived from the clipped x0 = diffusers DDIMScheduler.step(..., eta=0, use_clipped_model_output=True)), "
                                  "computed in float64 around float32 ONNX calls; compare with atol ~1e-4",
                   "timesteps": ts, "x_T": {"shape": [2, 64], "data": xT.ravel().tolist()}, "steps": traj},
                  f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
