"""Japanese fonts shipped inside registry packages (never downloaded at run time)."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from fontTools.ttLib import TTFont

from data.errors import DataError

# (package, file inside it): one Japanese gothic, then serif (Mincho-like), sans and Hei faces.
GLYPH_FONTS = (
    ("matplotlib_fontja", "fonts/ipaexg.ttf"),
    ("mplfonts", "fonts/NotoSerifCJKsc-Regular.otf"),
    ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf"),
    ("mplfonts", "fonts/SimHei.ttf"),
)
LABEL_FONT = GLYPH_FONTS[0]


def package_file(package: str, name: str) -> Path:
    """Locate a data file inside an installed package without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(package, "font package is not installed (run `make setup`)")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not path.is_file():
        raise DataError(path, f"font file missing from package {package}")
    return path


def glyph_fonts() -> list[Path]:
    """The font faces used to render glyphs of the embedded data set."""
    return [package_file(*entry) for entry in GLYPH_FONTS]


def label_font() -> Path:
    """A Japanese font for drawing predicted characters on pictures."""
    return package_file(*LABEL_FONT)


@functools.cache
def coverage(path: Path) -> frozenset[int]:
    """The code points a font has glyphs for."""
    return frozenset(TTFont(path, lazy=True, fontNumber=0).getBestCmap())
