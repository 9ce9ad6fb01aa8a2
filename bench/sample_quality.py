"""Time of the sample-quality part of `genlab evaluate --fid` for 10k samples on Fashion-MNIST.

What `evaluate_run` does after drawing the samples: the feature net's forward pass over the n samples and the
two real test halves (5k + 5k), then fid, kid, precision/recall (k = 3) and inception score twice (samples vs
reference, floor half vs reference). 10k train images stand in for model samples, so drawing them (model
specific) is not in the clock. Uses the cached Fashion-MNIST feature net when there is one, else an untrained
net of the same architecture (the same work; the JSON says which). `import_s`: importing torchmetrics, paid
once per process.
Prints one JSON object.   Usage: python bench/sample_quality.py [--n N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="samples to evaluate (default: 10000)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from genlab import data
    from genlab.metrics import featurenet as fnet
    from genlab.metrics import sample_quality as sq

    start = time.perf_counter()
    import torchmetrics.image.fid
    import torchmetrics.image.inception
    import torchmetrics.image.kid  # noqa: F401
    import_s = time.perf_counter() - start

    device = torch.device("cpu")
    dataset = data.load("fashion-mnist")
    net_dir = fnet.default_dir("fashion-mnist", None)
    if (net_dir / fnet.META).is_file():
        net, record = fnet.load(net_dir, device=device)
        which = f"cached {record['sha256'][:12]} (test accuracy {record['test_accuracy']:.4f})"
    else:
        net, which = fnet.FeatureNet((1, 28, 28), 10).eval(), "untrained (timing only)"
    reference, floor = sq.real_halves(dataset.test, seed=0)
    fakes = dataset.train.images[:args.n]

    def features_and_logits(x):
        f = net.features(x)
        return f, net.head(f)

    start = time.perf_counter()
    ref = sq.featurize(features_and_logits, reference, device=device)
    fake = sq.featurize(features_and_logits, fakes, device=device)
    flo = sq.featurize(features_and_logits, floor, device=device)
    featurize_s = time.perf_counter() - start
    start = time.perf_counter()
    scores = sq.feature_metrics(*ref, *fake, seed=0)
    floor_scores = sq.feature_metrics(*ref, *flo, seed=0)
    metrics_s = time.perf_counter() - start
    print(json.dumps({
        "unit": f"feature net forward + metrics for {args.n} samples vs {len(reference)} reference, plus the "
                f"{len(floor)}-image floor", "n_samples": args.n, "n_reference": len(reference),
        "featurize_s": round(featurize_s, 3), "metrics_s": round(metrics_s, 3),
        "total_s": round(featurize_s + metrics_s, 3), "import_s": round(import_s, 3), "featurenet": which,
        "fid_train_vs_test": round(scores["fid"], 4), "floor_fid": round(floor_scores["fid"], 4),
        "device": str(device), "torch_threads": torch.get_num_threads()}, sort_keys=True))


if __name__ == "__main__":
    main()
