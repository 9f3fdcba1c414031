"""Print where the results of ``make submission`` are and the held-out F1."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from data.infra.errors import DataError, run_cli
from submit.evaluation.evaluate import table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="the run's build folder")
    parser.add_argument(
        "--no-test", action="store_true", help="the data has no test pages: report the held-out books only"
    )
    args = parser.parse_args(argv)
    work = Path(args.work)
    names = ["evaluate/evaluate.json"] + ([] if args.no_test else ["submission.json"])
    files = {name: work / name for name in names}
    for path in files.values():
        if not path.is_file():
            raise DataError(path, "missing: run `make submission` first")
    if args.no_test:
        print("\nno test pages in the data (sample_submission.csv, test_images/): no submission.csv written")
        print("transcribe pages of your own with `make read IMAGES=...`")
        submission = {}
    else:
        submission = json.loads(files["submission.json"].read_text())
        print(
            f"\nsubmission      {submission['submission']}  ({submission['pages']} pages, "
            f"{submission['points']} characters)"
        )
        if "models" in submission:
            models, kept = submission["models"], submission["thresholds"]
            print(f"written with    {models['detector']}  {models['recognizer']}")
            views = ", several views of each box" if kept.get("tta") else ""
            chosen = f"detector confidence {kept['conf']}, class probability {kept['prob']}"
            print(f"thresholds      {chosen}{views}")
    pictures = [work / "evaluate" / "pictures"] + ([] if args.no_test else [work / "pictures"])
    print("pictures        " + "  ".join(str(p) for p in pictures))
    print(f"training runs   {work / 'detector'}  {work / 'recognizer'}")
    print("\nheld-out books (neither model saw them):")
    print(table(json.loads(files["evaluate/evaluate.json"].read_text())))
    if "test" in submission:
        t = submission["test"]
        print(
            f"\ntest pages scored with test_answers.csv: F1 {t['f1']:.4f} "
            f"(precision {t['precision']:.4f}, recall {t['recall']:.4f})"
        )
    if not args.no_test:
        print("\nupload with `make upload` (needs Kaggle credentials)")
    return 0


if __name__ == "__main__":
    run_cli(main)
