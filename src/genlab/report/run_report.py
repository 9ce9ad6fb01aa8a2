"""One self-contained HTML page per run: config, learning curves, metrics, every image the run wrote.

Images are embedded as data URIs so the page works offline, mailed or moved, with no CDN.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

import jinja2

from genlab import io
from genlab.errors import UsageError
from genlab.report.figures import learning_curves

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("genlab.report", "templates"),
                          autoescape=True)  # every template is HTML (named .html.j2)


def data_uri(path: Path) -> str:
    kind = {".png": "image/png", ".jpg": "image/jpeg", ".svg": "image/svg+xml"}.get(Path(path).suffix, "image/png")
    return data_uri_bytes(Path(path).read_bytes(), kind)


def data_uri_bytes(blob: bytes, kind: str) -> str:
    return f"data:{kind};base64," + base64.b64encode(blob).decode("ascii")


def _last_rows(rows: list[dict], split: str) -> dict:
    for row in reversed(rows):
        if row.get("split") == split:
            return {k: v for k, v in row.items() if k not in ("split", "time", "elapsed_s")}
    return {}


def _images(run_dir: Path, folder: str) -> list[dict]:
    found = sorted((run_dir / folder).glob("*.png")) if (run_dir / folder).is_dir() else []
    if folder == "samples" and len(found) > 6:  # first, a few in between, last: how it evolved
        keep = sorted({0, len(found) // 3, 2 * len(found) // 3, len(found) - 1})
        found = [found[i] for i in keep]
    return [{"name": p.stem, "src": data_uri(p)} for p in found]


def build_context(run_dir: Path, *, extra_metrics: dict | None = None) -> dict:
    run_dir = Path(run_dir)
    config_path = run_dir / "config.json"
    if not config_path.exists():
        raise UsageError(f"{run_dir}: not a genlab run folder (no config.json)")
    record = json.loads(config_path.read_text())
    rows = io.read_jsonl(run_dir / "metrics.jsonl")
    curves = None
    if rows:
        with tempfile.TemporaryDirectory() as tmp:
            learning_curves(run_dir / "metrics.jsonl", Path(tmp) / "curves.png")
            curves = data_uri(Path(tmp) / "curves.png")
    meta_path = run_dir / "model.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return {"title": f"genlab {record['config']['family']} run: {run_dir.name}", "record": record,
            "config_json": json.dumps(record["config"], indent=2, sort_keys=True), "meta": meta,
            # the epoch-end evaluation: on the validation split (runs from before it existed: "test" rows)
            "train": _last_rows(rows, "train"), "held": _last_rows(rows, "validation") or _last_rows(rows, "test"),
            "held_name": "validation" if _last_rows(rows, "validation") or not _last_rows(rows, "test") else "test",
            "extra": extra_metrics or {}, "curves": curves, "figures": _images(run_dir, "figures"),
            "samples": _images(run_dir, "samples")}


def write_run_report(run_dir: Path, out: Path, *, extra_metrics: dict | None = None) -> Path:
    html = _ENV.get_template("run.html.j2").render(**build_context(run_dir, extra_metrics=extra_metrics))
    io.write_text(Path(out), html)
    return Path(out)
