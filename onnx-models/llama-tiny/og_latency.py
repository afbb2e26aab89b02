"""onnxruntime-genai's side of the greedy latency comparison (bench/README.md; Ponder's side is
dev.ponder.bench.GenaiGreedyLatency): og.Generator on llama-tiny/genai-fp32, one intra-op thread (a copy of the
export under work/ with session_options.intra_op_num_threads = 1), the first golden prompt (its greedy
continuation runs the full 24 tokens) at batch 1 and 16, median wall time and thread CPU time of a whole
generation (prefill included) after a warm-up; the tokens are checked against golden.json.

    .venv-genai/bin/python llama-tiny/og_latency.py [runs]
"""
import json
import os
import shutil
import sys
import time

import numpy as np
import onnxruntime_genai as og

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(os.path.dirname(HERE), "work", "llama-tiny", "genai-fp32-1thread")


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    sample = len(sys.argv) > 2 and sys.argv[2] == "sample"  # temperature 1 over the whole vocabulary
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.copytree(os.path.join(HERE, "genai-fp32"), WORK)
    cfg_path = os.path.join(WORK, "genai_config.json")
    cfg = json.load(open(cfg_path))
    cfg["model"]["decoder"]["session_options"].update({"intra_op_num_threads": 1, "inter_op_num_threads": 1})
    json.dump(cfg, open(cfg_path, "w"), indent=1)
    golden = json.load(open(os.path.join(HERE, "golden.json")))
    r = golden["results"][0]
    prompt, expected = r["prompt_ids"], r["greedy_ids"]
    model = og.Model(WORK)
    for batch in (1, 16):
        seed = [0]

        def generate():
            params = og.GeneratorParams(model)
            opts = dict(max_length=len(prompt) + golden["max_new_tokens"], batch_size=batch)
            if sample:
                seed[0] += 1
                opts.update(do_sample=True, top_k=30, top_p=1.0, temperature=1.0, random_seed=seed[0])
            else:
                opts.update(do_sample=False)
            params.set_search_options(**opts)
            g = og.Generator(model, params)
            g.append_tokens(np.array([prompt] * batch, dtype=np.int32))
            while not g.is_done():
                g.generate_next_token()
            return g
        for _ in range(2000):  # as many as the Java side warms up with
            g = generate()
        for b in range(batch):
            got = [int(t) for t in g.get_sequence(b)][len(prompt):]
            assert sample or got == expected, (got, expected)
        times, cpu = [], []
        tokens = 0
        for _ in range(runs):
            c0 = time.thread_time()
            t0 = time.perf_counter()
            g = generate()
            times.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            for b in range(batch):  # up to and including the EOS (id 0; rows that ended are padded with it), as Ponder counts
                seq = [int(t) for t in g.get_sequence(b)][len(prompt):]
                tokens += seq.index(0) + 1 if 0 in seq else min(len(seq) + 1, golden["max_new_tokens"])
        times.sort()
        cpu.sort()
        print(f"[genai-{'sample' if sample else 'greedy'}] og.Generator {os.path.basename(WORK)} batch {batch}: "
              f"{tokens / runs / batch:.2f} tokens per row (mean), "
              f"median {times[runs // 2] * 1e3:.3f} ms per generation (p10 {times[runs // 10] * 1e3:.3f}, "
              f"p90 {times[runs * 9 // 10] * 1e3:.3f}), thread CPU median {cpu[runs // 2] * 1e3:.3f} ms, over {runs} runs; onnxruntime-genai {og.__version__}")


if __name__ == "__main__":
    main()
