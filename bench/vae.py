"""One epoch of the pytorch/examples VAE on Fashion-MNIST: genlab's pipeline vs the example's own way.

Architecture (pytorch/examples vae/main.py): 784-400-20 encoder, 20-400-784 decoder, Bernoulli likelihood
on the [0, 1] grey levels (BCE summed over pixels), closed-form KL, Adam lr 1e-3, batch 128, 60k train images.

genlab: `genlab.training.loop.train` on `fashion-mnist` for one epoch: the in-memory uint8 tensor indexed by
  epoch_permutation, the loss from logits, fused Adam, plus what the loop does at an epoch end (test-split
  evaluation, sample grids, a checkpoint). The clock includes loading the dataset from genlab's cache.
baseline: the example's code path, its clock likewise from building its datasets (torchvision reads the
  decompressed IDX files): torchvision.datasets.FashionMNIST (ToTensor per sample) in a DataLoader
  (shuffle, num_workers=0 as on CPU), sigmoid output + F.binary_cross_entropy(reduction="sum"), plain Adam,
  loss.item() per step, then its test pass and its two save_image calls.
genlab_autograd_s: genlab's loop with its hand-written MLP VAE backward turned off (autograd instead).
gemm_floor_s: the same matrix products alone (forward, grad-input, grad-weight of every Linear, one epoch).
nll_k5000_s: the K = 5000 importance-weighted NLL over the 10k test images (measured on --nll-images
  images and scaled, when fewer than 10k; the JSON says which); nll_k5000_gemm_floor_s: its decoder's matrix
  products alone, likewise scaled (the floor of any exact K = 5000 estimate with this decoder).
Both run in one process with genlab's allocator and denormal settings (`genlab.runtime.keep_freed_memory`
and `flush_denormals`, as the genlab command applies them). Prints one JSON object.   Usage: python bench/vae.py [--repeats N] [--threads N] [--clock wall|cpu] [--nll-images N]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from _pytorch_examples_vae import VAE as ExampleVAE  # pytorch/examples' model and loss, as written there
from _pytorch_examples_vae import loss_function as example_loss
from _torchvision_layout import FMNIST, torchvision_root  # bench/ is on sys.path as a script

BATCH, HIDDEN, LATENT, PIXELS, LR = 128, 400, 20, 784, 1e-3


class Clock:
    """Wall and process-CPU seconds of a block. On a shared machine other jobs stretch wall time but not
    this process's CPU time, so with one torch thread (no spin-waiting) CPU time is the stabler measure."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


# --- genlab --------------------------------------------------------------------------------------------------

def genlab_config(seed: int = 0, epochs: int = 1):
    from genlab.config import DataConfig, RunConfig, TrainConfig
    from genlab.training import vae

    return RunConfig(family="vae", data=DataConfig(spec="fashion-mnist"),
                     model=vae.Config(arch="mlp", hidden=(HIDDEN,), latent_dim=LATENT, likelihood="bernoulli"),
                     # validation=0: all 60k train images, as the example trains on; test loss measured below
                     train=TrainConfig(epochs=epochs, batch_size=BATCH, lr=LR, seed=seed, device="cpu",
                                       checkpoint_every=10 ** 9, validation=0))


def time_genlab(run_dir: Path, seed: int, *, autograd: bool = False) -> tuple[Clock, float]:
    """(clock of one epoch through genlab's loop, test loss in nats per image). `autograd` turns off the
    hand-written backward of the MLP VAE (genlab.training.vae_backward), to show what it contributes."""
    from genlab.training import vae
    from genlab.training.evaluation import evaluate_run
    from genlab.training.loop import train
    from genlab.training.runfolder import load_run

    hand = vae.Task.hand_backward
    if autograd:
        vae.Task.hand_backward = lambda self: False
    cpu = torch.device("cpu")
    try:
        with Clock() as clock:  # the test pass inside the clock, as the example's epoch has one
            train(genlab_config(seed), run_dir, force=True, progress=False)
            loss = evaluate_run(load_run(run_dir, device=cpu), device=cpu)["loss"]
    finally:
        vae.Task.hand_backward = hand
    return clock, loss


# --- the pytorch/examples way ------------------------------------------------------------------------------

def time_baseline(root: Path, out: Path, seed: int) -> tuple[Clock, float]:
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms
    from torchvision.utils import save_image

    clock = Clock().__enter__()  # from here, as genlab's clock: building the datasets reads the files
    torch.manual_seed(seed)
    train_loader = DataLoader(datasets.FashionMNIST(str(root), train=True, transform=transforms.ToTensor()),
                              batch_size=BATCH, shuffle=True)
    test_loader = DataLoader(datasets.FashionMNIST(str(root), train=False, transform=transforms.ToTensor()),
                             batch_size=BATCH, shuffle=False)
    model = ExampleVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    train_loss = 0.0
    for batch_idx, (data, _) in enumerate(train_loader):
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        loss = example_loss(recon, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if batch_idx % 10 == 0:  # the example's --log-interval (stdout is swallowed by the caller)
            print(f"Train Epoch: 1 [{batch_idx * len(data)}/{len(train_loader.dataset)}]\tLoss: "
                  f"{loss.item() / len(data):.6f}")
    model.eval()
    test_loss = 0.0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            recon, mu, logvar = model(data)
            test_loss += example_loss(recon, data, mu, logvar).item()
            if i == 0:
                save_image(torch.cat([data[:8], recon.view(-1, 1, 28, 28)[:8]]).cpu(), out / "recon.png", nrow=8)
        sample = torch.sigmoid(model.fc4(F.relu(model.fc3(torch.randn(64, 20)))))
        save_image(sample.view(64, 1, 28, 28), out / "sample.png")
    clock.__exit__()
    return clock, test_loss / len(test_loader.dataset)


# --- the floor and the NLL ---------------------------------------------------------------------------------

def time_gemm_floor(n_train: int = 60000) -> Clock:
    """The epoch's matrix products alone: per Linear (in -> out) a forward (B,in)x(in,out), a grad-weight
    (out,B)x(B,in) and, except for the first layer, a grad-input (B,out)x(out,in)."""
    layers = [(PIXELS, HIDDEN), (HIDDEN, 2 * LATENT), (LATENT, HIDDEN), (HIDDEN, PIXELS)]
    sizes = [BATCH] * (n_train // BATCH) + ([n_train % BATCH] if n_train % BATCH else [])
    mats = {b: [(torch.randn(b, i), torch.randn(i, o), torch.randn(b, o), torch.randn(o, i)) for i, o in layers]
            for b in set(sizes)}
    with Clock() as clock:
        for b in sizes:
            for j, (x, w, g, wt) in enumerate(mats[b]):
                torch.mm(x, w)
                torch.mm(g.T, x)
                if j:
                    torch.mm(g, wt)
    return clock


def time_nll_gemm_floor(n_images: int, k: int = 5000, rows: int = 4096) -> Clock:
    """The NLL's matrix products alone: the decoder's two layers, (rows, 20) x (20, 400) and (rows, 400) x
    (400, 784), over the n_images * k posterior samples in chunks of `rows` (as Task.nll decodes them)."""
    total = n_images * k
    w1, w2 = torch.randn(LATENT, HIDDEN), torch.randn(HIDDEN, PIXELS)
    z, h = torch.randn(rows, LATENT), torch.randn(rows, HIDDEN)
    with Clock() as clock:
        for start in range(0, total, rows):
            n = min(rows, total - start)
            torch.mm(z[:n], w1)
            torch.mm(h[:n], w2)
    return clock


def time_nll(run_dir: Path, n_images: int, k: int = 5000) -> tuple[Clock, float, float]:
    """(clock, mean nll, its stderr) for the K-sample estimate on the first n_images test images."""
    from genlab import data as gdata
    from genlab.training.runfolder import load_run

    loaded = load_run(run_dir, device=torch.device("cpu"))
    test = gdata.load("fashion-mnist").test
    with Clock() as clock:
        out = loaded.task.nll_summary(test, take=n_images, k=k, device=torch.device("cpu"),
                                      generator=torch.Generator().manual_seed(0))
    return clock, out["nll"], out["nll_stderr"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5,
                        help="alternating runs of each, seeds 0..N-1: the fastest time counts, test losses are "
                             "averaged over the seeds (default: 5; the first genlab run pays the process's "
                             "one-time start-up, and this host's speed drifts between runs)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help=f"torch threads for both (default: torch's default here, {torch.get_num_threads()})")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="wall",
                        help="what genlab_s/baseline_s count: wall seconds (default) or process CPU seconds "
                             "(steadier on a busy machine, with --threads 1); both are in the JSON")
    parser.add_argument("--nll-images", type=int, default=200, help="test images for the K=5000 NLL timing")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # As the genlab command does at start; one process, so the baseline runs with it too.
    from genlab.runtime import flush_denormals, keep_freed_memory

    keep_freed_memory()
    flush_denormals()
    if not FMNIST.is_dir():
        raise SystemExit(f"bench/vae.py: {FMNIST} is missing (apt-get install dataset-fashion-mnist)")
    from genlab import data as gdata

    gdata.load("fashion-mnist")  # fill genlab's cache once, as any second run would find it
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = torchvision_root(tmp / "tv")
        genlab, baseline, gemm, autograd = [], [], [], []
        for seed in range(args.repeats):  # interleaved, so a burst of load on the machine hits both
            genlab.append(time_genlab(tmp / "run", seed))
            autograd.append(time_genlab(tmp / "run-autograd", seed, autograd=True))
            with contextlib.redirect_stdout(io.StringIO()):
                baseline.append(time_baseline(root, tmp, seed))
            gemm.append(time_gemm_floor())
        nll_clock, nll, nll_se = time_nll(tmp / "run", args.nll_images)
        nll_floor = time_nll_gemm_floor(args.nll_images)
    print(json.dumps(report(args, genlab, baseline, gemm, autograd, nll_clock, nll, nll_se, nll_floor)))


def report(args, genlab, baseline, gemm, autograd, nll_clock, nll, nll_se, nll_floor) -> dict:
    pick = (lambda c: c.cpu) if args.clock == "cpu" else (lambda c: c.wall)
    g_s, b_s = min(pick(c) for c, _ in genlab), min(pick(c) for c, _ in baseline)
    a_s = min(pick(c) for c, _ in autograd)
    g_loss = statistics.mean(loss for _, loss in genlab)
    b_loss = statistics.mean(loss for _, loss in baseline)
    spread = (lambda runs: round(statistics.stdev(loss for _, loss in runs), 3) if len(runs) > 1 else None)
    floor = min(pick(c) for c in gemm)
    scale = 10000 / args.nll_images
    return {
        "unit": "one epoch (60k Fashion-MNIST train images, batch 128) + the test pass",
        "clock": "process CPU seconds" if args.clock == "cpu" else "wall seconds", "best_of": args.repeats,
        "genlab_s": round(g_s, 3), "baseline_s": round(b_s, 3), "speedup": round(b_s / g_s, 2),
        "gemm_floor_s": round(floor, 3), "genlab_over_floor": round(g_s / floor, 2),
        "genlab_autograd_s": round(a_s, 3), "genlab_autograd_test_loss": round(statistics.mean(l for _, l in autograd), 3),
        "genlab_wall_s": [round(c.wall, 2) for c, _ in genlab], "genlab_cpu_s": [round(c.cpu, 2) for c, _ in genlab],
        "baseline_wall_s": [round(c.wall, 2) for c, _ in baseline],
        "baseline_cpu_s": [round(c.cpu, 2) for c, _ in baseline],
        "genlab_test_loss": round(g_loss, 3), "baseline_test_loss": round(b_loss, 3),
        "genlab_test_loss_sd": spread(genlab), "baseline_test_loss_sd": spread(baseline),
        "test_loss_unit": f"nats per image: -ELBO (BCE + KL), one posterior sample, 10k test images, mean (sd) "
                          f"over seeds 0..{args.repeats - 1}",
        "nll_k5000_s": round(pick(nll_clock) * scale, 1), "nll_k5000_measured_images": args.nll_images,
        "nll_k5000_measured_wall_s": round(nll_clock.wall, 2), "nll_k5000_measured_cpu_s": round(nll_clock.cpu, 2),
        "nll_k5000_note": f"measured on the first {args.nll_images} test images and scaled x{scale:g} to 10k",
        "nll_k5000_gemm_floor_s": round(pick(nll_floor) * scale, 1),
        "nll_over_floor": round(pick(nll_clock) / pick(nll_floor), 2),
        "nll_after_1_epoch": round(nll, 3), "nll_stderr": round(nll_se, 3),
        "architecture": "784-400-20 / 20-400-784, Bernoulli, Adam 1e-3", "device": "cpu",
        "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(), "torch": torch.__version__,
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


if __name__ == "__main__":
    main()
