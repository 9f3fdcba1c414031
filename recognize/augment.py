"""Batched random augmentation of crops on the training device: affine, stroke weight, noise."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Randomly warp (rotate, scale, shear, shift), thicken or thin strokes, and add noise.

    ``x`` is (n, 1, H, W) in [0, 1] with ink = 1; every sample gets its own random draw.
    """
    n = x.shape[0]
    if n == 0:
        return x

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator, device=x.device) * (high - low) + low

    angle = uniform(-10, 10) * math.pi / 180
    scale = uniform(0.88, 1.12)
    shear = uniform(-0.15, 0.15)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin + shear * cos, uniform(-0.1, 0.1)], 1),
            torch.stack([sin, cos + shear * sin, uniform(-0.1, 0.1)], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    weight = torch.randint(
        0, 3, (n, 1, 1, 1), generator=generator, device=x.device
    )  # 0 thin, 1 keep, 2 thick
    thick = F.max_pool2d(x, 3, 1, 1)
    thin = -F.max_pool2d(-x, 3, 1, 1)
    x = torch.where(weight == 2, thick, torch.where(weight == 0, thin, x))

    noise = torch.rand(x.shape, generator=generator, device=x.device)
    flips = noise < uniform(0, 0.03).view(n, 1, 1, 1)
    return torch.where(flips, 1 - x, x).clamp(0, 1)
