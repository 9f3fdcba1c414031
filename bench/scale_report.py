"""Turning bench/scale.py's runs into its table: least-squares fits, estimates at full size, CSV.

Each stage's seconds, disk, peak MB and tree MB are fitted as ``value = a + b * pages`` over the
sizes and read off at the competition's page count; a memory estimate is never below the largest
measured value, and one over 16 GB flags the stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LIMIT_MB = 16 * 1024


@dataclass
class Run:
    """One stage at one size."""

    size: int
    pages: int | None = None  # the count the stage's cost is per (train, fit, held-out or test pages)
    seconds: float | None = None
    peak_mb: float | None = None
    tree_mb: float | None = None
    disk_mb: float | None = None
    status: str = "ok"  # ok, failed (exit status N), skipped (needs ...)


@dataclass
class Fit:
    """``value = a + b * pages`` by least squares; None where fewer than two distinct page counts."""

    a: float
    b: float

    def at(self, pages: float) -> float:
        return self.a + self.b * pages


@dataclass
class Row:
    """One stage: its runs at every size, their fits and the estimates at full size."""

    stage: str
    basis: str
    full_pages: int
    runs: list[Run] = field(default_factory=list)
    fits: dict[str, Fit | None] = field(default_factory=dict)
    estimate: dict[str, float | None] = field(default_factory=dict)
    over_limit: bool = False


def fit(points: list[tuple[float, float]]) -> Fit | None:
    """Least-squares line through (pages, value) points; None unless two distinct page counts."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return Fit(my - b * mx, b)


def summarize(row: Row) -> None:
    """Fill the row's fits and estimates from its successful runs."""
    done = [r for r in row.runs if r.status == "ok" and r.pages is not None]
    for key in ("seconds", "disk_mb", "peak_mb", "tree_mb"):
        line = fit([(r.pages, getattr(r, key)) for r in done])  # type: ignore[misc]
        row.fits[key] = line
        if line is None:
            row.estimate[key] = None
            continue
        value = line.at(row.full_pages)
        if key in ("peak_mb", "tree_mb"):  # memory does not shrink with more pages
            value = max(value, *(getattr(r, key) for r in done))
        row.estimate[key] = value
    row.over_limit = any((row.estimate.get(k) or 0) > LIMIT_MB for k in ("peak_mb", "tree_mb"))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if abs(seconds) >= 3600:
        return f"{seconds / 3600:.1f} h"
    if abs(seconds) >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"


def size_mb(mb: float | None) -> str:
    if mb is None:
        return "n/a"
    return f"{mb / 1024:.1f} GB" if abs(mb) >= 1024 else f"{mb:.0f} MB"


def cells(row: Row, key: str, digits: int) -> str:
    return " / ".join("-" if getattr(r, key) is None else f"{getattr(r, key):.{digits}f}" for r in row.runs)


def per_page(row: Row, key: str, digits: int) -> str:
    line = row.fits.get(key)
    return "n/a" if line is None else f"{line.b:.{digits}f}"


def table(rows: list[Row]) -> list[list[str]]:
    header = [
        "stage", "per (full size)", "pages", "seconds", "peak MB", "tree MB", "disk MB",
        "s/page", "MB/page", "est. time", "est. disk", "est. peak", "est. tree", "flag",
    ]  # fmt: skip
    lines = [header]
    for row in rows:
        flags = (["OVER 16 GB"] if row.over_limit else []) + [
            f"n={r.size} {r.status.split()[0]}" for r in row.runs if r.status != "ok"
        ]
        lines.append(
            [
                row.stage,
                f"{row.basis} ({row.full_pages})",
                " / ".join("-" if r.pages is None else str(r.pages) for r in row.runs),
                cells(row, "seconds", 1),
                cells(row, "peak_mb", 0),
                cells(row, "tree_mb", 0),
                cells(row, "disk_mb", 1),
                per_page(row, "seconds", 3),
                per_page(row, "disk_mb", 3),
                duration(row.estimate.get("seconds")),
                size_mb(row.estimate.get("disk_mb")),
                size_mb(row.estimate.get("peak_mb")),
                size_mb(row.estimate.get("tree_mb")),
                ", ".join(flags),
            ]
        )
    total = ["total", "", "", "", "", "", "", "", ""]
    for key, combine, show in (("seconds", sum, duration), ("disk_mb", sum, size_mb)):
        values = [row.estimate.get(key) for row in rows]
        known = [v for v in values if v is not None]
        total.append(("" if len(known) == len(values) else ">= ") + show(combine(known)) if known else "n/a")
    peaks = [row.estimate.get(k) for row in rows for k in ("peak_mb", "tree_mb")]
    known = [p for p in peaks if p is not None]
    total += [size_mb(max(known)) if known else "n/a", "", ""]
    lines.append(total)
    return lines


def notes(rows: list[Row]) -> list[str]:
    """One line per failed or skipped run, and per negative fitted cost."""
    lines = [f"  {row.stage} n={r.size}: {r.status}" for row in rows for r in row.runs if r.status != "ok"]
    for row in rows:
        for key, line in row.fits.items():
            if line is not None and line.b < 0 and key in ("seconds", "disk_mb"):
                lines.append(
                    f"  {row.stage}: {key} falls with more pages (fit {line.a:.3g} {line.b:+.3g}/page): "
                    "noise or fixed costs dominate at these sizes"
                )
    return lines


def render(lines: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    left = {0, 1, len(widths) - 1}
    out = []
    for n, line in enumerate(lines):
        padded = [
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        text = "  ".join(padded)
        out.append(text.rstrip())
        if n == 0 or n == len(lines) - 2:
            out.append("-" * len(out[0]))
    return "\n".join(out)


def csv_text(rows: list[Row], sizes: list[int]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    measured = ("pages", "seconds", "peak_mb", "tree_mb", "disk_mb", "status")
    writer.writerow(
        ["stage", "per", "full_pages"]
        + [f"{key}@{size}" for size in sizes for key in measured]
        + [f"{key}_{part}" for key in ("seconds", "disk_mb", "peak_mb", "tree_mb") for part in ("a", "b")]
        + ["est_seconds", "est_disk_mb", "est_peak_mb", "est_tree_mb", "over_16gb"]
    )
    for row in rows:
        values: list[object] = [row.stage, row.basis, row.full_pages]
        for run in row.runs:
            values += [getattr(run, key) for key in measured]
        for key in ("seconds", "disk_mb", "peak_mb", "tree_mb"):
            line = row.fits.get(key)
            values += [None, None] if line is None else [line.a, line.b]
        values += [row.estimate.get(k) for k in ("seconds", "disk_mb", "peak_mb", "tree_mb")]
        values.append(row.over_limit)
        writer.writerow(["" if v is None else f"{v:.6g}" if isinstance(v, float) else v for v in values])
    return buffer.getvalue()
