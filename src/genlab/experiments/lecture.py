"""The lecture's experiments in its order, each a small function of a `Context` returning an `Outcome`.

Budgets: `quick` checks the pipeline in about a minute; `default` gives recognisable results in 20-22 minutes
on 2 CPU cores (measured on a VM with steal; the issue's aim is under 20). The estimates beside each experiment are
minutes measured on such a machine. Every training run resumes (a re-run after a kill continues, a finished run is
reused), so `genlab lecture` can be stopped and started at will.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch

from genlab import data as gdata
from genlab import io
from genlab.config.command import train_command
from genlab.config.gan_1d import Config as Gan1dConfig
from genlab.experiments import autoencoders as aex
from genlab.experiments import measures
from genlab.experiments.beyond import BEYOND
from genlab.experiments.lecture_runs import (
    available,
    budget,
    digits_vae_2d,
    face_label,
    faces_ae,
    faces_vae,
    featurenet_fid_of,
    last_test,
    lecture_featurenet,
    train_cached,
)
from genlab.experiments.runner import Context, Experiment, Outcome


def _fig(ctx: Context, key: str, name: str) -> Path:
    return ctx.folder(key) / name


def ae_recon(ctx: Context) -> Outcome:
    spec, run = faces_ae(ctx)
    path = _fig(ctx, "ae-recon", "ae_reconstruction.png")
    numbers = aex.ae_reconstruction(run, path)
    measured = measures.reconstruction_vs_mean(run)
    return Outcome([ctx.rel(path)], {"test mse per pixel": numbers["mse"]}, data=face_label(spec),
                   measured=measured)


def ae_noisy(ctx: Context) -> Outcome:
    spec, run = faces_ae(ctx)
    path = _fig(ctx, "ae-noisy-latent", "ae_latent_noise.png")
    x, _ = aex.test_images(run, 256)
    by_std, code_std = measures.noise_mse_by_code_std(run, x)  # noise in units of the codes' own std
    aex.ae_latent_noise(run, path, sigmas=tuple(float(m) * code_std for m in by_std))
    shown = {f"mse, sigma={m} x code std ({len(x)} test images)": v for m, v in by_std.items()}
    return Outcome([ctx.rel(path)], {**shown, "std of the codes": code_std}, data=face_label(spec),
                   measured={"mse_by_code_std": by_std, "code_std": code_std})


def ae_noise_only(ctx: Context) -> Outcome:
    spec, run = faces_ae(ctx)
    path = _fig(ctx, "ae-noise-only", "ae_noise_decode.png")
    numbers = aex.ae_noise_decode(run, path)
    return Outcome([ctx.rel(path)], numbers, data=face_label(spec), measured=measures.noise_vs_reconstruction(run),
                   note="The codes of the test images are not N(0, I), so decoding N(0, I) lands off the data.")


def vae_sample_recon(ctx: Context) -> Outcome:
    spec, run = faces_vae(ctx)
    path = _fig(ctx, "vae-recon", "vae_reconstruction.png")
    numbers = aex.vae_reconstruction(run, path)
    return Outcome([ctx.rel(path)], numbers, data=face_label(spec),
                   measured=measures.reconstruction_vs_mean(run))


def vae_generate(ctx: Context) -> Outcome:
    spec, run = faces_vae(ctx)
    figures, numbers = [], {}
    path = _fig(ctx, "vae-generation", "vae_generation_faces.png")
    aex.vae_generation(run, path)
    figures.append(ctx.rel(path))
    fm = train_cached(ctx, "vae-fashion", "vae", "fashion-mnist", steps=budget(ctx, 60, 4000), batch_size=128,
                      latent_dim=200, hidden=(400,))
    path = _fig(ctx, "vae-generation", "vae_generation_fashion_mnist.png")
    aex.vae_generation(fm, path)
    figures.append(ctx.rel(path))
    numbers.update({f"fashion-mnist test {k}": v for k, v in last_test(fm.run_dir).items()})
    _, ae_faces = faces_ae(ctx)  # nearest training image of decoded N(0, I): VAE samples vs the AE's noise
    ae_fm = train_cached(ctx, "ae-fashion", "ae", "fashion-mnist", steps=budget(ctx, 60, 4000), batch_size=128,
                         latent_dim=200, hidden=(400,))  # the VAE's nets, without the KL term
    path = _fig(ctx, "vae-generation", "ae_noise_decode_fashion_mnist.png")
    aex.ae_noise_decode(ae_fm, path)
    figures.append(ctx.rel(path))
    measured = {}
    for name, r in (("faces_vae_nn", run), ("faces_ae_nn", ae_faces), ("fashion_vae_nn", fm),
                    ("fashion_ae_nn", ae_fm)):
        measured[name], measured[name + "_se"] = measures.samples_nearest(r)
    return Outcome(figures, numbers, data=f"{face_label(spec)}; fashion-mnist, 200-D latent", measured=measured)


def manifold(ctx: Context) -> Outcome:
    from genlab.report.explorer import explorer_html

    spec, run = digits_vae_2d(ctx)
    lin = _fig(ctx, "vae-manifold", "manifold_linear.png")
    icdf = _fig(ctx, "vae-manifold", "manifold_inverse_cdf.png")
    aex.latent_manifold(run, lin)
    aex.latent_manifold_icdf(run, icdf)
    extent, grid = 3.0, 24
    z1 = torch.linspace(-extent, extent, grid + 1)[:-1] + extent / grid
    zz = torch.stack(torch.meshgrid(-z1, z1, indexing="ij"), -1).reshape(-1, 2)[:, [1, 0]]  # rows: z2 high->low
    with torch.no_grad():
        tiles = run.task.decode_mean(zz.to(run.task.device)).cpu()
    tiles = tiles.view(grid, grid, *tiles.shape[1:])
    x, labels = aex.test_images(run, 1000)
    means, _ = aex.encoded(run, x, seed=0)
    html = explorer_html(tiles, extent=extent, points=means.cpu(), labels=labels)
    measured = measures.latent_clusters(run)
    numbers = {"test " + k: v for k, v in last_test(run.run_dir).items()}
    if "knn_accuracy" in measured:
        numbers[f"{measured['k']}-NN accuracy of the encoded test means"] = measured["knn_accuracy"]
    return Outcome([ctx.rel(lin), ctx.rel(icdf)], numbers, data=f"{spec}, 2-D latent", html=html, measured=measured,
                   note="Interactive: move the pointer over the latent plane (dots: encoded test means, "
                        "coloured by class) to see the decoded image.")


def latent_distribution(ctx: Context) -> Outcome:
    spec, run = digits_vae_2d(ctx)
    figures, numbers = [], {}
    for name, fn in (("latent_scatter.png", aex.latent_scatter), ("latent_histograms.png", aex.latent_histograms)):
        path = _fig(ctx, "vae-latent", name)
        fn(run, path)
        figures.append(ctx.rel(path))
    fm = train_cached(ctx, "vae-fashion", "vae", "fashion-mnist", steps=budget(ctx, 60, 4000), batch_size=128,
                      latent_dim=200, hidden=(400,))
    path = _fig(ctx, "vae-latent", "kl_per_dim_fashion_mnist.png")
    kl = aex.kl_per_dim(fm, path)
    figures.append(ctx.rel(path))
    numbers.update({"active units of 200 (fashion-mnist)": kl["active_units"], "total KL (nats)": kl["kl_total"]})
    measured = {**measures.aggregate_means(run), "active_units": kl["active_units"],
                "latent_dim": fm.config.model.latent_dim}
    numbers.update({"mean of the encoded means": str([round(v, 3) for v in measured["means_mean"]]),
                    "covariance of the encoded means": str([[round(v, 3) for v in r] for r in measured["means_cov"]])})
    if "train_second_moment" in measured:
        numbers["E[mu^2 + sigma^2] per dim on train images (1 at convergence)"] = \
            str([round(v, 3) for v in measured["train_second_moment"]])
    return Outcome(figures, numbers, data=f"{spec} (2-D latent); fashion-mnist (200-D latent) for KL per dim",
                   measured=measured,
                   note="At a stationary point of the ELBO the training images' E[mu^2 + sigma^2] is exactly 1 per "
                        "dimension (rescaling z and the decoder's first layer changes only the KL term), so a "
                        "second moment above 1 means training has not converged along that direction. The pull "
                        "towards 1 is weak: the KL saved by moving a second moment m to 1 is (m - 1 - log m) / 2, "
                        "0.05 nats at m = 1.54. At the family's lr 1e-3 (mnist-5k, seed 0, first coordinate) it "
                        "fell slowly (over the whole train split): 1.87 at 1,000 steps, 1.68 at 3,000, 1.54 at 6,000 "
                        "and 1.47 at 12,000, while from 6,000 to 12,000 steps the validation ELBO worsened from "
                        "-164.8 to -172.8 as the 3,600 training digits were memorised. This run trains at 3e-3 "
                        "(its second moment is the number above; validation ELBO -161.0 at 6,000 steps).")


def elbo_recap(ctx: Context) -> Outcome:
    from genlab.experiments.elbo_check import elbo_identity

    path = _fig(ctx, "vae-recap", "elbo_identity.png")
    numbers = elbo_identity(path)
    return Outcome([ctx.rel(path)], numbers, data="a linear-Gaussian model (exact answers)",
                   measured=measures.elbo_measured(numbers))


def reparameterization(ctx: Context) -> Outcome:
    from genlab.experiments.reparam import reparam_experiment

    run = train_cached(ctx, "vae-reparam", "vae", "fashion-mnist", steps=budget(ctx, 100, 400), batch_size=128,
                       latent_dim=4, hidden=(256,))
    x, _ = aex.test_images(run, 1)
    folder = ctx.folder("reparam")
    res = reparam_experiment(folder, run, x, exact_samples=budget(ctx, 50_000, 200_000), seed=ctx.seed)
    numbers = {}
    for case, cell in (("closed form", res["closed_form"]), ("VAE encoder", res["vae"])):
        for name in ("reparameterized", "score function"):
            numbers[f"{case}, {name}: per-sample variance (trace)"] = cell[name]["variance"]
            numbers[f"{case}, {name}: largest |mean - exact| / SE"] = cell[name]["max_z"]
        numbers[f"{case}: variance ratio, score function / reparameterized"] = cell["variance_ratio"]
    pool = res["over_seeds"]
    for name in ("reparameterized", "score function"):
        numbers[f"closed form, {name}: share of {pool['seeds']} seeds where the 3-SE check fails"] = pool[name]
        numbers[f"closed form, {name}: largest |mean - exact| / SE, all seeds pooled"] = \
            pool[f"{name} pooled"]["max_z"]
    numbers["the share of seeds expected to fail by chance for an unbiased estimator"] = pool["expected"]
    return Outcome([ctx.rel(folder / "reparam_variance.png")], numbers, measured=measures.reparam_measured(res),
                   data="closed form (2-D Gaussian q, quadratic f) and fashion-mnist (a 4-D VAE, one test image)",
                   note=f"Each estimate from {res['vae']['samples']} samples; the VAE's 'exact' gradient is the "
                        f"mean of {res['vae']['exact_samples']} reparameterized samples (its standard error is "
                        "part of each comparison). On 4 coordinates the 3-SE check at one seed rejects an "
                        f"unbiased estimator {pool['expected']:.1%} of the time by chance (at seed {ctx.seed} the "
                        f"largest |z| is {res['closed_form']['reparameterized']['max_z']:.2f} reparameterized, "
                        f"{res['closed_form']['score function']['max_z']:.2f} score function), so the closed-form "
                        f"claim pools the draws of {pool['seeds']} seeds, this one first: their standard error is "
                        f"{pool['seeds'] ** 0.5:.0f}x smaller than one seed's, so the pool resolves a bias "
                        f"{pool['seeds'] ** 0.5:.0f}x smaller. The shares above count the single seeds that fail.")


def dann_moons(ctx: Context) -> Outcome:
    from genlab.experiments import dann

    folder = ctx.folder("dann-two-moons")
    setup = dann.SETUPS["two-moons"]
    if ctx.profile == "quick":
        setup = dataclasses.replace(setup, train=dataclasses.replace(setup.train, max_steps=300))
    res = dann.compare("two-moons", seeds=budget(ctx, 1, 3), device=ctx.device, out_dir=folder, setup=setup)
    return Outcome(sorted(ctx.rel(p) for p in folder.glob("*.png")), _dann_numbers(res),
                   data="two-moons -> two moons rotated 35 degrees (150 points per domain)",
                   measured=measures.dann_measured(res),
                   note="The proxy A-distance is a linear classifier's cross-validated error at telling the "
                        "domains apart from the features (150 test points a domain). The features are 15 ReLU "
                        "units where Ganin's toy net has sigmoid ones (since stop 30). With sigmoid units DANN "
                        "classified the rotated moons almost perfectly but left its features more separable by "
                        "domain than source-only's (seeds 0-7: 0.489 against 0.275; on 2,000 fresh points a "
                        "domain 0.788 against 0.492), and 27-51% of its feature values sat within 0.02 of 0 or 1 "
                        "against source-only's 4-16% (seeds 0-2): the reversed gradient drove the units into "
                        "saturation. Changing the domain head did not fix that (stops 25-30): dead ReLU units "
                        "(3-5 of 32 alive), a leaky head (0.05: distance 0.222 over 16 seeds, but 2 stalled at "
                        "source-only's accuracy), ELU heads, a BatchNorm at the head's input (22-30 units alive, "
                        "distance 0.298 over seeds 0-7), 128 units, extra head steps. ReLU features with "
                        "everything else unchanged, seeds 0-7 and then 8-15 as a hold-out: target accuracy 0.902 "
                        "and 0.878 against source-only's 0.702 and 0.708; distance 0.293 and 0.328 against 0.617 "
                        "and 0.498 (2,000 fresh points a domain, seeds 0-7: 0.430 against 0.879). Source-only "
                        "transfers worse with ReLU units than with sigmoid ones (0.70 against 0.79), and DANN "
                        "recovers more of it. One run's distance still swings between seeds (0.05-0.59 over "
                        "seeds 8-15), and 1 of the 16 seeds (15) stalls near source-only's accuracy (0.67). The "
                        "linear distance starts from nothing: the moons and their rotation about their centre are "
                        "linearly indistinguishable in the input (-0.10), so any nonlinear feature map raises it.")


def dann_digits(ctx: Context) -> Outcome:
    from genlab.experiments import dann

    folder = ctx.folder("dann-digits")
    task = "mnist" if available("mnist") else "mnist-5k"
    setup = dann.SETUPS[task]
    if ctx.profile == "quick":  # a pipeline check: a few dozen steps per mode
        setup = dataclasses.replace(setup, train=dataclasses.replace(setup.train, epochs=0, max_steps=40))
    res = dann.compare(task, seeds=budget(ctx, 1, 3), device=ctx.device, out_dir=folder, setup=setup)
    return Outcome(sorted(ctx.rel(p) for p in folder.glob("*.png")), _dann_numbers(res),
                   data=f"{res['source']} -> {res['target']}", measured=measures.dann_measured(res),
                   note=dann.where_the_gap_is(res) + "For orientation: Ganin et al. (2016) report 0.7666 target accuracy "
                        "for DANN on MNIST -> MNIST-M (real MNIST-M, larger nets and budget). What made DANN work here is "
                        "Adam's momentum: the three nets play a min-max game, and with Adam's default beta1 0.9 each "
                        "player's momentum carries its last steps on after the other has answered them, so the game "
                        "overshoots (DCGAN uses beta1 0.5 for that reason, WGAN-GP 0). At beta1 0.9 and Ganin's "
                        "lambda 1 DANN did no better than source-only (0.43 vs 0.41); the setting before stop 28, "
                        "lambda 0.3, reached 0.549 ± 0.026 against 0.421 ± 0.018 and missed both claims. At beta1 0 "
                        "(both baselines use the same optimizer) lambda 1 is stable, and the gain comes from the "
                        "brighter half of the target, where at beta1 0.9 DANN had reached 0.43 (third quarter) and "
                        "0.17 (brightest; the quarters above are this page's own, at beta1 0). config/dann.py lists "
                        "every setting tried, with its numbers.")


def _dann_numbers(res: dict) -> dict:
    out = {}
    for mode, metrics in res["modes"].items():
        for key, cell in metrics.items():
            out[f"{mode}: {key}"] = f"{cell['mean']:.3f} ± {cell['std']:.3f} (n={len(cell['values'])})"
    by = res.get("target_accuracy_by_brightness")
    for mode, cell in (by["modes"].items() if by else ()):
        out[f"{mode}: target accuracy by brightness quarter, darkest first"] = " / ".join(f"{a:.3f}"
                                                                                       for a in cell["mean"])
    return out


def gan_1d(ctx: Context) -> Outcome:
    from genlab.experiments import gan as gex

    folder = ctx.folder("gan-1d")
    steps = (1, 50, 150) if ctx.profile == "quick" else (1, 150, 500, 2000)
    stages = gex.stages_experiment(folder, steps=steps, seed=ctx.seed)
    ctx.commands.append(train_command(gex.config_1d(Gan1dConfig(), data="gauss-1d", max_steps=max(steps),
                                                    seed=ctx.seed), out="runs/gan-1d"))
    optimum = gex.optimum_experiment(folder, steps=budget(ctx, 200, 1500), seed=ctx.seed)
    numbers = {f"step {s['step']}: max |D - D*|": s["max_abs_d_minus_d_star"] for s in stages["stages"]}
    numbers.update({"fixed affine G: max |D - D*| after training D": optimum["max_abs_error"],
                    "V(D*, G) by integration": optimum["value_at_d_star"],
                    "-log 4 + 2 JSD": optimum["minus_log4_plus_2jsd"],
                    "V(D, G) at the trained D, by integration": optimum["value_at_trained_d"]})
    figs = [p for p in ("gan_1d_stages.png", "gan_optimum.png") if (folder / p).exists()]
    measured = {"max_abs_d_minus_d_star": optimum["max_abs_error"], "value_at_trained_d": optimum["value_at_trained_d"],
                "value_at_d_star": optimum["value_at_d_star"], "minus_log4_plus_2jsd": optimum["minus_log4_plus_2jsd"]}
    return Outcome([ctx.rel(folder / p) for p in figs], numbers, data="gauss-1d: p_data = N(4, 0.5^2)",
                   measured=measured)


def dcgan(ctx: Context) -> Outcome:
    from genlab.experiments import gan as gex

    options = {"batch_size": 64, "image_size": 32, "ngf": budget(ctx, 16, 32), "ndf": budget(ctx, 16, 32)}
    total = budget(ctx, 30, 4500)
    net_dir = lecture_featurenet(ctx, "fashion-mnist", 32)
    # FID over training: the run is trained to an early stage, measured, then resumed to the end (the same
    # weights an unbroken run reaches: resume is exact), and measured again. Stages measured are recorded, so
    # a re-run whose run is already past the early stage reuses its number instead of mislabelling the last.
    folder = ctx.folder("dcgan")
    record_path = folder / "fid_over_training.json"
    fids = {int(k): v for k, v in json.loads(record_path.read_text()).items()} if record_path.exists() else {}
    stage = budget(ctx, 10, 900)
    early = train_cached(ctx, "dcgan-fashion", "gan", "fashion-mnist", steps=stage, **options)
    if early.meta.get("step") == stage:
        fids[stage] = featurenet_fid_of(early, net_dir)
        io.write_json(record_path, fids)
    run = train_cached(ctx, "dcgan-fashion", "gan", "fashion-mnist", steps=total, **options)
    fids[total] = featurenet_fid_of(run, net_dir)
    io.write_json(record_path, fids)
    fid_first, fid_last = fids.get(stage), fids[total]
    samples = sorted((run.run_dir / "samples").glob("*.png"))
    keep = [samples[i] for i in sorted({0, len(samples) // 2, len(samples) - 1})] if samples else []
    final = folder / "dcgan_samples.png"
    gdata.save_grid(run.task.sample(64, generator=torch.Generator(device=run.task.device).manual_seed(0)).cpu(),
                    final)
    game = folder / "dcgan_game.png"
    gex.plot_game(run.run_dir / "metrics.jsonl", game)
    copies = []
    for p in keep:  # the per-epoch grids, copied next to the page's other figures
        dst = folder / f"over_training_{p.name}"
        dst.write_bytes(p.read_bytes())
        copies.append(ctx.rel(dst))
    memorised = measures.d_memorisation(run)
    numbers = {"test " + k: v for k, v in last_test(run.run_dir).items()}
    numbers.update({"mean D(x), 1000 train images": memorised["d_real_train"],
                    "mean D(x), 1000 test images": memorised["d_real_test"],
                    **{f"feature-net FID at step {s}": v for s, v in sorted(fids.items())}})
    return Outcome([ctx.rel(final), *copies, ctx.rel(game)], numbers, data="fashion-mnist (32x32)",
                   measured={**memorised, "fid_first": fid_first, "fid_last": fid_last},
                   note="D(x) on train vs test images shows how far D has memorised its train split. FID: on "
                        "genlab's own Fashion-MNIST feature net (not Inception), 5,000 samples against half "
                        "the test split.")


def considerations(ctx: Context) -> Outcome:
    from genlab.experiments import gan as gex

    folder = ctx.folder("gan-considerations")
    sat = gex.saturation_experiment(folder, steps=budget(ctx, 100, 600), seed=ctx.seed)
    numbers = {}
    for loss, cell in sat.items():
        for key, value in cell.items():
            numbers[f"{loss}: {key}"] = value
    equilibrium = ctx.out / "experiments" / "gan-1d" / "gan_1d_equilibrium.png"
    figs = [ctx.rel(p) for p in sorted(folder.glob("*.png"))]
    if equilibrium.exists():
        figs.append(ctx.rel(equilibrium))
    measured = {"minimax_grad_norm_g": sat["minimax"]["median_grad_norm_g_while_confident"],
                "non_saturating_grad_norm_g": sat["non-saturating"]["median_grad_norm_g_while_confident"]}
    dcgan_metrics = ctx.out / "runs" / "dcgan-fashion" / "metrics.jsonl"    # D wins: the DCGAN section's run
    if dcgan_metrics.exists():
        measured.update(measures.d_wins(dcgan_metrics))
    stages_metrics = ctx.out / "experiments" / "gan-1d" / "gan-1d-stages" / "metrics.jsonl"  # the equilibrium plot's run
    if stages_metrics.exists():
        measured.update(measures.gan_tail(stages_metrics))
    numbers.update({k: v for k, v in measured.items() if k not in numbers})
    return Outcome(figs, numbers, data="gauss-1d", measured=measured,
                   note="Saturation: D given a head start (5 D-steps per G-step); the min-max generator "
                        "loss gives vanishing gradients while D(G(z)) is near 0, the non-saturating one does not.")


def _cmd(*parts: str) -> str:
    return "\n".join(parts)


EXPERIMENTS = [
    Experiment("vae-recap", "VAE recap: the ELBO identity, checked exactly",
               "L(x) = log p(x) - KL(q(z|x) || p(z|x)): the ELBO equals log p(x) when q is the true posterior, "
               "and the importance-weighted bound tightens towards log p(x) as K grows.",
               "python -c 'from genlab.experiments.elbo_check import elbo_identity; print(elbo_identity(\"elbo.png\"))'",
               elbo_recap, {"quick": 0.05, "default": 0.1}),
    Experiment("reparam", "Reparameterization: a low-variance gradient of E_q[f(z)]",
               "Writing z = mu + sigma * eps with eps ~ N(0, I) decouples the sampling from the gradient: "
               "grad E_q[f(z)] = E_eps[grad f(mu + sigma * eps)]. Like the score-function (REINFORCE) estimator "
               "E_q[f(z) grad log q(z)] it is unbiased, but its variance is far lower at equal samples.",
               _cmd("python -c 'import torch; from genlab.training.runfolder import load_run; "
                    "from genlab.experiments import autoencoders as a, reparam as r; "
                    "run = load_run(\"runs/vae-reparam\", device=torch.device(\"cpu\")); "
                    "print(r.reparam_experiment(\".\", run, a.test_images(run, 1)[0]))'"),
               reparameterization, {"quick": 0.2, "default": 0.3}),
    Experiment("ae-recon", "Standard AE: reconstruction (faces)",
               "A deterministic autoencoder reconstructs faces through a low-dimensional code.",
               "genlab plot runs/ae-faces recon", ae_recon, {"quick": 0.1, "default": 1.5}),
    Experiment("ae-noisy-latent", "Standard AE with noise added to the code",
               "Adding noise to an AE's code before decoding degrades the reconstruction: nothing trained the "
               "decoder to handle codes near, but not at, the encoded points.",
               "genlab plot runs/ae-faces latent-noise", ae_noisy, {"quick": 0.02, "default": 0.05}),
    Experiment("ae-noise-only", "Standard AE decoding pure noise",
               "Decoding N(0, I) noise with a plain AE gives no faces: its code space is not a generative model.",
               "genlab plot runs/ae-faces noise-decode", ae_noise_only, {"quick": 0.02, "default": 0.05}),
    Experiment("vae-recon", "VAE: reconstruction from a posterior sample",
               "A VAE reconstructs from a sample z ~ q(z|x) = N(mu(x), sigma(x)^2 I) via z = mu + sigma * eps.",
               "genlab plot runs/vae-faces recon", vae_sample_recon, {"quick": 0.1, "default": 1.5}),
    Experiment("vae-generation", "VAE: generation from N(0, I)",
               "Because training pulls q(z|x) towards the prior, decoding z ~ N(0, I) gives plausible images.",
               _cmd("genlab sample runs/vae-faces --n 64 --out faces.png",
                    "genlab sample runs/vae-fashion --n 64 --out fashion.png"),
               vae_generate, {"quick": 0.1, "default": 1}),
    Experiment("vae-manifold", "VAE: the 2-D latent manifold of digits",
               "Decoding a linearly spaced grid of a 2-D latent shows clusters of similar digits that morph into "
               "each other, with some non-digits in between.",
               "genlab plot runs/vae-digits-2d manifold", manifold,
               {"quick": 0.1, "default": 1.2}),
    Experiment("vae-latent", "VAE: the latent distribution",
               "Encoded means cluster by class and roughly fill the prior N(0, I); KL per dimension shows how "
               "many latent units the model actually uses.",
               "genlab plot runs/vae-digits-2d latent\ngenlab plot runs/vae-fashion kl-per-dim", latent_distribution,
               {"quick": 0.02, "default": 0.1}),
    Experiment("dann-two-moons", "Adversarial loss: domain-adversarial training on two moons",
               "Increasing the loss of a domain classifier (gradient reversal) makes features domain-invariant, "
               "so a classifier trained on the source transfers to a shifted target.",
               "python -m genlab.experiments.dann --task two-moons --seeds 3", dann_moons,
               {"quick": 0.05, "default": 0.4}),
    Experiment("dann-digits", "Adversarial loss: digits to digits on photos",
               "The same on images: MNIST digits to digits blended with photo patches (MNIST-M construction).",
               "python -m genlab.experiments.dann --task mnist-5k --seeds 3", dann_digits,
               {"quick": 0.1, "default": 1.7}),
    Experiment("gan-1d", "GAN: the simple 1-D example, D vs the optimal D*",
               "For a fixed G the optimal discriminator is D* = p_data / (p_data + p_g) and the game's value is "
               "-log 4 + 2 JSD(p_data || p_g); training moves p_g towards p_data and D towards 1/2.",
               "genlab plot runs/gan-1d stages", gan_1d, {"quick": 0.05, "default": 0.3}),
    Experiment("dcgan", "GAN: DCGAN samples on Fashion-MNIST",
               "A convolutional generator learns to turn noise into clothing images; fixed noise shows the "
               "samples improving over training.",
               _cmd("genlab sample runs/dcgan-fashion --n 64 --out dcgan.png",
                    "genlab featurenet train --data fashion-mnist --image-size 32",
                    "genlab evaluate runs/dcgan-fashion --fid"), dcgan, {"quick": 0.2, "default": 7.5}),
    Experiment("gan-considerations", "GAN considerations: D wins, saturation, equilibrium",
               "D usually wins and saturates first; with the min-max loss G's gradient vanishes when D is "
               "confident, the non-saturating loss keeps G learning; at equilibrium D outputs 1/2 for both.",
               "python -c 'from genlab.experiments.gan import saturation_experiment as s; print(s(\".\"))'",
               considerations, {"quick": 0.05, "default": 0.1}),
    *BEYOND,  # the part after the lecture's own sections (genlab.experiments.beyond)
]
