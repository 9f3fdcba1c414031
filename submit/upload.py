"""Upload a submission with the official ``kaggle`` CLI, after validating it.

Credentials are found where the CLI looks for them (KAGGLE_API_TOKEN, ~/.kaggle/access_token,
KAGGLE_USERNAME + KAGGLE_KEY, or kaggle.json in KAGGLE_CONFIG_DIR, ~/.kaggle or ~/.config/kaggle);
this module only checks that one exists and never reads, prints or logs a secret.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from data.formats import read_translation
from data.infra.errors import DataError, run_cli
from submit.submission import expected_pages, validate_submission

COMPETITION = "kuzushiji-recognition"


def credential_source() -> str | None:
    """Where the kaggle CLI would find credentials (a description, not the secret), or None."""
    if os.environ.get("KAGGLE_API_TOKEN"):
        return "KAGGLE_API_TOKEN"
    home = Path.home()
    for token in (home / ".kaggle" / "access_token", home / ".kaggle" / "access_token.txt"):
        if token.is_file():
            return str(token)
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return "KAGGLE_USERNAME and KAGGLE_KEY"
    folders = [
        os.environ.get("KAGGLE_CONFIG_DIR"),
        home / ".kaggle",
        Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "kaggle",
    ]
    for folder in filter(None, folders):
        if (Path(folder) / "kaggle.json").is_file():
            return str(Path(folder) / "kaggle.json")
    return None


def kaggle_command() -> str:
    found = shutil.which("kaggle") or shutil.which("kaggle", path=str(Path(sys.executable).parent))
    if not found:
        raise DataError("kaggle", "the kaggle CLI is not installed (run `make setup`)")
    return found


def upload(submission: str | Path, data: str | Path, message: str) -> int:
    """Validate ``submission`` against ``data``, then submit it; returns the CLI's exit status."""
    data = Path(data)
    pages = expected_pages(data / "sample_submission.csv", data / "test_images")
    n = validate_submission(
        submission, pages, read_translation(data / "unicode_translation.csv"), data / "test_images"
    )
    source = credential_source()
    if source is None:
        raise DataError(
            "kaggle",
            "no Kaggle credentials: create an API token at https://www.kaggle.com/settings "
            "and save it as ~/.kaggle/kaggle.json (or set KAGGLE_API_TOKEN)",
        )
    command = [kaggle_command(), "competitions", "submit", COMPETITION, "-f", str(submission), "-m", message]
    print(
        f"submitting {submission} ({len(pages)} pages, {n} characters) to {COMPETITION}; "
        f"credentials from {source}"
    )
    return subprocess.run(command, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submission", required=True)
    parser.add_argument("--data", required=True, help="the Kaggle-layout folder the submission was made for")
    parser.add_argument("--message", default="kuzushiji pipeline")
    args = parser.parse_args(argv)
    return upload(args.submission, args.data, args.message)


if __name__ == "__main__":
    run_cli(main)
