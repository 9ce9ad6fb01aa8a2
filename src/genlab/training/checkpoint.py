"""Checkpoints as one safetensors file: tensors (weights, optimizer moments, RNG states) plus JSON metadata.

One file per checkpoint, written atomically, so a kill at any moment leaves either the old checkpoint or the
new one, never a mix. Nothing is unpickled: optimizer state is split into tensors and JSON.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.torch
import torch
from safetensors.torch import load as load_safetensors
from torch import nn

from genlab import io
from genlab.errors import UsageError
from genlab.training.adam import dynamo_unimported

META_KEY = "genlab"


def module_tensors(modules: dict[str, nn.Module]) -> dict[str, torch.Tensor]:
    """`{name: module}` -> flat `{"name.param": tensor}` (contiguous CPU copies, as safetensors wants)."""
    out = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            out[f"{name}.{key}"] = value.detach().to("cpu").contiguous()
    return out


def load_module_tensors(modules: dict[str, nn.Module], tensors: dict[str, torch.Tensor], *, source: Path) -> None:
    for name, module in modules.items():
        prefix = f"{name}."
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        try:
            module.load_state_dict(own, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0:2]
            raise UsageError(f"{source}: weights do not fit the model '{name}': {' '.join(first)}") from None


def _optimizer_tensors(name: str, opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    with dynamo_unimported():  # torch.optim would import torch._dynamo (seconds) for this call
        state = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, entries in state["state"].items():
        for key, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"optim.{name}.{idx}.{key}"] = value.detach().to("cpu").contiguous()
            else:
                scalars[f"{idx}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _load_optimizer(name: str, opt: torch.optim.Optimizer, tensors: dict, meta: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    prefix = f"optim.{name}."
    for key, value in tensors.items():
        if key.startswith(prefix):
            idx, entry = key[len(prefix):].split(".", 1)
            state.setdefault(int(idx), {})[entry] = value
    for key, value in meta["scalars"].items():
        idx, entry = key.split(".", 1)
        state.setdefault(int(idx), {})[entry] = value
    with dynamo_unimported():
        opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    # safetensors stores contiguous tensors; give each moment its parameter's strides again (channels-last),
    # because fused optimizers pair elements by memory offset and would mix up a channels-last param's moments.
    for p, entries in opt.state.items():
        for key, value in entries.items():
            if torch.is_tensor(value) and value.shape == p.shape and value.stride() != p.stride():
                entries[key] = torch.empty_strided(p.shape, p.stride(), dtype=value.dtype,
                                                   device=value.device).copy_(value)


def _rng_tensors() -> tuple[dict[str, torch.Tensor], dict]:
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    np_state = np.random.get_state()
    meta = {"numpy": [np_state[0], np_state[1].tolist(), *np_state[2:]], "python": _to_json(random.getstate())}
    return tensors, meta


def _restore_rng(tensors: dict, meta: dict) -> None:
    torch.set_rng_state(tensors["rng.torch"])
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("rng.cuda."))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    kind, keys, *rest = meta["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), *rest))
    random.setstate(_to_tuple(meta["python"]))


def _to_json(x):
    return [_to_json(v) for v in x] if isinstance(x, (tuple, list)) else x


def _to_tuple(x):
    return tuple(_to_tuple(v) for v in x) if isinstance(x, list) else x


def save(path: Path, *, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
         extra: dict[str, torch.Tensor] | None = None, meta: dict) -> None:
    """Write weights, optimizer state, RNG states, `extra` tensors and JSON `meta` to one file, atomically."""
    tensors = module_tensors(modules)
    opt_meta = {}
    for name, opt in optimizers.items():
        t, m = _optimizer_tensors(name, opt)
        tensors.update(t)
        opt_meta[name] = m
    rng_t, rng_meta = _rng_tensors()
    tensors.update(rng_t)
    for key, value in (extra or {}).items():
        tensors[f"extra.{key}"] = value.detach().to("cpu").contiguous()
    full_meta = {**meta, "optimizers": opt_meta, "rng": rng_meta}
    write_safetensors(path, tensors, full_meta)


def state_items(*, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
                extra: dict[str, torch.Tensor] | None = None) -> Iterator[tuple[str, torch.Tensor]]:
    """(key, tensor) for what `save` writes besides RNG states, under the same keys, where they live (no
    copies): weights and buffers, optimizer state (Adam's moments), `extra`."""
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            yield f"{name}.{key}", value
    for name, opt in optimizers.items():
        with dynamo_unimported():
            state = opt.state_dict()["state"]
        for idx, entries in state.items():
            for key, value in entries.items():
                if torch.is_tensor(value):
                    yield f"optim.{name}.{idx}.{key}", value
    for key, value in (extra or {}).items():
        yield f"extra.{key}", value


def first_non_finite(items: Iterable[tuple[str, torch.Tensor]]) -> str | None:
    """The key of the first floating tensor holding a NaN or an inf, or None if all are finite.

    One device sync per device, not per tensor: a checkpoint of a big net has hundreds of tensors."""
    by_device: dict[torch.device, list[tuple[str, torch.Tensor]]] = {}
    for key, value in items:
        if torch.is_tensor(value) and (value.is_floating_point() or value.is_complex()) and value.numel():
            by_device.setdefault(value.device, []).append((key, value.detach()))
    for entries in by_device.values():
        finite = torch.stack([torch.isfinite(v).all() for _, v in entries])
        if not bool(finite.all()):
            return entries[int((~finite).nonzero()[0, 0])][0]
    return None


def restore(path: Path, *, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer],
            device: torch.device) -> tuple[dict, dict[str, torch.Tensor]]:
    """Load a checkpoint written by `save` into modules/optimizers and the RNGs; returns (meta, extra)."""
    tensors, meta = read_safetensors(path)
    load_module_tensors(modules, tensors, source=path)
    for name, opt in optimizers.items():
        _load_optimizer(name, opt, {k: v.to(device) for k, v in tensors.items()}, meta["optimizers"][name])
    _restore_rng(tensors, meta["rng"])
    extra = {k[len("extra."):]: v for k, v in tensors.items() if k.startswith("extra.")}
    return meta, extra


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    blob = safetensors.torch.save(tensors, metadata={META_KEY: json.dumps(meta, sort_keys=True)})
    io.write_bytes(Path(path), blob)


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """Read tensors + genlab metadata; a missing, truncated or foreign file is one UsageError line."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        tensors = load_safetensors(path.read_bytes())  # safetensors: no pickle, no code
        with safetensors.safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(META_KEY)
    except Exception as exc:  # noqa: BLE001 -- safetensors raises several types for corrupt input
        raise UsageError(f"{path}: not a readable safetensors file ({str(exc).splitlines()[0][:120]})") from None
    if raw is None:
        raise UsageError(f"{path}: a safetensors file without genlab metadata; not written by genlab")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError:
        raise UsageError(f"{path}: corrupt genlab metadata") from None
    return tensors, meta
