"""The lecture as one page: every experiment's claim, figures, numbers and the command that reproduces it.

Next to each section's heading, the verdict of its claims (`genlab.experiments.claims`, judged by the runner
from the section's own measured numbers); the top says "N of M claims held". `DIR/lecture.json` holds the same
for machines (DESIGN.md, "The lecture's claims").
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import torch

from genlab import __version__, io
from genlab.report.run_report import data_uri

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("genlab.report", "templates"),
                          autoescape=True)  # every template is HTML (named .html.j2)


def short_numbers(value, *, top: bool = True) -> str:
    """A claim's measured values for the page: numbers to 4 significant digits, dicts and lists kept readable."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    if isinstance(value, dict):
        if top:
            return "; ".join(f"{k} = {short_numbers(v, top=False)}" for k, v in sorted(value.items()))
        return "{" + ", ".join(f"{k}: {short_numbers(v, top=False)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(short_numbers(v, top=False) for v in value) + "]"
    return str(value)


_ENV.filters["numbers"] = short_numbers


def verdict(claims: list[dict]) -> str:
    """A section's verdict class: 'held' (all held), 'not-held' (any false), 'skipped' (none judged), or
    'none' (the section states no claim)."""
    if not claims:
        return "none"
    if any(c["held"] is False for c in claims):
        return "not-held"
    return "held" if all(c["held"] is True for c in claims) else "skipped"


def lecture_json(experiments, results, *, profile: str) -> dict:
    """DIR/lecture.json: the profile, the claims of every section in lecture order, and each section's status."""
    claims = [c for res in results for c in res.claims]
    return {"profile": profile, "claims_held": sum(c["held"] is True for c in claims), "claims_total": len(claims),
            "claims": claims, "sections": [{"key": e.key, "title": e.title, "status": r.status, "part": e.part}
                                           for e, r in zip(experiments, results)]}


def write_lecture_page(out_dir: Path, experiments, results, *, profile: str, device: str) -> Path:
    """experiments: the `Experiment` list in lecture order; results: their `Result`s (same order).
    Writes DIR/index.html and DIR/lecture.json."""
    out_dir = Path(out_dir)
    sections = []
    for exp, res in zip(experiments, results):
        figures = [{"name": Path(f).stem, "src": data_uri(out_dir / f)}
                   for f in res.outcome.get("figures", []) if (out_dir / f).exists()]
        sections.append({"key": exp.key, "title": exp.title, "claim": exp.claim, "part": exp.part, "command": "\n".join([*res.outcome.get("commands", []), exp.command]),
                         "status": res.status, "reason": res.reason, "outcome": res.outcome,
                         "figures": figures, "claims": res.claims, "verdict": verdict(res.claims),
                         "held": sum(c["held"] is True for c in res.claims)})
    counts = {k: sum(r.status == k for r in results) for k in ("done", "skipped", "failed")}
    summary = lecture_json(experiments, results, profile=profile)
    html = _ENV.get_template("lecture.html.j2").render(
        title="Generative models: the lecture, reproduced", sections=sections, profile=profile, device=device,
        version=__version__, torch_version=torch.__version__, out_name=out_dir.name, counts=counts,
        total_minutes=sum(r.seconds for r in results) / 60, summary=summary)
    io.write_json(out_dir / "lecture.json", summary)
    path = out_dir / "index.html"
    io.write_text(path, html)
    return path
