"""Rough ONNX Runtime latency of each exported model (CPU, 1 intra-op thread, after warm-up; median of repeats).
Not a benchmark (the Java side uses JMH); it only says what order of cost one batched call has.

usage: python bench_ort.py
"""
import os
import time

import numpy as np

import common as C


def feeds(name, b, rng):
    x = rng.standard_normal((b, 64)).astype(np.float32)
    t = rng.integers(0, C.T, b).astype(np.int64)
    y = rng.integers(0, 10, b).astype(np.int64)
    return {"denoiser": {"sample": x, "timestep": t},
            "noisy-classifier": {"sample": x, "timestep": t},
            "classifier": {"image": np.clip(x, -1, 1)},
            "independent-classifier": {"image": np.clip(x, -1, 1)},
            "generator": {"noise": x},
            "reward-grad": {"noise": x, "target_class": y}}[name]


def main():
    rng = np.random.default_rng(0)
    res = {}
    for name in ["denoiser", "noisy-classifier", "classifier", "independent-classifier", "generator", "reward-grad"]:
        sess = C.ort_session(os.path.join(C.HERE, name, "model.onnx"))
        res[name] = {}
        for b in [1, 64, 1024]:
            f = feeds(name, b, rng)
            for _ in range(5):
                sess.run(None, f)
            reps = 50 if b < 1024 else 10
            ts = []
            for _ in range(reps):
                t0 = time.perf_counter()
                sess.run(None, f)
                ts.append(time.perf_counter() - t0)
            res[name][f"batch_{b}_ms"] = round(1000 * float(np.median(ts)), 3)
        print(name, res[name])
    res["note"] = "CPU shared with other jobs, intra_op_num_threads=1, median; indicative only"
    C.update_metrics("ort_latency", res)


if __name__ == "__main__":
    main()
