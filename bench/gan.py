"""One DCGAN training step (D and G) at batch 64 on Fashion-MNIST resized to 32x32 (ngf = ndf = 64, z in R^100):
genlab's pipeline vs a baseline written as pytorch/examples' dcgan/main.py is, in the same process.

genlab: `genlab.data.load("fashion-mnist", image_size=32)` once (uint8 in memory), then per step what the training
loop does: index a batch with the epoch permutation, `to_float`, `Task.train_step` of the gan family (BCE from
logits, G's sample generated once and reused, D's weights frozen during G's backward, fused Adam, optional
channels-last and torch.compile through the same `speed.configure` the CLI uses).
Baseline (pytorch/examples dcgan, 32 px variant of its nets): torchvision FashionMNIST over the same files with
per-sample transforms Resize(32) / ToTensor / Normalize, a DataLoader (shuffle, its default 2 workers), netD on
the real batch, then on fake.detach(), then the G step with a fresh netD(fake), BCELoss on sigmoid outputs,
default Adam(lr 2e-4, betas (0.5, 0.999)), `.item()` of D(x), D(G(z)) as it logs them.
The two are timed in alternating blocks so that load from other processes hits both alike.
Prints one JSON object.   Usage: python bench/gan.py [--steps N] [--rounds R] [--compile] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch
from _torchvision_layout import torchvision_root  # bench/ is on sys.path as a script
from torch import nn

BATCH, SIZE, NZ, NGF, NDF = 64, 32, 100, 64, 64


# ---- baseline: pytorch/examples dcgan/main.py, its nets with one stage fewer for 32 x 32 -------------------

def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def baseline_nets():
    net_g = nn.Sequential(
        nn.ConvTranspose2d(NZ, NGF * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(NGF * 4), nn.ReLU(True),  # 4x4
        nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF * 2), nn.ReLU(True),  # 8x8
        nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF), nn.ReLU(True),  # 16x16
        nn.ConvTranspose2d(NGF, 1, 4, 2, 1, bias=False), nn.Tanh())  # 1 x 32 x 32
    net_d = nn.Sequential(
        nn.Conv2d(1, NDF, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),  # 16x16
        nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 4), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(NDF * 4, 1, 4, 1, 0, bias=False), nn.Sigmoid())  # 1 x 1 x 1
    net_g.apply(weights_init)
    net_d.apply(weights_init)
    return net_g, net_d


class Baseline:
    def __init__(self, root: Path, workers: int):
        from torch.utils.data import DataLoader
        from torchvision import datasets, transforms

        dataset = datasets.FashionMNIST(str(root), train=True, download=False, transform=transforms.Compose([
            transforms.Resize(SIZE), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))
        self.loader = DataLoader(dataset, batch_size=BATCH, shuffle=True, num_workers=workers, drop_last=True)
        self.batches = iter(self.loader)
        self.net_g, self.net_d = baseline_nets()
        self.criterion = nn.BCELoss()
        self.opt_d = torch.optim.Adam(self.net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_g = torch.optim.Adam(self.net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def step(self) -> None:
        try:
            data = next(self.batches)
        except StopIteration:
            self.batches = iter(self.loader)
            data = next(self.batches)
        net_d, net_g = self.net_d, self.net_g
        net_d.zero_grad()
        real = data[0]
        label = torch.full((real.size(0),), 1.0, dtype=real.dtype)
        output = net_d(real).view(-1)
        err_d_real = self.criterion(output, label)
        err_d_real.backward()
        output.mean().item()
        noise = torch.randn(real.size(0), NZ, 1, 1)
        fake = net_g(noise)
        label.fill_(0.0)
        output = net_d(fake.detach()).view(-1)
        err_d_fake = self.criterion(output, label)
        err_d_fake.backward()
        output.mean().item()
        self.opt_d.step()
        net_g.zero_grad()
        label.fill_(1.0)
        output = net_d(fake).view(-1)
        err_g = self.criterion(output, label)
        err_g.backward()
        output.mean().item()
        self.opt_g.step()


# ---- genlab ----------------------------------------------------------------------------------------------

class Genlab:
    def __init__(self, *, compile_nets: bool, channels_last: bool):
        from genlab.config import DataConfig, RunConfig, TrainConfig
        from genlab.data import load
        from genlab.training import gan, speed
        from genlab.training.loop import data_info

        dataset = load("fashion-mnist", image_size=SIZE)
        self.images = dataset.train.images
        model = gan.Config(ngf=NGF, ndf=NDF, latent_dim=NZ, channels_last=channels_last)
        train = TrainConfig(batch_size=BATCH, lr=2e-4, device="cpu", compile=compile_nets)
        config = RunConfig("gan", DataConfig("fashion-mnist", image_size=SIZE), model, train)
        self.task = gan.Task(config, data_info(dataset), torch.device("cpu"))
        self.autocast = speed.configure(self.task, train, torch.device("cpu"))
        self.n = 0

    def step(self) -> None:
        from genlab.data import epoch_permutation, to_float

        per_epoch = len(self.images) // BATCH
        epoch, index = divmod(self.n, per_epoch)
        if index == 0:
            self.perm = epoch_permutation(len(self.images), seed=0, epoch=epoch)
        x = to_float(self.images[self.perm[index * BATCH:(index + 1) * BATCH]])
        for module in self.task.modules.values():
            module.train()
        with self.autocast():
            metrics = self.task.train_step(x, None, self.n)
        {k: v.detach().float() for k, v in metrics.items()}  # what the loop accumulates
        self.n += 1


def timed(step, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=5, help="steps per timed block (default: 5)")
    p.add_argument("--rounds", type=int, default=4, help="alternating blocks of each (default: 4)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps of each first (default: 3)")
    p.add_argument("--compile", action="store_true",
                   help="genlab with torch.compile (measured here: no gain on this 2-core AVX2 CPU, where the step is "
                        "convolution-bound, and 30-90 s of compilation; so off by default)")
    p.add_argument("--no-channels-last", dest="channels_last", action="store_false")
    p.add_argument("--workers", type=int, default=2, help="baseline DataLoader workers (the example's default: 2)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tmp = Path(tempfile.mkdtemp(prefix="genlab-bench-gan-"))
    try:
        baseline = Baseline(torchvision_root(tmp), args.workers)
        genlab = Genlab(compile_nets=args.compile, channels_last=args.channels_last)
        t0 = time.perf_counter()
        timed(genlab.step, args.warmup)  # includes compilation when --compile
        warmup_s = time.perf_counter() - t0
        timed(baseline.step, args.warmup)
        g_total = b_total = 0.0
        for _ in range(args.rounds):
            g_total += timed(genlab.step, args.steps)
            b_total += timed(baseline.step, args.steps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = args.steps * args.rounds
    genlab_s, baseline_s = g_total / n, b_total / n
    print(json.dumps({
        "genlab_s": genlab_s, "baseline_s": baseline_s, "speedup": baseline_s / genlab_s,
        "unit": "seconds per DCGAN training step (one D and one G update)",
        "genlab_images_per_s": BATCH / genlab_s, "baseline_images_per_s": BATCH / baseline_s,
        "batch_size": BATCH, "image_size": SIZE, "ngf": NGF, "ndf": NDF, "latent_dim": NZ,
        "steps_timed_each": n, "genlab_compile": args.compile, "genlab_warmup_s": warmup_s,
        "genlab_channels_last": args.channels_last, "baseline_workers": args.workers,
        "device": "cpu", "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0], "torch": torch.__version__}, sort_keys=True))


if __name__ == "__main__":
    main()
