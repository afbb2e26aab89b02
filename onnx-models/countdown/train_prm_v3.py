"""PRM v3: train_prm_v2.py's recipe (fine-tune the committed PRM on MC-valued step prefixes) with about twice
the rolled-out valid train prefixes: prm_train_extra.jsonl (samples 4-11 of train problems 0-999),
prm_train_extra2.jsonl (samples 12-31 of the same problems) and prm_train_extra3.jsonl (samples 0-11 of train
problems 1,200-1,599, after the dev block 1,000-1,199), all from `sample_verifier_data.py --n-train 1600
--extra2`. Same dev prefixes, same held-out prefixes (16 rollouts) and the same metric functions as PRM v2.
Exports countdown/prm-v3 and countdown/prm-v3-cached (the layouts of prm-v2 / prm-v2-cached) only when the
held-out step AUROC (MC value >= 0.5, all prefixes) beats the committed PRM's 0.789; metrics under "prm_v3".

Usage: python train_prm_v3.py [any train_prm_v2.py option, e.g. --steps 1000]
"""
import os

import common
import train_prm_v2

DEFAULTS = dict(
    extra_files="prm_train_extra.jsonl,prm_train_extra2.jsonl,prm_train_extra3.jsonl",
    train_after_dev=1,
    steps=1000,
    out=os.path.join(common.HERE, "prm-v3"),
    out_cached=os.path.join(common.HERE, "prm-v3-cached"),
    metrics_key="prm_v3",
    min_heldout=0.789,
)

if __name__ == "__main__":
    train_prm_v2.main(DEFAULTS)
