"""Pages in → character boxes (x, y, w, h in original-page pixels) with scores; tiles batched across pages."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from tqdm import tqdm

from data.formats import write_rows
from data.infra.checkpoint import load_checkpoint
from data.infra.device import resolve_device
from data.infra.errors import run_cli
from data.infra.io import read_ahead
from detect.offline import configure
from detect.tiles import Tiling, merge_tiles, scaled

if TYPE_CHECKING:
    from ultralytics.nn.tasks import DetectionModel

PAD = 114  # ultralytics' letterbox grey
MAX_PER_TILE = 1500


class Detector:
    """A trained character detector with its tiling."""

    def __init__(
        self,
        model: DetectionModel,
        tiling: Tiling,
        device: torch.device,
        conf: float = 0.25,
        iou: float = 0.5,
        batch: int = 16,
    ) -> None:
        self.model = model.to(device).eval()
        self.tiling, self.device, self.conf, self.iou, self.batch = tiling, device, conf, iou, batch

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "auto", **options) -> Detector:
        configure()
        from ultralytics.nn.tasks import DetectionModel

        device = resolve_device(device) if isinstance(device, str) else device
        checkpoint = load_checkpoint(path)
        model = DetectionModel(checkpoint["yaml"], nc=1, verbose=False)
        model.load_state_dict(checkpoint["state_dict"])
        return cls(model.fuse(verbose=False), Tiling(**checkpoint["tiling"]), device, **options)

    def _run(self, tiles: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Detections (xyxy, score) for each tile, in tile pixels."""
        from ultralytics.utils.nms import non_max_suppression  # configured by load

        size = self.tiling.imgsz
        batch = np.full((len(tiles), size, size, 3), PAD, np.uint8)
        for k, tile in enumerate(tiles):
            batch[k, : tile.shape[0], : tile.shape[1]] = tile
        x = torch.from_numpy(batch[..., ::-1].copy()).to(self.device).permute(0, 3, 1, 2).float().div_(255)
        with torch.no_grad(), torch.autocast(self.device.type, enabled=self.device.type == "cuda"):
            raw = self.model(x)
        found = non_max_suppression(raw, self.conf, self.iou, max_det=MAX_PER_TILE)
        return [(d[:, :4].float().cpu().numpy(), d[:, 4].float().cpu().numpy()) for d in found]

    def detect(self, pages: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """For each BGR page: boxes (n, 4) int x, y, w, h in page pixels and their scores."""
        queue: list[tuple[np.ndarray, float, list, list]] = []  # page, scale, windows, tiles
        for page in pages:
            scale = self.tiling.scale
            small = scaled(page, scale)
            windows = self.tiling.windows(*small.shape[:2])
            queue.append((page, scale, windows, [small[y0:y1, x0:x1] for x0, y0, x1, y1 in windows]))
            if sum(len(q[3]) for q in queue) >= self.batch:
                yield from self._flush(queue)
                queue = []
        yield from self._flush(queue)

    def _flush(self, queue: list) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        tiles = [t for q in queue for t in q[3]]
        found = [
            d
            for start in range(0, len(tiles), self.batch)
            for d in self._run(tiles[start : start + self.batch])
        ]
        for page, scale, windows, page_tiles in queue:
            parts, found = found[: len(page_tiles)], found[len(page_tiles) :]
            height, width = page.shape[:2]
            boxes, scores = merge_tiles(parts, windows, round(width * scale), round(height * scale), self.iou)
            boxes = boxes / scale
            x0 = np.clip(np.floor(boxes[:, 0]), 0, width - 1)
            y0 = np.clip(np.floor(boxes[:, 1]), 0, height - 1)
            x1 = np.clip(np.ceil(boxes[:, 2]), x0 + 1, width)
            y1 = np.clip(np.ceil(boxes[:, 3]), y0 + 1, height)
            yield np.column_stack([x0, y0, x1 - x0, y1 - y0]).astype(np.int64), scores

    def detect_files(
        self, paths: list[Path], desc: str = "detecting"
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``detect`` over image files, with a progress bar."""
        return self.detect(tqdm(read_ahead(paths), total=len(paths), desc=desc, unit="page"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="detector model.pt")
    parser.add_argument("--images", required=True, help="folder of page images (*.jpg)")
    parser.add_argument("--out", required=True, help="CSV with one row per box: image_id,x,y,w,h,score")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--conf", type=float, default=0.25)
    args = parser.parse_args(argv)
    detector = Detector.load(args.model, args.device, conf=args.conf)
    paths = sorted(Path(args.images).glob("*.jpg"))
    rows = []
    for path, (boxes, scores) in zip(paths, detector.detect_files(paths), strict=True):
        rows += [
            [path.stem, *map(str, box), f"{score:.4f}"]
            for box, score in zip(boxes.tolist(), scores, strict=True)
        ]
    write_rows(args.out, ["image_id", "x", "y", "w", "h", "score"], rows)
    print(f"wrote {args.out}: {len(rows)} boxes on {len(paths)} pages")
    return 0


if __name__ == "__main__":
    run_cli(main)
