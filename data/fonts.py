"""Japanese font faces for generated glyphs and picture labels (never downloaded at run time).

Brush faces come from Debian's font packages, which ``make fonts`` unpacks without root into
``build/fonts`` (``FONTS_DIR`` overrides): Kouzan Mouhitsu (kaisho, gyōsho and a sōsho, fully
cursive, face), Aoyagi Soseki, Aoyagi Kouzan and the handwritten Kiloji; all public domain or
BSD-3-Clause. Where they are missing the generator falls back to the printed faces shipped inside
PyPI packages, with a one-line notice. A brush face's cmap lists far more characters than it
draws (Aoyagi Kouzan maps 12,204 kanji but draws 2,965), so coverage counts drawn outlines only.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

from data.infra.errors import DataError
from data.infra.io import write_text

# (package, file inside it): one Japanese gothic, then serif (Mincho-like), sans and Hei faces.
PRINTED_FONTS = (
    ("matplotlib_fontja", "fonts/ipaexg.ttf"),
    ("mplfonts", "fonts/NotoSerifCJKsc-Regular.otf"),
    ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf"),
    ("mplfonts", "fonts/SimHei.ttf"),
)
LABEL_FONT = PRINTED_FONTS[0]

# Debian package → its brush or handwritten faces (paths inside the package), and the cursive
# faces among them that hentaigana (kana written as their source kanji) are rendered in.
BRUSH_PACKAGES = {
    "fonts-kouzan-mouhitsu": (
        "usr/share/fonts/truetype/kouzan-mouhitsu/kouzan-mouhitsu.ttf",
        "usr/share/fonts/truetype/kouzan-mouhitsu/kouzan-mouhitsu-gyosho.ttf",
        "usr/share/fonts/truetype/kouzan-mouhitsu/KouzanBrushFontSousyo.ttf",
    ),
    "fonts-aoyagi-soseki": ("usr/share/fonts/truetype/aoyagi-soseki/aoyagi-soseki.ttf",),
    "fonts-aoyagi-kouzan-t": ("usr/share/fonts/truetype/aoyagi-kouzan-t/AoyagiKouzanT.ttf",),
    "fonts-kiloji": ("usr/share/fonts/truetype/kiloji/kiloji_p.ttf",),
}
CURSIVE = ("kouzan-mouhitsu-gyosho", "KouzanBrushFontSousyo")


@dataclass(frozen=True)
class Face:
    """A font file and whether it is written with a brush (else printed)."""

    path: Path
    brush: bool

    @property
    def cursive(self) -> bool:
        return self.path.stem in CURSIVE


def fonts_dir() -> Path:
    """Where ``make fonts`` unpacks the brush faces."""
    return Path(os.environ.get("FONTS_DIR") or Path(__file__).resolve().parents[1] / "build" / "fonts")


def package_file(package: str, name: str) -> Path:
    """Locate a data file inside an installed package without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(package, "font package is not installed (run `make setup`)")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not path.is_file():
        raise DataError(path, f"font file missing from package {package}")
    return path


def printed_faces() -> list[Face]:
    return [Face(package_file(*entry), brush=False) for entry in PRINTED_FONTS]


def brush_faces(root: Path | None = None) -> list[Face]:
    """The brush faces unpacked under ``root`` (default ``fonts_dir()``); empty when absent."""
    root = root or fonts_dir()
    paths = [root / name for names in BRUSH_PACKAGES.values() for name in names]
    return [Face(p, brush=True) for p in paths if p.is_file()]


@functools.cache
def glyph_faces(brush: bool = True) -> tuple[Face, ...]:
    """Faces to render glyphs with: the brush faces when unpacked, else the printed ones."""
    faces = brush_faces() if brush else []
    if brush and not faces:
        print(
            f"notice: no brush fonts in {fonts_dir()} (run `make fonts`); generating with printed faces",
            file=sys.stderr,
        )
    return tuple(faces or printed_faces())


def label_font() -> Path:
    """A Japanese font for drawing predicted characters on pictures."""
    return package_file(*LABEL_FONT)


@functools.cache
def coverage(path: Path) -> frozenset[int]:
    """The code points a font really draws: mapped to an outline with contours.

    Results are cached beside the brush faces (``drawn-<stem>.json``), since reading every
    outline of a 12,000-kanji face takes seconds.
    """
    cache = fonts_dir() / f"drawn-{path.stem}-{path.stat().st_size}.json"
    if cache.is_file():
        return frozenset(json.loads(cache.read_text()))
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # old faces have odd header dates
    font = TTFont(path, lazy=True, fontNumber=0)
    cmap = font.getBestCmap()
    if "glyf" in font:
        glyf = font["glyf"]
        drawn = frozenset(c for c, name in cmap.items() if glyf[name].numberOfContours != 0)
    else:  # CFF outlines (the printed Noto faces) draw every mapped character
        drawn = frozenset(cmap)
    if cache.parent.is_dir() and os.access(cache.parent, os.W_OK):
        write_text(cache, json.dumps(sorted(drawn)))
    return drawn
