"""The lecture as one page: every experiment's claim, figures, numbers and the command that reproduces it."""

from __future__ import annotations

from pathlib import Path

import jinja2
import torch

from genlab import __version__, io
from genlab.report.run_report import data_uri

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("genlab.report", "templates"),
                          autoescape=jinja2.select_autoescape(["html"]))


def write_lecture_page(out_dir: Path, experiments, results, *, profile: str, device: str) -> Path:
    """experiments: the `Experiment` list in lecture order; results: their `Result`s (same order)."""
    out_dir = Path(out_dir)
    sections = []
    for exp, res in zip(experiments, results):
        figures = [{"name": Path(f).stem, "src": data_uri(out_dir / f)}
                   for f in res.outcome.get("figures", []) if (out_dir / f).exists()]
        sections.append({"key": exp.key, "title": exp.title, "claim": exp.claim, "command": exp.command,
                         "status": res.status, "reason": res.reason, "outcome": res.outcome,
                         "figures": figures})
    counts = {k: sum(r.status == k for r in results) for k in ("done", "skipped", "failed")}
    html = _ENV.get_template("lecture.html.j2").render(
        title="Generative models: the lecture, reproduced", sections=sections, profile=profile, device=device,
        version=__version__, torch_version=torch.__version__, out_name=out_dir.name, counts=counts,
        total_minutes=sum(r.seconds for r in results) / 60)
    path = out_dir / "index.html"
    io.write_text(path, html)
    return path
