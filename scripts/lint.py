#!/usr/bin/python3
"""Project lints run by scripts/test.sh.

1. Formatting: every C++ file is formatted as .clang-format (Google) says.
2. Determinism: code under sim/, protocol/ and checker/ uses no source of
   nondeterminism other than the project's own generator (docs/design.md rules 1
   and 4). A line that must do so anyway carries the comment
   `// epsim-lint: allow(<reason>)`.

Exit 0 when clean, 1 with one line per finding otherwise.
"""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CPP_SUFFIXES = {".cc", ".h"}
DETERMINISTIC_DIRS = ("sim", "protocol", "checker")
ALLOW = re.compile(r"//\s*epsim-lint:\s*allow\([^)]+\)")

# (pattern, what it is)
FORBIDDEN = [
    (re.compile(r"\bstd::random_device\b"), "std::random_device"),
    (re.compile(r"\bstd::(mt19937(_64)?|minstd_rand0?|default_random_engine|"
                r"ranlux\w*|knuth_b)\b"), "a standard random engine"),
    (re.compile(r"\bstd::\w+_distribution\b"), "a std:: distribution"),
    (re.compile(r"(?<![\w:.>])s?rand\s*\("), "rand()"),
    (re.compile(r"\babsl::(BitGen|InsecureBitGen)\b"), "absl::BitGen"),
    (re.compile(r"\b(system_clock|steady_clock|high_resolution_clock)\b"),
     "a wall clock"),
    (re.compile(r"\babsl::(Now|GetCurrentTimeNanos)\b"), "a wall clock"),
    (re.compile(r"\b(gettimeofday|clock_gettime)\s*\("), "a wall clock"),
    (re.compile(r"(?<![\w:.>])time\s*\(\s*(NULL|nullptr|0)?\s*\)"),
     "a wall clock"),
    (re.compile(r"\bstd::(thread|jthread|async)\b"), "a thread"),
    (re.compile(r"\bpthread_create\b"), "a thread"),
]


def cpp_files(root):
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts and (rel.parts[0].startswith("build") or
                          rel.parts[0].startswith(".")):
            continue
        if path.suffix in CPP_SUFFIXES and path.is_file():
            yield path


def strip_comment(line):
    # Good enough for a lint: drop a trailing // comment outside strings.
    in_string = False
    for i, ch in enumerate(line):
        if ch == '"' and (i == 0 or line[i - 1] != "\\"):
            in_string = not in_string
        if not in_string and line.startswith("//", i):
            return line[:i]
    return line


def determinism_findings(root):
    findings = []
    for path in cpp_files(root):
        rel = path.relative_to(root)
        if rel.parts[0] not in DETERMINISTIC_DIRS:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ALLOW.search(line):
                continue
            code = strip_comment(line)
            for pattern, what in FORBIDDEN:
                if pattern.search(code):
                    findings.append(
                        f"{rel}:{number}: {what} in deterministic code "
                        f"(use sim/random.h, or justify with "
                        f"'// epsim-lint: allow(reason)')")
    return findings


def format_findings(root):
    files = [str(p) for p in cpp_files(root)]
    if not files:
        return []
    result = subprocess.run(
        ["clang-format", "--dry-run", "--style=file", *files],
        cwd=root, capture_output=True, text=True)
    bad = sorted({line.split(":")[0] for line in result.stderr.splitlines()
                  if "warning:" in line or "error:" in line})
    return [f"{pathlib.Path(f).relative_to(root)}: not clang-formatted "
            f"(run: clang-format -i {pathlib.Path(f).relative_to(root)})"
            for f in bad]


def main(argv):
    root = pathlib.Path(argv[1]).resolve() if len(argv) > 1 else ROOT
    findings = determinism_findings(root) + format_findings(root)
    for f in findings:
        print(f)
    if findings:
        print(f"lint: {len(findings)} finding(s)")
        return 1
    print("lint: clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
