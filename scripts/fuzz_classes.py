#!/usr/bin/python3
"""Seeds to the first violation of each check, per protocol variant.

    /usr/bin/python3 scripts/fuzz_classes.py [--epsim build/epsim] \\
        [--seeds 1:500] [--model crash-stop] [--out FILE.md] [VARIANT ...]

Runs `epsim fuzz --protocol VARIANT --seeds A:B --no-shrink --json` for each
variant (default: EPaxos as published, with one ballot variable, with split
ballots, every Go quirk on its own, and EPaxos*) and prints a Markdown table:
for each variant, each check that failed with the first seed that failed it
and how many seeds failed it, the seeds run and the campaign's wall time.
This answers "does fuzzing find each corpus class on its own, and how
soon?"; it is a campaign (minutes), not a test. A progress line goes to a
terminal on stderr.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

GO_QUIRKS = [
    "exec-seq-tie", "go-prepare-miscount", "go-accept-no-payload",
    "go-noop-keeps-stale-cmd", "go-commitshort-repropose", "go-exec-busywait",
    "go-exec-nil-cmds", "go-phase1-wrong-row", "go-accept-wrong-row",
    "go-tpa-wrong-message", "go-leader-reply-early-return",
    "go-commit-over-executed", "go-prepare-reply-ballot",
    "swift-local-vbal-wins", "spec-tpa-placeholder-stall",
]
DEFAULT_VARIANTS = (["epaxos", "epaxos:ballots=single", "epaxos:ballots=split"]
                    + ["epaxos:quirks=" + q for q in GO_QUIRKS]
                    + ["epaxos-star"])


class BadInput(Exception):
    pass


def first_seeds(summary):
    """Maps each failing check of a fuzz --json summary to (first seed, count)."""
    if not isinstance(summary, dict) or not isinstance(
            summary.get("findings"), list):
        raise BadInput("fuzz --json: expected an object with a findings list")
    out = {}
    for i, finding in enumerate(summary["findings"]):
        seed = finding.get("seed") if isinstance(finding, dict) else None
        checks = finding.get("checks") if isinstance(finding, dict) else None
        if not isinstance(seed, int) or not isinstance(checks, list):
            raise BadInput(
                f"fuzz --json: findings[{i}]: expected seed (integer) and "
                "checks (list)")
        for check in checks:
            first, count = out.get(check, (seed, 0))
            out[check] = (min(first, seed), count + 1)
    return out


def table_row(variant, summary, wall_s):
    found = first_seeds(summary)
    cells = ", ".join(f"{check} @ {first} ({count})"
                      for check, (first, count) in sorted(found.items()))
    return (f"| `{variant}` | {cells or 'none'} | {summary.get('seeds', 0)} "
            f"| {wall_s:.0f} s |")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("variants", nargs="*", default=DEFAULT_VARIANTS)
    parser.add_argument("--epsim", default="build/epsim")
    parser.add_argument("--seeds", default="1:500")
    parser.add_argument("--model", default="crash-stop")
    parser.add_argument("--jobs", default=str(os.cpu_count() or 1))
    parser.add_argument("--out", help="also write the table here")
    args = parser.parse_args(argv)
    if not os.access(args.epsim, os.X_OK):
        print(f"fuzz_classes: --epsim {args.epsim}: not an executable "
              "(build first: scripts/build.sh)", file=sys.stderr)
        return 2
    progress = sys.stderr.isatty()
    rows = [
        f"Seeds {args.seeds}, model {args.model}, built-in base. A cell reads "
        "check @ first failing seed (failing seeds).", "",
        "| variant | checks failed | seeds | wall |", "| --- | --- | --- | --- |"
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for i, variant in enumerate(args.variants):
            if progress:
                print(f"\r[{i + 1}/{len(args.variants)}] {variant:<50}",
                      end="", file=sys.stderr, flush=True)
            out_dir = pathlib.Path(tmp) / str(i)
            start = time.monotonic()
            run = subprocess.run(
                [args.epsim, "fuzz", "--protocol", variant, "--seeds",
                 args.seeds, "--model", args.model, "--jobs", args.jobs,
                 "--no-shrink", "--quiet", "--json", "--out", str(out_dir)],
                capture_output=True, text=True, check=False)
            wall = time.monotonic() - start
            if run.returncode not in (0, 1):
                print(f"\nfuzz_classes: {variant}: epsim fuzz exited "
                      f"{run.returncode}: {run.stderr.strip()}",
                      file=sys.stderr)
                return 2
            try:
                rows.append(table_row(variant, json.loads(run.stdout), wall))
            except (json.JSONDecodeError, BadInput) as e:
                print(f"\nfuzz_classes: {variant}: {e}", file=sys.stderr)
                return 2
    if progress:
        print(file=sys.stderr)
    text = "\n".join(rows) + "\n"
    print(text, end="")
    if args.out:
        pathlib.Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
