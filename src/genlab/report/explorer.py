"""The interactive latent explorer for a 2-D VAE: move the pointer over the latent plane, see the decode.

Decodes are precomputed on a grid and shipped as one sprite image; the encoded test means are drawn under
the pointer as coloured dots. Plain HTML + canvas + a few lines of JavaScript; no library, no network.
"""

from __future__ import annotations

import json

import torch

from genlab.report.run_report import data_uri_bytes

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


def sprite_png(tiles: torch.Tensor) -> bytes:
    """tiles: (G, G, C, H, W) in [0, 1], row i = z2 from high to low, column j = z1 from low to high."""
    import io as _io

    from PIL import Image

    g1, g2, c, h, w = tiles.shape
    sheet = tiles.permute(0, 3, 1, 4, 2).reshape(g1 * h, g2 * w, c)  # (G*H, G*W, C)
    array = (sheet.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    image = Image.fromarray(array[..., 0] if c == 1 else array, mode="L" if c == 1 else "RGB")
    buf = _io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def explorer_html(tiles: torch.Tensor, *, extent: float, points: torch.Tensor, labels: torch.Tensor | None,
                  element_id: str = "latent-explorer") -> str:
    """An HTML fragment: a latent-plane canvas (dots + pointer) and the decoded image beside it.

    tiles: (G, G, C, H, W) decodes of z on a G x G grid over [-extent, extent]^2; points: (N, 2) means.
    """
    grid, h, w = tiles.shape[0], tiles.shape[3], tiles.shape[4]
    pts = [[round(float(a), 3), round(float(b), 3), int(c)] for (a, b), c in
           zip(points.tolist(), (labels.tolist() if labels is not None else [0] * len(points)))]
    spec = {"grid": grid, "tileH": h, "tileW": w, "extent": extent, "points": pts, "palette": PALETTE}
    sprite = data_uri_bytes(sprite_png(tiles), "image/png")
    return f"""
<div class="explorer" id="{element_id}">
  <canvas class="plane" width="360" height="360" aria-label="latent plane"></canvas>
  <canvas class="decoded" width="168" height="168" aria-label="decoded image"></canvas>
  <div class="readout">move the pointer over the plane</div>
  <img class="sprite" src="{sprite}" alt="decoded grid" style="display:none">
</div>
<script>
(function() {{
  const root = document.getElementById({json.dumps(element_id)});
  const spec = {json.dumps(spec)};
  const plane = root.querySelector(".plane"), out = root.querySelector(".decoded");
  const sprite = root.querySelector(".sprite"), readout = root.querySelector(".readout");
  const pctx = plane.getContext("2d"), octx = out.getContext("2d");
  octx.imageSmoothingEnabled = false;
  const S = plane.width, E = spec.extent;
  const toPx = v => (v + E) / (2 * E) * S;
  function drawPlane(mx, my) {{
    pctx.fillStyle = "#fff"; pctx.fillRect(0, 0, S, S);
    for (const [a, b, c] of spec.points) {{
      pctx.fillStyle = spec.palette[c % spec.palette.length];
      pctx.fillRect(toPx(a) - 1.5, S - toPx(b) - 1.5, 3, 3);
    }}
    pctx.strokeStyle = "#999"; pctx.beginPath(); pctx.moveTo(S / 2, 0); pctx.lineTo(S / 2, S);
    pctx.moveTo(0, S / 2); pctx.lineTo(S, S / 2); pctx.stroke();
    if (mx !== undefined) {{ pctx.strokeStyle = "#000"; pctx.strokeRect(mx - 5, my - 5, 10, 10); }}
  }}
  function show(mx, my) {{
    const j = Math.min(spec.grid - 1, Math.max(0, Math.floor(mx / S * spec.grid)));
    const i = Math.min(spec.grid - 1, Math.max(0, Math.floor(my / S * spec.grid)));
    octx.clearRect(0, 0, out.width, out.height);
    octx.drawImage(sprite, j * spec.tileW, i * spec.tileH, spec.tileW, spec.tileH, 0, 0, out.width, out.height);
    const z1 = -E + (j + 0.5) * 2 * E / spec.grid, z2 = E - (i + 0.5) * 2 * E / spec.grid;
    readout.textContent = "z = (" + z1.toFixed(2) + ", " + z2.toFixed(2) + ")";
    root.dataset.cell = i + "," + j;
    drawPlane(mx, my);
  }}
  plane.addEventListener("mousemove", e => {{
    const r = plane.getBoundingClientRect();
    show((e.clientX - r.left) * S / r.width, (e.clientY - r.top) * S / r.height);
  }});
  const start = () => show(S / 2, S / 2);
  if (sprite.complete) start(); else sprite.addEventListener("load", start);
}})();
</script>"""
