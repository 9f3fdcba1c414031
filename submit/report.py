"""Print where the results of ``make submission`` are and the held-out F1."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from data.errors import DataError, run_cli
from submit.evaluate import table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="the run's build folder")
    args = parser.parse_args(argv)
    work = Path(args.work)
    files = {name: work / name for name in ("submission.json", "evaluate/evaluate.json")}
    for path in files.values():
        if not path.is_file():
            raise DataError(path, "missing: run `make submission` first")
    submission = json.loads(files["submission.json"].read_text())
    print(
        f"\nsubmission      {submission['submission']}  ({submission['pages']} pages, "
        f"{submission['points']} characters)"
    )
    print(f"pictures        {work / 'evaluate' / 'pictures'}  {work / 'pictures'}")
    print(f"training runs   {work / 'detector'}  {work / 'recognizer'}")
    print("\nheld-out books (neither model saw them):")
    print(table(json.loads(files["evaluate/evaluate.json"].read_text())))
    if "test" in submission:
        t = submission["test"]
        print(
            f"\ntest pages scored with test_answers.csv: F1 {t['f1']:.4f} "
            f"(precision {t['precision']:.4f}, recall {t['recall']:.4f})"
        )
    print("\nupload with `make upload` (needs Kaggle credentials)")
    return 0


if __name__ == "__main__":
    run_cli(main)
