"""What a finished ``make submission`` prints: where its results are, the held-out F1, the test F1."""

from __future__ import annotations

import json
from pathlib import Path

from submit.evaluation.evaluate import table


def report(done: dict[str, Path], profile: str) -> str:
    """The report of a recipe run (``submit.recipe.run``'s products)."""
    work = done["work"]
    lines = [f"\nprofile         {profile}  (`make settings` lists every setting)"]
    if "submission" in done:
        made = json.loads(done["submission"].with_suffix(".json").read_text())
        lines.append(
            f"submission      {made['submission']}  ({made['pages']} pages, {made['points']} characters)"
        )
        lines.append(f"written with    {made['models']['detector']}  {made['models']['recognizer']}")
        kept = made["thresholds"]
        views = ", several views of each box" if kept.get("tta") else ""
        lines.append(
            f"thresholds      detector confidence {kept['conf']}, class probability {kept['prob']}{views}"
        )
    else:
        lines.append(
            "no test pages in the data (sample_submission.csv, test_images/): no submission.csv written"
        )
        lines.append("transcribe pages of your own with `make read IMAGES=...`")
    scored = "evaluate" in done  # not when the split held no page out (a book of one page)
    pictures = [work / "evaluate" / "pictures"] * scored + [work / "pictures"] * ("submission" in done)
    lines.append("pictures        " + "  ".join(str(p) for p in pictures))
    if scored:
        lines.append(f"viewer          {work / 'evaluate' / 'viewer.html'}")
    lines.append(f"training runs   {work / 'detector'}  {work / 'recognizer'}")
    if scored:
        lines.append("\nheld-out books (neither model saw them):")
        lines.append(table(json.loads(done["evaluate"].read_text())))
    else:
        lines.append("\nno page was held out (split.json): no held-out score")
    if "submission" in done and "test" in made:
        t = made["test"]
        lines.append(
            f"\ntest pages scored with test_answers.csv: F1 {t['f1']:.4f} "
            f"(precision {t['precision']:.4f}, recall {t['recall']:.4f})"
        )
    if "submission" in done:
        lines.append("\nupload with `make upload` (needs Kaggle credentials)")
    return "\n".join(lines)
