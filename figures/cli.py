"""Command line: ``python -m figures extract PATH... [--format csv|jsonl] [-o FILE]``."""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from .extract import EXTRACTOR_VERSION, extract
from .reading import UnreadableDocument, read_text_file
from .schema import FIELDS, to_csv_row

TEXT_SUFFIXES = {".txt"}


def _documents(paths: list[str]):
    """(path, problem) for every document named: files as given, folders walked lazily, sorted."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES:
                    yield f, None
        elif p.is_file():
            yield p, None
        else:
            yield p, f"{p}: no such file or folder"


def _cmd_extract(args) -> int:
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    failed = 0
    try:
        writer = None
        if args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
            writer.writeheader()
        for path, problem in _documents(args.paths):
            if problem is None and path.suffix.lower() not in TEXT_SUFFIXES:
                problem = f"{path}: unsupported format '{path.suffix or 'none'}' (only .txt for now)"
            if problem is None:
                try:
                    text = read_text_file(path)
                except UnreadableDocument as e:
                    problem = str(e)
            if problem is not None:
                print(f"error: {problem}", file=sys.stderr)
                failed += 1
                continue
            for fig in extract(text, doc_id=path.stem, date=args.date):
                if writer is not None:
                    writer.writerow(to_csv_row(fig))
                else:
                    out.write(json.dumps(fig.to_row(), ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    if failed:
        print(f"{failed} file(s) could not be read", file=sys.stderr)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m figures",
                                     description="Humanitarian figures with their provenance.")
    parser.add_argument("--version", action="version", version=f"figures {EXTRACTOR_VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("extract", help="extract figures from .txt files or folders of them")
    ex.add_argument("paths", nargs="+", metavar="PATH")
    ex.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    ex.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    ex.add_argument("--date", metavar="YYYY-MM-DD",
                    help="the documents' date, for articles whose dateline has none")
    ex.set_defaults(run=_cmd_extract)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "date", None):
        from datetime import date
        try:
            date.fromisoformat(args.date)
        except ValueError:
            print(f"error: --date must be YYYY-MM-DD, not {args.date!r}", file=sys.stderr)
            return 2
    return args.run(args)
