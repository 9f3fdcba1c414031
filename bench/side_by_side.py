"""A generated page beside a real one at the same pixel scale, with their boxes, as one PNG.

    python -m bench.side_by_side --generated build/data/default --real ../shared/realpages \
        --out build/side_by_side.png

Both pages are shrunk by the same factor, so character sizes compare directly; a table of
page and box sizes from both train.csv files is printed. The PNG stays under build/ (real
images never go into the repository).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from data.annotations import Annotations, read_annotations
from data.infra.io import image_size, read_image


def geometry(folder: Path, annotations: Annotations) -> dict[str, float]:
    """Median page and box sizes and characters per page of a Kaggle-layout folder."""
    boxes = annotations.boxes
    sizes = [image_size(folder / "train_images" / f"{i}.jpg")[::-1] for i in annotations.image_ids]
    heights, widths = np.array(sizes).T
    return {
        "pages": len(annotations.image_ids),
        "page height": float(np.median(heights)),
        "page width": float(np.median(widths)),
        "characters per page": len(boxes) / max(1, len(annotations.image_ids)),
        "box width (median)": float(boxes.w.median()),
        "box height (median)": float(boxes.h.median()),
        "box height p5": float(np.percentile(boxes.h, 5)),
        "box height p95": float(np.percentile(boxes.h, 95)),
        "classes": float(boxes.unicode.nunique()),
    }


def busiest_page(folder: Path, annotations: Annotations, shrink: float) -> np.ndarray:
    """The page with the most boxes, boxes drawn, shrunk by ``shrink``."""
    image_id = str(annotations.boxes.image_id.value_counts().index[0])
    page = read_image(folder / "train_images" / f"{image_id}.jpg")
    for b in annotations.subset([image_id]).boxes.itertuples():
        cv2.rectangle(page, (b.x, b.y), (b.x + b.w, b.y + b.h), (0, 0, 255), max(2, int(3 / shrink)))
    return cv2.resize(page, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", required=True, type=Path)
    parser.add_argument("--real", required=True, type=Path)
    parser.add_argument("--out", default="build/side_by_side.png", type=Path)
    parser.add_argument("--shrink", type=float, default=0.25)
    args = parser.parse_args(argv)
    sets = {
        name: (folder, read_annotations(folder / "train.csv"))
        for name, folder in (("generated", args.generated), ("real", args.real))
    }
    gen, real = (geometry(*sets[name]) for name in ("generated", "real"))
    print(f"{'':24}{'generated':>12}{'real':>12}")
    for key in gen:
        print(f"{key:24}{gen[key]:12.1f}{real[key]:12.1f}")
    left, right = (busiest_page(*sets[name], args.shrink) for name in ("generated", "real"))
    height = max(left.shape[0], right.shape[0])
    pad = [np.pad(p, ((0, height - p.shape[0]), (0, 10), (0, 0)), constant_values=255) for p in (left, right)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), np.concatenate(pad, axis=1))
    print(f"wrote {args.out}: generated (left) and real (right) at scale {args.shrink}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
