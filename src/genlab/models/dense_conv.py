"""Convolutions that are dense layers in disguise, computed as the one matrix product they are.

A DCGAN's generator opens with a transposed convolution of z as a 1 x 1 map, and its discriminator closes with a
convolution whose kernel covers the whole last map. Both are a dense layer; the general convolution kernels
(oneDNN on a CPU) take several times longer for them than the matrix product: on a 2-core CPU, ngf 64, batch
64, forward and backward of G's first layer took 10-17 ms as a convolution against about 2 ms as a product.
Same parameters, same state-dict keys and the same results to float rounding (tests/models/test_dense_conv.py);
any other input shape goes to the ordinary convolution.
"""

from __future__ import annotations

import torch
from torch import nn


def _channels_last(t: torch.Tensor) -> bool:
    return not t.is_contiguous() and t.is_contiguous(memory_format=torch.channels_last)


class LatentConvTranspose2d(nn.ConvTranspose2d):
    """A transposed convolution (stride 1, no padding) of a 1 x 1 input: out[b, o, i, j] = sum_c z[b, c] w[c, o, i, j]."""

    def forward(self, z: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        if (output_size is not None or z.dim() != 4 or z.shape[-2:] != (1, 1) or self.stride != (1, 1)
                or self.padding != (0, 0) or self.output_padding != (0, 0) or self.groups != 1
                or self.dilation != (1, 1)):
            return super().forward(z, output_size)
        w = self.weight  # (C_in, C_out, kH, kW)
        c_in, c_out, kh, kw = w.shape
        z = z.reshape(z.shape[0], c_in)
        if _channels_last(w):  # keep the net's memory format: the product lands as (B, kH, kW, C_out)
            out = (z @ w.permute(0, 2, 3, 1).reshape(c_in, kh * kw * c_out)).view(-1, kh, kw, c_out)
            out = out.permute(0, 3, 1, 2)
        else:
            out = (z @ w.reshape(c_in, c_out * kh * kw)).view(-1, c_out, kh, kw)
        return out if self.bias is None else out + self.bias.view(1, -1, 1, 1)


class FullConv2d(nn.Conv2d):
    """A convolution (stride 1, no padding) whose kernel is the size of its input: one output pixel per image,
    out[b, o] = sum_{c, i, j} x[b, c, i, j] w[o, c, i, j]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight  # (C_out, C_in, kH, kW)
        if (x.dim() != 4 or tuple(x.shape[-2:]) != tuple(w.shape[-2:]) or self.stride != (1, 1)
                or self.padding not in ((0, 0), "valid") or self.groups != 1 or self.dilation != (1, 1)):
            return super().forward(x)
        b, c_out = x.shape[0], w.shape[0]
        if _channels_last(x):  # flatten in memory order, (H, W, C): a view, no copy of the activations
            flat_x, flat_w = x.permute(0, 2, 3, 1).reshape(b, -1), w.permute(0, 2, 3, 1).reshape(c_out, -1)
        else:
            flat_x, flat_w = x.reshape(b, -1), w.reshape(c_out, -1)
        out = flat_x @ flat_w.t() if self.bias is None else torch.addmm(self.bias, flat_x, flat_w.t())
        return out.view(b, c_out, 1, 1)
