"""Training-loop overhead: a TrainPhase step vs an equivalent hand-written torch loop.

Both loops train the seed's MLP (20 -> 16 -> 1, Adam lr 1e-3) at batch 32 on shuffled
batches, read `loss.item()` once per step, and run on the same device. The framework
step runs through `Experiment.run_phase` with default settings (all execution contexts
recorded, losses and train_loss logged, no progress bar); "recording=none" is shown too.
Runs alternate (raw, framework, ...) and the medians are compared in the same process.
Time is CPU time of the (single-threaded) process, so a busy machine's scheduling does
not count against either loop.

    python benches/bench_train_step.py            # 10k and 100k samples, 15 repeats
    python benches/bench_train_step.py --quick    # fewer repeats and steps
    python benches/bench_train_step.py --device cuda
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
BAR = 1.10


def make_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    return rng.standard_normal((n, 20)), rng.standard_normal((n, 1))


def framework_setup(n: int, device: str, recording: str):
    """The seed's set-up with `n` samples, all in the train split; returns a run() closure."""
    from modularml import (
        AppliedLoss,
        Experiment,
        FeatureSet,
        Loss,
        ModelGraph,
        ModelNode,
        Optimizer,
        TrainPhase,
    )
    from modularml.models.torch import SequentialMLP
    from modularml.samplers import SimpleSampler

    x, y = make_data(n)
    exp = Experiment(f"bench_{n}_{recording}", registration_policy="overwrite")
    fs = FeatureSet.from_dict("Data", {"voltage": list(x), "soh": list(y)}, "voltage", "soh")
    fs.split_random({"train": 1.0}, seed=13)
    torch.manual_seed(0)
    node = ModelNode("MLP", SequentialMLP(output_shape=(1, 1), n_layers=2, hidden_dim=16),
                     upstream_ref=fs.reference(features="voltage", targets="soh"))
    graph = ModelGraph("G", nodes=[node],
                       optimizer=Optimizer("adam", opt_kwargs={"lr": 1e-3}, backend="torch"))
    graph.to(device).build()
    loss = AppliedLoss(Loss("mse", backend="torch"), on="MLP", inputs=["outputs", "targets"])

    def run(n_epochs: int) -> int:
        phase = TrainPhase.from_split("train", split="train", losses=[loss], n_epochs=n_epochs,
                                      sampler=SimpleSampler(batch_size=32, shuffle=True, seed=42),
                                      result_recording=recording)
        exp.run_phase(phase, show_progress=False)
        return n_epochs * phase.sampler.num_batches(n)

    run(1)  # warm-up: builds and caches the split tensors
    return run


def raw_setup(n: int, device: str):
    """The same model, optimizer, data and batches in a plain torch loop."""
    from modularml.models.torch import SequentialMLP

    x, y = make_data(n)
    features = torch.from_numpy(x).float().view(n, 1, 20).to(device)
    targets = torch.from_numpy(y).float().to(device)
    torch.manual_seed(0)
    model = SequentialMLP(input_shape=(1, 20), output_shape=(1, 1), n_layers=2, hidden_dim=16)
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    def run(n_epochs: int) -> int:
        rng = np.random.default_rng(42)
        steps = 0
        for _ in range(n_epochs):
            order = torch.from_numpy(rng.permutation(n)).to(device)
            for start in range(0, n, 32):
                idx = order[start:start + 32]
                xb, yb = features[idx], targets[idx]
                opt.zero_grad()
                out = model(xb)
                loss = loss_fn(out, yb.view_as(out))
                loss.backward()
                opt.step()
                loss.item()
                steps += 1
        return steps

    run(1)
    return run


def timed(run, n_epochs: int, clock=time.process_time) -> float:
    """Seconds per step of one run, by CPU time of this process (robust to a busy machine)."""
    t0 = clock()
    steps = run(n_epochs)
    return (clock() - t0) / steps


def measure(n: int, device: str, repeats: int, epochs: int) -> dict:
    raw = raw_setup(n, device)
    loops = {"raw": raw, **{f"framework[{r}]": framework_setup(n, device, r) for r in ("all", "none")}}
    samples: dict[str, list[float]] = {k: [] for k in loops}
    names = list(loops)
    for i in range(repeats):
        # interleaved and rotated, so drift and neighbours' load hit every loop alike
        for name in names[i % len(names):] + names[:i % len(names)]:
            samples[name].append(timed(loops[name], epochs))
    med = {k: statistics.median(v) for k, v in samples.items()}
    return {
        "n_samples": n, "epochs_per_run": epochs, "repeats": repeats,
        "us_per_step": {k: round(v * 1e6, 2) for k, v in med.items()},
        "ratio_vs_raw": {k: round(v / med["raw"], 4) for k, v in med.items() if k != "raw"},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and steps")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()
    torch.set_num_threads(1)  # tiny model: threads only add noise
    repeats = 5 if args.quick else 15
    sizes = {10_000: 1 if args.quick else 3, 100_000: 1}  # epochs per timed run
    report = {"device": args.device, "torch": torch.__version__, "bar": BAR,
              "results": [measure(n, args.device, repeats, e) for n, e in sizes.items()]}
    print(f"train-step overhead (medians; device: {args.device})")
    print(f"{'samples':>8} {'raw us':>8} {'fw us':>8} {'ratio':>7} {'fw none us':>10} {'ratio':>7}")
    ok = True
    for r in report["results"]:
        us, ratio = r["us_per_step"], r["ratio_vs_raw"]
        print(f"{r['n_samples']:>8} {us['raw']:>8.1f} {us['framework[all]']:>8.1f} "
              f"{ratio['framework[all]']:>7.3f} {us['framework[none]']:>10.1f} "
              f"{ratio['framework[none]']:>7.3f}")
        ok &= ratio["framework[all]"] <= BAR
    print(f"bar: framework[all] <= {BAR}x raw at every size: {'PASS' if ok else 'FAIL'}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def run(quick: bool) -> list:
    """Rows for benches/run.py: per-step time vs raw torch (same run) and the reference."""
    import common
    from common import REFERENCE_DIR, REFERENCE_VENV, Row, Stat, ensure_venv, run_in_venv

    torch.set_num_threads(1)
    repeats = 3 if quick else 7
    sizes = {10_000: 1, 100_000: 1} if quick else {10_000: 8, 100_000: 1}
    ref_sizes = [10_000] if quick else [10_000, 100_000]
    if common.TINY:
        repeats, sizes, ref_sizes = 1, {2_000: 1}, [2_000]
    why = ensure_venv(REFERENCE_VENV, ["modularml==1.0.0", "ipython"])
    ref: dict = {}
    if why is None:
        try:
            ref = run_in_venv(REFERENCE_VENV, REFERENCE_DIR / "ref_train_step.py",
                              {"sizes": ref_sizes, "n_epochs": 1}, timeout=3000)["step_s"]
        except (RuntimeError, OSError) as exc:
            why = f"reference failed: {exc}"[:300]
    rows = []
    for n, epochs in sizes.items():
        result = measure(n, "cpu", repeats, epochs)
        us = result["us_per_step"]
        baselines = {"raw torch": us["raw"] * 1e-6}
        if str(n) in ref:
            baselines["reference"] = ref[str(n)]
        ratio = result["ratio_vs_raw"]["framework[all]"]
        fw = us["framework[all]"] * 1e-6
        rows.append(Row("TrainPhase step, seed MLP, batch 32 (recording all)", n, "s",
                        Stat(fw, fw, fw), baselines, f"<= {BAR}x raw torch", ratio <= BAR,
                        f"{ratio:.3f}x raw" + (f"; {why}" if why else "")))
    return rows
