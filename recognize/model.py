"""CharNet: conv → ReLU → BatchNorm blocks, stride-2 convs doubling channels, pooled linear head."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Arch:
    """Shape of the network; the default ends in 512x4x4 feature maps."""

    classes: int
    width: int = 64  # channels of the first block; each of the 3 stride-2 stages doubles them
    depth: int = 1  # extra stride-1 blocks after each stride-2 block
    dropout: float = 0.25

    @property
    def features(self) -> int:
        return self.width * 8

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)


def block(cin: int, cout: int, stride: int) -> nn.Sequential:
    """3x3 conv → ReLU → BatchNorm."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.ReLU(inplace=True), nn.BatchNorm2d(cout))


class CharNet(nn.Module):
    """32x32x1 → width@32x32 → 2w@16x16 → 4w@8x8 → 8w@4x4 → pool → BN → dropout → linear."""

    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.arch = arch
        layers = [block(1, arch.width, 1)]
        channels = arch.width
        for _ in range(3):
            layers.append(block(channels, channels * 2, 2))
            channels *= 2
            layers.extend(block(channels, channels, 1) for _ in range(arch.depth))
        self.body = nn.Sequential(*layers)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(
            nn.BatchNorm1d(channels), nn.Dropout(arch.dropout), nn.Linear(channels, arch.classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.body(x)))

    def cam(self, x: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        """Class-activation maps (n, 4, 4) of the final convolution for the given classes.

        The head is linear after pooling (BatchNorm in eval mode is per-channel affine), so each
        class's logit is the spatial mean of this map plus a constant.
        """
        features = self.body(x)
        norm, linear = self.head[0], self.head[2]
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        weights = linear.weight[classes] * scale  # (n, channels)
        return torch.einsum("nc,nchw->nhw", weights, features)
