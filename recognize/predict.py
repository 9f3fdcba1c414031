"""Batched prediction: 32x32 crops (or a page and its boxes) → unicode and probability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from data.infra.checkpoint import load_checkpoint
from data.infra.device import resolve_device
from recognize.dataset import to_input
from recognize.model import Arch, CharNet


class Recognizer:
    """A trained CharNet with its class list, ready for inference."""

    def __init__(self, model: CharNet, classes: list[str], device: torch.device) -> None:
        self.cuda = device.type == "cuda"  # there: half precision (AMP)
        # channels-last on the CPU too, where oneDNN convolves it faster than the default layout
        self.model = model.to(device, memory_format=torch.channels_last)
        self.model.eval()
        self.classes = classes
        self.device = device

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "auto") -> Recognizer:
        device = resolve_device(device) if isinstance(device, str) else device
        checkpoint = load_checkpoint(Path(path), device)
        model = CharNet(Arch(**checkpoint["arch"]))
        model.load_state_dict(checkpoint["state_dict"])
        return cls(model, list(checkpoint["classes"]), device)

    @torch.inference_mode()
    def probabilities(self, crops: np.ndarray, batch: int | None = None) -> torch.Tensor:
        """(n, 32, 32) uint8 crops, or (views, n, 32, 32), several views of each character
        (``submit.views``) → (n, classes) class probabilities on the device, averaged over the views.

        One host-to-device copy of uint8 crops per batch; the float input is made on the device.
        Batches default to ``batch`` crops: on the CPU the activations of larger ones leave the cache
        (measured: 6,000 crops in 1.2 s at 128, 2.3 s at 256, 3.0 s at 1,024).
        """
        views = crops if crops.ndim == 4 else crops[None]
        batch = max(1, (batch or self.batch) // len(views))
        parts = [torch.zeros((0, len(self.classes)), device=self.device)]
        for start in range(0, views.shape[1], batch):
            x = self.inputs(views[:, start : start + batch])
            with torch.autocast(self.device.type, enabled=self.cuda):
                logits = self.model(x.contiguous(memory_format=torch.channels_last))
            parts.append(F.softmax(logits.float(), dim=1).view(len(views), -1, logits.shape[1]).mean(0))
        return torch.cat(parts)

    @property
    def batch(self) -> int:
        """Crops per forward pass: 1,024 on a GPU, 128 on the CPU."""
        return 1024 if self.cuda else 128

    def inputs(self, views: np.ndarray) -> torch.Tensor:
        """(views, n, 32, 32) uint8 crops → the model's float input of all of them, on the device."""
        part = np.ascontiguousarray(views)
        return to_input(torch.from_numpy(part.reshape(-1, *part.shape[2:])).to(self.device))

    def decode(self, probs: torch.Tensor, top: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(n, classes) probabilities → the likeliest class's unicode and probability per row, or
        with ``top`` > 1 the ``top`` likeliest, best first, as (n, top) arrays (fewer columns if
        the model has fewer classes)."""
        p, k = probs.max(1) if top == 1 else probs.topk(min(top, probs.shape[1]), 1)
        labels = k.cpu().numpy()
        return np.array(self.classes, dtype=object)[labels], p.cpu().numpy()

    @torch.inference_mode()
    def predict(self, crops: np.ndarray, batch: int | None = None, with_maps: bool = False, top: int = 1):
        """(n, 32, 32) uint8 crops → (unicodes, probabilities[, heatmaps (n, 32, 32) in 0–1]).

        ``top`` > 1: the ``top`` likeliest classes of each crop, best first, as (n, top) unicodes and
        probabilities (fewer columns if the model has fewer classes; no heatmaps).
        (views, n, 32, 32) crops: the class probabilities of a character's views are averaged
        (``probabilities``; no heatmaps).
        """
        result = self.decode(self.probabilities(crops, batch), top)
        if not with_maps:
            return result
        maps, batch = [np.zeros((0, 32, 32), np.float32)], batch or self.batch
        for start in range(0, len(crops), batch):
            x = self.inputs(crops[None, start : start + batch])
            cam = self.model.cam(x, self.model(x).argmax(1))
            cam = cam - cam.amin(dim=(1, 2), keepdim=True)
            cam = cam / cam.amax(dim=(1, 2), keepdim=True).clamp_min(1e-6)
            maps.append(F.interpolate(cam[:, None], size=x.shape[-2:], mode="bilinear")[:, 0].cpu().numpy())
        return (*result, np.concatenate(maps))
