"""The lecture's claims, each a check of its section's own measured numbers (no torch: pure arithmetic).

Every section of `genlab lecture` hands back `measured`, a dict of plain numbers (JSON). A `Check` names the
section, states its claim in one sentence, and tests it with a small function whose keyword arguments are the
measured keys it needs; `judge(section, status, measured)` turns a section's result into `Claim`s:

- a finished section: each claim `held` true or false, with `detail` naming the numbers compared;
- a claim whose numbers the section does not measure (yet): held false, "not measured yet: ...";
- a skipped section (missing data): held None; a failed section: held false with the failure.

Thresholds are the ones stated in issue 14 (the lecture's contract, see DESIGN.md "The lecture's claims");
where it states none, the sentence says which threshold is used. A claim that does not hold is a finding and
is shown as such; thresholds are never loosened to make one pass.
"""

from __future__ import annotations

import inspect
import itertools
import math
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass

from genlab.metrics.wasserstein import penalised_optimum

NOT_MEASURED = "not measured yet"


@dataclass(frozen=True)
class Claim:
    section: str              # the experiment's key
    claim: str                # one sentence
    held: bool | None         # None: the section was skipped
    measured: dict            # the numbers the check compared (JSON values)
    detail: str = ""          # how they compare, or why the claim was not judged


@dataclass(frozen=True)
class Check:
    section: str
    claim: str
    test: Callable[..., tuple[bool, str]]   # keyword-only measured values -> (held, detail)

    @property
    def needs(self) -> tuple[str, ...]:
        """The measured keys the test reads: its keyword-only parameters without a default (those with one
        are the check's thresholds)."""
        return tuple(p.name for p in inspect.signature(self.test).parameters.values()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _seed_stats(values: list[float]) -> tuple[float, float, int]:
    """mean, sample sd (0 for one value), n."""
    return (statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0, len(values))


# --- the checks, section by section ------------------------------------------------------------------------

def elbo_identity_exact(*, exact_posterior_gap: float, identity_gap: float, tolerance: float = 1e-9):
    """ELBO(exact posterior) = log p(x) and ELBO(q) = log p(x) - KL(q || p(z|x)), both to `tolerance` nats."""
    held = exact_posterior_gap <= tolerance and identity_gap <= tolerance
    return held, (f"max gaps {_fmt(exact_posterior_gap)} and {_fmt(identity_gap)} nats "
                  f"({'<=' if held else 'not both <='} {tolerance:g})")


def iwae_tightens(*, iwae_gap_by_k: dict):
    """The importance-weighted bound's mean gap to log p(x) at the largest K is under 1/100 of K=1's."""
    gaps = {int(k): float(v) for k, v in iwae_gap_by_k.items()}
    if 1 not in gaps or len(gaps) < 2:
        return False, f"needs K=1 and a larger K; measured K = {sorted(gaps)}"
    k_max = max(gaps)
    held = abs(gaps[k_max]) <= abs(gaps[1]) / 100
    return held, (f"|gap| at K={k_max}: {_fmt(abs(gaps[k_max]))} {'<=' if held else '>'} "
                  f"|gap at K=1| / 100 = {_fmt(abs(gaps[1]) / 100)} nats")


def unbiased_within_3_se(*, reparameterized_max_z: float, score_function_max_z: float):
    """Both estimators' means within 3 standard errors of the exact gradient, in every coordinate."""
    held = reparameterized_max_z <= 3 and score_function_max_z <= 3
    return held, (f"largest |mean - exact| / standard error: reparameterized {reparameterized_max_z:.2f}, "
                  f"score function {score_function_max_z:.2f} ({'both <=' if held else 'not both <='} 3)")


def pooled_unbiased_within_3_se(*, reparameterized_pooled_max_z: float, score_function_pooled_max_z: float,
                                pooled_draws: int, reparameterized_seed_failures: float,
                                score_function_seed_failures: float, seed_failures_by_chance: float):
    """`unbiased_within_3_se` on the draws of all seeds pooled; each seed's own check is reported beside it."""
    held, detail = unbiased_within_3_se(reparameterized_max_z=reparameterized_pooled_max_z,
                                        score_function_max_z=score_function_pooled_max_z)
    return held, (f"{detail}, over {pooled_draws:,} draws pooled; the 3-SE check at single seeds failed at "
                  f"{reparameterized_seed_failures:.1%} (reparameterized) and {score_function_seed_failures:.1%} "
                  f"(score function) of seeds, {seed_failures_by_chance:.1%} expected by chance")


def variance_10x_lower(*, variance_ratio: float):
    """Score-function variance / reparameterized variance (trace of each per-sample covariance) >= 10."""
    held = variance_ratio >= 10
    return held, f"score-function / reparameterized variance = {_fmt(variance_ratio)} ({'>=' if held else '<'} 10)"


def vae_unbiased(*, vae_reparameterized_max_z: float, vae_score_function_max_z: float):
    return unbiased_within_3_se(reparameterized_max_z=vae_reparameterized_max_z,
                                score_function_max_z=vae_score_function_max_z)


def vae_variance_10x_lower(*, vae_variance_ratio: float):
    return variance_10x_lower(variance_ratio=vae_variance_ratio)


def beats_half_mean_image(*, test_mse: float, mean_image_mse: float):
    """Reconstruction MSE at most half the MSE of predicting the mean training image for every test image."""
    held = test_mse <= 0.5 * mean_image_mse
    return held, (f"test MSE {_fmt(test_mse)} {'<=' if held else '>'} half the mean image's "
                  f"{_fmt(mean_image_mse)} = {_fmt(0.5 * mean_image_mse)}")


def noise_degrades(*, mse_by_code_std: dict):
    """MSE grows with noise (in units of the codes' std) at every step, and at 1 std is >= 2x the clean MSE."""
    pts = sorted((float(k), float(v)) for k, v in mse_by_code_std.items())
    levels = dict(pts)
    if 0.0 not in levels or 1.0 not in levels:
        return False, f"needs noise 0 and 1 std; measured {[p[0] for p in pts]}"
    growing = all(b[1] > a[1] for a, b in itertools.pairwise(pts))
    ratio = levels[1.0] / levels[0.0] if levels[0.0] > 0 else math.inf
    held = growing and ratio >= 2
    return held, (f"MSE by noise {', '.join(f'{m:g}: {_fmt(v)}' for m, v in pts)} ({'grows' if growing else 'does not grow'} "
                  f"at every step); at 1 std {_fmt(ratio)}x the clean MSE ({'>=' if ratio >= 2 else '<'} 2x)")


def _closer(near: float, near_se: float, far: float, far_se: float, near_name: str, far_name: str):
    """near is below far by more than 3 standard errors of the difference."""
    margin = 3 * math.hypot(near_se, far_se)
    held = far - near > margin
    return held, (f"mean nearest-neighbour distance: {near_name} {_fmt(near)} ± {_fmt(near_se)}, {far_name} "
                  f"{_fmt(far)} ± {_fmt(far_se)}; difference {_fmt(far - near)} {'>' if held else '<='} "
                  f"3 standard errors = {_fmt(margin)}")


def noise_decodes_off_data(*, recon_nn: float, recon_nn_se: float, noise_nn: float, noise_nn_se: float):
    """Decoded N(0, I) noise lies farther from the training images than decoded test codes do."""
    return _closer(recon_nn, recon_nn_se, noise_nn, noise_nn_se, "reconstructions", "decoded noise")


def vae_closer_than_ae_faces(*, faces_vae_nn: float, faces_vae_nn_se: float, faces_ae_nn: float,
                             faces_ae_nn_se: float):
    return _closer(faces_vae_nn, faces_vae_nn_se, faces_ae_nn, faces_ae_nn_se, "VAE samples", "AE decoded noise")


def vae_closer_than_ae_fashion(*, fashion_vae_nn: float, fashion_vae_nn_se: float, fashion_ae_nn: float,
                               fashion_ae_nn_se: float):
    return _closer(fashion_vae_nn, fashion_vae_nn_se, fashion_ae_nn, fashion_ae_nn_se, "VAE samples",
                   "AE decoded noise")


def classes_cluster(*, knn_accuracy: float, k: int, threshold: float = 0.7):
    """k-NN accuracy of the encoded 2-D test means (neighbours among encoded train means) >= threshold."""
    held = knn_accuracy >= threshold
    return held, f"{k}-NN accuracy {knn_accuracy:.3f} ({'>=' if held else '<'} {threshold}; chance 0.1)"


def aggregate_near_prior(*, means_mean: list, means_cov: list, mean_tol: float = 0.2, cov_tol: float = 0.3):
    """The encoded means' aggregate: every coordinate's mean within mean_tol of 0, covariance within cov_tol
    of the identity (entrywise)."""
    d = len(means_mean)
    worst_mean = max(abs(float(m)) for m in means_mean)
    worst_cov = max(abs(float(means_cov[i][j]) - (i == j)) for i in range(d) for j in range(d))
    held = worst_mean <= mean_tol and worst_cov <= cov_tol
    return held, (f"largest |mean| {_fmt(worst_mean)} ({'<=' if worst_mean <= mean_tol else '>'} {mean_tol}), "
                  f"largest |Cov - I| entry {_fmt(worst_cov)} ({'<=' if worst_cov <= cov_tol else '>'} {cov_tol})")


def aggregate_posterior_near_prior(*, means_mean: list, means_cov: list, posterior_var_mean: list,
                                   mean_tol: float = 0.2, cov_tol: float = 0.3):
    """The aggregate posterior q(z) = E_x q(z|x) (what training pulls towards the prior): its mean is the means'
    mean, its covariance Cov(mu) + E[diag sigma^2]; each within the same tolerances of N(0, I). (The means
    alone have covariance I - E[diag sigma^2] at best, so for them a gap from I is expected.)"""
    d = len(means_mean)
    cov = [[float(means_cov[i][j]) + (float(posterior_var_mean[i]) if i == j else 0.0) for j in range(d)]
           for i in range(d)]
    return aggregate_near_prior(means_mean=means_mean, means_cov=cov, mean_tol=mean_tol, cov_tol=cov_tol)


def some_units_active(*, active_units: int, latent_dim: int):
    """The KL per dimension singles out the units the model uses: at least one, and not all of them."""
    held = 0 < active_units < latent_dim
    return held, f"{active_units} of {latent_dim} units active ({'some, not all' if held else 'none or all'})"


def _gain(dann: list, base: list, *, at_least: float, seeds: int) -> tuple[bool, str]:
    (m, s, n), (bm, bs, bn) = _seed_stats(dann), _seed_stats(base)
    enough = min(n, bn) >= seeds
    separated = m - s > bm + bs
    held = enough and m - bm >= at_least and separated
    return held, (f"DANN {m:.3f} ± {s:.3f} vs source-only {bm:.3f} ± {bs:.3f} (n={n}, {bn}; needs {seeds} seeds): "
                  f"gain {m - bm:+.3f} ({'>=' if m - bm >= at_least else '<'} {at_least}); mean - sd "
                  f"{'>' if separated else '<='} source-only mean + sd")


def moons_gain(*, dann_target_accuracy: list, source_only_target_accuracy: list):
    """DANN's target accuracy - source-only's >= 0.10 over >= 3 seeds, mean - sd above source-only mean + sd."""
    return _gain(dann_target_accuracy, source_only_target_accuracy, at_least=0.10, seeds=3)


def lower_a_distance(*, dann_proxy_a_distance: list, source_only_proxy_a_distance: list):
    """DANN's features are more domain-invariant: a lower mean proxy A-distance than source-only's."""
    m, bm = statistics.fmean(dann_proxy_a_distance), statistics.fmean(source_only_proxy_a_distance)
    held = m < bm
    return held, f"proxy A-distance DANN {m:.3f} {'<' if held else '>='} source-only {bm:.3f}"


def digits_level(*, dann_target_accuracy: list):
    """DANN's mean target accuracy over >= 3 seeds >= 0.60."""
    m, s, n = _seed_stats(dann_target_accuracy)
    held = m >= 0.60 and n >= 3
    return held, f"DANN target accuracy {m:.3f} ± {s:.3f} (n={n}; needs 3 seeds and >= 0.60)"


def digits_gain(*, dann_target_accuracy: list, source_only_target_accuracy: list,
                train_on_target_accuracy: list):
    """Gain >= 0.20 with seed separation (>= 3 seeds), closing at least half the gap to train-on-target."""
    held, detail = _gain(dann_target_accuracy, source_only_target_accuracy, at_least=0.20, seeds=3)
    m, bm = statistics.fmean(dann_target_accuracy), statistics.fmean(source_only_target_accuracy)
    top = statistics.fmean(train_on_target_accuracy)
    closed = (m - bm) / (top - bm) if top > bm else math.nan
    half = closed >= 0.5
    return held and half, f"{detail}; closes {closed:.0%} of the gap to train-on-target {top:.3f} (needs >= 50%)"


def d_matches_d_star(*, max_abs_d_minus_d_star: float):
    held = max_abs_d_minus_d_star <= 0.05
    return held, f"max |D - D*| = {max_abs_d_minus_d_star:.4f} ({'<=' if held else '>'} 0.05)"


def value_matches_jsd(*, value_at_trained_d: float, minus_log4_plus_2jsd: float):
    """V(D, G) at the trained D equals -log 4 + 2 JSD(p_data || p_g) (Goodfellow et al. 2014, Thm. 1) to 1e-2."""
    gap = abs(value_at_trained_d - minus_log4_plus_2jsd)
    held = gap <= 1e-2
    return held, (f"V(D, G) = {value_at_trained_d:.4f}, -log 4 + 2 JSD = {minus_log4_plus_2jsd:.4f}: "
                  f"|difference| {gap:.2e} ({'<=' if held else '>'} 1e-2)")


def d_usually_wins(*, d_wins_fraction: float, logged_steps: int):
    """D(x) > D(G(z)) at more than half of the logged training steps."""
    held = logged_steps > 0 and d_wins_fraction > 0.5
    return held, f"D(x) > D(G(z)) at {d_wins_fraction:.0%} of {logged_steps} logged steps (needs > 50%)"


def saturation(*, minimax_grad_norm_g: float, non_saturating_grad_norm_g: float):
    """While D is confident, the min-max G's gradient is at least 100x (two orders) below the non-saturating one."""
    ratio = non_saturating_grad_norm_g / minimax_grad_norm_g if minimax_grad_norm_g > 0 else math.inf
    held = ratio >= 100
    return held, (f"median |grad G|: min-max {_fmt(minimax_grad_norm_g)}, non-saturating "
                  f"{_fmt(non_saturating_grad_norm_g)}: ratio {_fmt(ratio)} ({'>=' if held else '<'} 100)")


def equilibrium(*, final_d_real: float, final_d_fake: float):
    """At the end of the 1-D run, mean D(x) and mean D(G(z)) are both within 0.05 of 1/2."""
    worst = max(abs(final_d_real - 0.5), abs(final_d_fake - 0.5))
    held = worst <= 0.05
    return held, (f"D(x) = {final_d_real:.3f}, D(G(z)) = {final_d_fake:.3f}: largest |D - 1/2| {worst:.3f} "
                  f"({'<=' if held else '>'} 0.05)")


def fid_falls(*, fid_first: float, fid_last: float):
    """The feature-net FID of the samples at the end of training is below that at the first epoch."""
    held = fid_last < fid_first
    return held, f"FID first epoch {_fmt(fid_first)}, last {_fmt(fid_last)} ({'falls' if held else 'does not fall'})"


def iwae_lower_nll(*, nll_a: float, nll_b: float, nll_difference: float, nll_difference_se: float):
    """The IWAE-trained model's test NLL is below the ELBO-trained one's by more than 3 standard errors of
    the paired per-image difference."""
    held = nll_difference > 3 * nll_difference_se
    return held, (f"test NLL: ELBO-trained {_fmt(nll_a)}, IWAE-trained {_fmt(nll_b)} nats; difference "
                  f"{_fmt(nll_difference)} {'>' if held else '<='} 3 standard errors = {_fmt(3 * nll_difference_se)}")


def class_accuracy_90(*, class_accuracy: float):
    """At least 90% of the conditional samples are labelled as their requested class by the feature net."""
    held = class_accuracy >= 0.9
    return held, f"{class_accuracy:.1%} of the samples labelled as the class asked for ({'>=' if held else '<'} 90%)"


def critic_matches_w1(*, w1_values: list, critic_gaps: list, gp_weight: float):
    """Each fixed G's critic gap is within 5% of the penalised optimum W1 (1 + W1 / (2 lambda)), the exact answer
    for a G that shifts the data by W1."""
    expected = [penalised_optimum(w, gp_weight) for w in w1_values]
    errors = [abs(g - e) / e for g, e in zip(critic_gaps, expected, strict=True)]
    held = max(errors) <= 0.05
    pairs = ", ".join(f"W1 {_fmt(w)}: gap {_fmt(g)} vs {_fmt(e)}" for w, g, e in zip(w1_values, critic_gaps, expected,
                                                                                   strict=True))
    return held, f"{pairs}; largest error {max(errors):.1%} ({'<=' if held else '>'} 5%)"


def critic_does_not_saturate(*, wgan_grad_norm_g_far: float, minimax_grad_norm_g: float):
    """With the critic ahead and G far from the data, G's gradient is at least 100x the min-max G's while D is
    confident (same head start)."""
    ratio = wgan_grad_norm_g_far / minimax_grad_norm_g
    held = ratio >= 100
    return held, (f"median |grad G|: WGAN-GP while W1 > 1 {_fmt(wgan_grad_norm_g_far)}, min-max while D(G(z)) < 0.1 "
                  f"{_fmt(minimax_grad_norm_g)}: ratio {_fmt(ratio)} ({'>=' if held else '<'} 100)")


CHECKS: tuple[Check, ...] = (
    Check("vae-recap", "The ELBO equals log p(x) at the exact posterior and log p(x) - KL(q || p(z|x)) for a "
          "wrong q, to 1e-9 nats.", elbo_identity_exact),
    Check("vae-recap", "The importance-weighted bound tightens towards log p(x): at the largest K its gap is "
          "under 1/100 of the K=1 gap (the ELBO's).", iwae_tightens),
    Check("reparam", "Closed form (Gaussian q, quadratic f): the reparameterized and the score-function "
          "estimators are both unbiased, within 3 standard errors of the exact gradient (all seeds' draws "
          "pooled).", pooled_unbiased_within_3_se),
    Check("reparam", "Closed form: the reparameterized estimator's variance is at least 10x lower than the "
          "score function's at equal samples.", variance_10x_lower),
    Check("reparam", "A trained VAE's encoder (f = log p(x|z)): both estimators are unbiased, within 3 standard "
          "errors of a very large reparameterized sample.", vae_unbiased),
    Check("reparam", "A trained VAE's encoder: the reparameterized variance is at least 10x lower than the "
          "score function's at equal samples.", vae_variance_10x_lower),
    Check("ae-recon", "The AE reconstructs unseen faces clearly better than a baseline: test MSE at most half "
          "that of predicting the mean training face.", beats_half_mean_image),
    Check("ae-noisy-latent", "Noise on the code (in units of the codes' own std: 0, 0.25, 0.5, 1, 2) degrades "
          "the reconstruction: MSE grows with it, and at 1 std it is at least twice the clean MSE.",
          noise_degrades),
    Check("ae-noise-only", "The AE's decoded N(0, I) noise lies off the data: farther from the training faces "
          "than its reconstructions of test faces (mean nearest-neighbour distance in pixels, by more than 3 "
          "standard errors).", noise_decodes_off_data),
    Check("vae-recon", "The VAE reconstructs from a posterior sample clearly better than a baseline: test MSE "
          "at most half that of predicting the mean training face.", beats_half_mean_image),
    Check("vae-generation", "Faces: the VAE's decoded N(0, I) samples are closer to the training faces than "
          "the AE's decoded N(0, I) noise (mean nearest-neighbour distance in pixels, by more than 3 standard "
          "errors).", vae_closer_than_ae_faces),
    Check("vae-generation", "Fashion-MNIST: the VAE's decoded N(0, I) samples are closer to the training "
          "images than an AE's decoded N(0, I) noise (the same measure).", vae_closer_than_ae_fashion),
    Check("vae-manifold", "Classes cluster in the 2-D latent: 5-NN accuracy of the encoded test means is at "
          "least 0.7 (chance 0.1).", classes_cluster),
    Check("vae-latent", "The aggregate of encoded means is near N(0, I): each coordinate's mean within 0.2 of "
          "0, the covariance within 0.3 of the identity.", aggregate_near_prior),
    Check("vae-latent", "The aggregate posterior E_x q(z|x) is near N(0, I): its mean within 0.2 of 0, its "
          "covariance Cov(mu) + E[sigma^2] within 0.3 of the identity.", aggregate_posterior_near_prior),
    Check("vae-latent", "The KL per dimension shows the 200-D VAE using some of its units but not all.",
          some_units_active),
    Check("dann-two-moons", "DANN's target accuracy beats source-only by at least 0.10 (mean over 3 seeds, "
          "mean - sd above source-only's mean + sd).", moons_gain),
    Check("dann-two-moons", "DANN's features are more domain-invariant: a lower proxy A-distance than "
          "source-only's.", lower_a_distance),
    Check("dann-digits", "DANN reaches a target accuracy of at least 0.60 (mean over 3 seeds).", digits_level),
    Check("dann-digits", "DANN beats source-only by at least 0.20, closing at least half the gap to "
          "train-on-target (mean over 3 seeds, mean - sd above source-only's mean + sd).", digits_gain),
    Check("dann-digits", "DANN's features are more domain-invariant: a lower proxy A-distance than "
          "source-only's.", lower_a_distance),
    Check("gan-1d", "For a fixed G, the trained D is within 0.05 of D* = p_data / (p_data + p_g) over the "
          "data's central 95%.", d_matches_d_star),
    Check("gan-1d", "The game's value at that D is -log 4 + 2 JSD(p_data || p_g), within 1e-2.",
          value_matches_jsd),
    Check("dcgan", "The feature-net FID of the DCGAN's samples falls over training.", fid_falls),
    Check("gan-considerations", "D usually wins: D(x) > D(G(z)) over most (more than half) of the DCGAN's "
          "logged training steps.", d_usually_wins),
    Check("gan-considerations", "Saturation: while D is confident, the min-max generator's gradient is at "
          "least two orders of magnitude below the non-saturating one's.", saturation),
    Check("gan-considerations", "Equilibrium: at the end of the 1-D run, D(x) and D(G(z)) are both within 0.05 "
          "of 1/2.", equilibrium),
    Check("beyond-iwae", "Training on the K=5 importance-weighted bound gives a lower test NLL than training on "
          "the ELBO, same nets and steps (by more than 3 standard errors of the paired difference).",
          iwae_lower_nll),
    Check("beyond-conditional", "The feature net's classifier labels at least 90% of the conditional VAE's "
          "samples as the class they were drawn for.", class_accuracy_90),
    Check("beyond-wasserstein", "Against a fixed G, the WGAN-GP critic's gap E f(x) - E f(G(z)) is the exact "
          "Wasserstein-1 distance as the penalty shapes it, W1 (1 + W1 / 2 lambda), within 5% (W1 = 0.5, 1, 2).",
          critic_matches_w1),
    Check("beyond-wasserstein", "The critic does not saturate: with it ahead and G far from the data, G's "
          "gradient is at least 100x the min-max generator's with the same head start.", critic_does_not_saturate),
)


def checks_for(section: str) -> tuple[Check, ...]:
    return tuple(c for c in CHECKS if c.section == section)


def evaluate(check: Check, measured: dict) -> Claim:
    """One check on a finished section's measured numbers; a missing number makes it 'not measured yet'."""
    values = {k: measured.get(k) for k in check.needs}
    absent = sorted(k for k, v in values.items() if _missing(v))
    if absent:
        return Claim(check.section, check.claim, False, {k: v for k, v in values.items() if not _missing(v)},
                     f"{NOT_MEASURED}: {', '.join(absent)}")
    held, detail = check.test(**values)
    return Claim(check.section, check.claim, bool(held), values, detail)


def judge(section: str, status: str, measured: dict | None, *, reason: str = "") -> list[Claim]:
    """The claims of one section: judged when it is done, None when skipped, false when it failed."""
    checks = checks_for(section)
    if status == "done":
        return [evaluate(c, measured or {}) for c in checks]
    held = None if status == "skipped" else False
    why = f"section {status}" + (f": {reason}" if reason else "")
    return [Claim(c.section, c.claim, held, {}, why) for c in checks]


def summary(claims: list[Claim]) -> dict:
    """{"claims_held", "claims_total", "claims": [...]} as in DESIGN.md's lecture.json."""
    return {"claims_held": sum(c.held is True for c in claims), "claims_total": len(claims),
            "claims": [asdict(c) for c in claims]}
