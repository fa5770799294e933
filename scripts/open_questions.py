#!/usr/bin/python3
"""Explore every EPaxos* variant of the paper's open questions.

    /usr/bin/python3 scripts/open_questions.py [--epsim build/epsim]
        [--time-limit SECONDS] [--only CONFIG,...] [--md FILE] [--quiet]

Each variant is one protocol option of EPaxos* (docs/open-questions.md says
what each one means); each configuration is a small `epsim explore` space.
For every (configuration, variant) pair the script runs the explorer with
--json and records whether the space was exhausted, its size, the time and
the violation (the check and the schedule's length) if one was found. A
variant whose schedule breaks a check is shown with the explorer's
shortest counterexample; rerun the printed command with --out to keep it.

Writes a Markdown table to --md (default: stdout). A progress line goes to
a terminal (not with --quiet). Exit 0 when every run ended (violations are
results, not failures), 2 on bad arguments or an explorer that crashed.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BASE = "epaxos-star:n=3,f=1,e=1"

# (name, extra protocol options). The first is today's default.
VARIANTS = [
    ("default", ""),
    ("accept_guard=abal-downgrade", ",accept_guard=abal-downgrade"),
    ("accept_guard=bal", ",accept_guard=bal"),
    ("accept_guard=bal-downgrade", ",accept_guard=bal-downgrade"),
    ("waiting_to_self=false", ",waiting_to_self=false"),
    ("validate_ok_to=all", ",validate_ok_to=all"),
    ("commit_lower_ballot=true", ",commit_lower_ballot=true"),
]

# (name, protocol options every variant gets, explore flags).
CONFIGS = [
    ("1cmd-r12", "", "--commands 1 --max-recoveries 1 --recoverers 1,2"),
    ("1cmd-r12-nohint", ",hint=false",
     "--commands 1 --max-recoveries 1 --recoverers 1,2"),
    ("1cmd-r12-crash", "",
     "--commands 1 --max-recoveries 1 --recoverers 1,2 --max-crashes 1"),
    ("1cmd-r12-crash-nohint", ",hint=false",
     "--commands 1 --max-recoveries 1 --recoverers 1,2 --max-crashes 1"),
    ("2cmd-r1", "",
     "--commands 2 --conflicts pairs --max-recoveries 1 --recoverers 1"),
    ("2cmd-r1-nohint", ",hint=false",
     "--commands 2 --conflicts pairs --max-recoveries 1 --recoverers 1"),
]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epsim", default=str(ROOT / "build" / "epsim"))
    p.add_argument("--time-limit", type=float, default=120.0)
    p.add_argument("--only", default="",
                   help="comma-separated configuration names")
    p.add_argument("--variants", default="",
                   help="comma-separated variant names")
    p.add_argument("--md", default="")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if not args.time_limit > 0:
        p.error("--time-limit: expected a positive number of seconds")
    for flag, names, known in (("--only", args.only, CONFIGS),
                               ("--variants", args.variants, VARIANTS)):
        for n in filter(None, names.split(",")):
            if n not in [k[0] for k in known]:
                p.error(f"{flag}: unknown name {n!r}; expected one of "
                        + ", ".join(k[0] for k in known))
    return args


def explore_command(epsim, config, variant, time_limit):
    _, options, flags = config
    spec = BASE + options + variant[1]
    return [epsim, "explore", "--protocol", spec, *flags.split(),
            "--time-limit", str(time_limit), "--json", "--quiet"]


def run_one(cmd):
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: "
                           f"{proc.stderr.strip()[:300]}")
    result = json.loads(proc.stdout)
    result["wall"] = time.monotonic() - started
    return result


def describe(result):
    v = result.get("violation")
    if v:
        return f"**{v.get('check', 'violation')}** in {v.get('length', '?')} steps"
    return "safe" if result["complete"] else "none found (unfinished)"


def table(rows):
    out = ["| configuration | variant | verdict | states | transitions | "
           "depth | seconds |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for config, variant, r in rows:
        out.append(f"| {config} | {variant} | {describe(r)} | "
                   f"{r['states']:,} | {r['transitions']:,} | "
                   f"{r['max_depth']} | {r['seconds']:.1f} |")
    return "\n".join(out) + "\n"


def main(argv):
    args = parse_args(argv)
    only = set(filter(None, args.only.split(",")))
    variants = set(filter(None, args.variants.split(",")))
    configs = [c for c in CONFIGS if not only or c[0] in only]
    chosen = [v for v in VARIANTS if not variants or v[0] in variants]
    show = sys.stderr.isatty() and not args.quiet
    rows = []
    total = len(configs) * len(chosen)
    for config in configs:
        for variant in chosen:
            if show:
                print(f"\r[{len(rows) + 1}/{total}] {config[0]} {variant[0]}"
                      "\033[K", end="", file=sys.stderr, flush=True)
            cmd = explore_command(args.epsim, config, variant,
                                  args.time_limit)
            try:
                rows.append((config[0], variant[0], run_one(cmd)))
            except (OSError, RuntimeError, json.JSONDecodeError) as e:
                print(f"\nopen_questions: {e}", file=sys.stderr)
                return 2
    if show:
        print("\r\033[K", end="", file=sys.stderr)
    text = table(rows)
    if args.md:
        pathlib.Path(args.md).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
