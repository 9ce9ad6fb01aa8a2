"""The Inception-v3 network of standard FID, built from torchvision's blocks, fed from a local weights file.

Standard FID (Heusel et al. 2017) uses TensorFlow's 2015-12-05 Inception graph. pytorch-fid and
torch-fidelity ship a port (`pt_inception-2015-12-05-*.pth`) for a torchvision Inception3 with 1008 classes,
no aux head and three differences from torchvision's blocks: TensorFlow's average pooling ignores the zero
padding (count_include_pad=False) in the 5b-5d, 6b-6e and 7b blocks, and the last block (7c) max-pools its
pool branch. We subclass torchvision's blocks and replace only that pool branch. Features: the 2048-d
average pool output, on inputs resized bilinearly to 299 x 299 and scaled from [0, 1] to [-1, 1].

genlab never downloads the weights: the user passes the file. It is a pickled state dict, so it is opened
with `torch.load(weights_only=True)` (tensors and plain containers only, no code); a safetensors file with
the same keys is read without any unpickling. Anything else is refused with one line.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.models import inception as tv

FEATURE_DIM = 2048
WEIGHTS_HINT = ("the pytorch-fid / torch-fidelity file pt_inception-2015-12-05-6726825d.pth (a state dict of "
                "the FID Inception-v3), or a .safetensors file with the same keys")


def _tf_avg_pool(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def _max_pool(x: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(x, kernel_size=3, stride=1, padding=1)


class _TFPoolA(tv.InceptionA):
    def _forward(self, x):
        branches = super()._forward(x)     # [1x1, 5x5, 3x3dbl, pool]; only the pool branch differs
        branches[-1] = self.branch_pool(_tf_avg_pool(x))
        return branches


class _TFPoolC(tv.InceptionC):
    def _forward(self, x):
        branches = super()._forward(x)
        branches[-1] = self.branch_pool(_tf_avg_pool(x))
        return branches


class _TFPoolE(tv.InceptionE):
    pool = staticmethod(_tf_avg_pool)

    def _forward(self, x):
        branches = super()._forward(x)
        branches[-1] = self.branch_pool(self.pool(x))
        return branches


class _MaxPoolE(_TFPoolE):
    pool = staticmethod(_max_pool)         # TF graph's Mixed_7c max-pools here (a quirk FID inherited)


class FIDInceptionV3(tv.Inception3):
    """Inception-v3 with FID's blocks. `features(x)`: x (B, C, H, W) in [0, 1], C in {1, 3} -> (B, 2048)."""

    def __init__(self):
        blocks = [tv.BasicConv2d, _TFPoolA, tv.InceptionB, _TFPoolC, tv.InceptionD, _TFPoolE, tv.InceptionAux]
        super().__init__(num_classes=1008, aux_logits=False, transform_input=False, inception_blocks=blocks,
                         init_weights=False)
        self.Mixed_7c = _MaxPoolE(2048)
        self.eval()

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)                         # grayscale -> the 3 channels Inception expects
        x = F.interpolate(x.float(), size=(299, 299), mode="bilinear", align_corners=False)
        x = 2.0 * x - 1.0                                       # (B, 3, 299, 299) in [-1, 1]
        trunk = [self.Conv2d_1a_3x3, self.Conv2d_2a_3x3, self.Conv2d_2b_3x3, self.maxpool1, self.Conv2d_3b_1x1,
                 self.Conv2d_4a_3x3, self.maxpool2, self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a,
                 self.Mixed_6b, self.Mixed_6c, self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b,
                 self.Mixed_7c, self.avgpool]
        for layer in trunk:
            x = layer(x)
        return torch.flatten(x, 1)                              # (B, 2048)


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A state dict from a .safetensors file (no unpickling) or a torch file opened with weights_only=True."""
    from genlab.errors import UsageError

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--inception-weights {path}: no such file; genlab never downloads it, pass "
                         f"{WEIGHTS_HINT}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load as load_safetensors  # no pickle involved

            state = load_safetensors(path.read_bytes())
        else:
            with warnings.catch_warnings():   # e.g. "pickle protocol 4": the refusal below says it in one line
                warnings.simplefilter("ignore")
                state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - unpickling refusals, zip errors, truncation: "not this format"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:100]
        raise UsageError(f"--inception-weights {path}: not a weights-only state dict ({first}); expected "
                         f"{WEIGHTS_HINT}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UsageError(f"--inception-weights {path}: holds no tensor state dict; expected {WEIGHTS_HINT}")
    return state


def load_fid_inception(path: Path, *, device: torch.device) -> FIDInceptionV3:
    """Build FIDInceptionV3 and load the user's weights file into it (strict: every key and shape)."""
    from genlab.errors import UsageError

    state = read_state_dict(path)
    net = FIDInceptionV3()
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0][:120]
        raise UsageError(f"--inception-weights {path}: weights do not fit the FID Inception-v3 ({first}); "
                         f"expected {WEIGHTS_HINT}") from None
    return net.to(device).eval()
