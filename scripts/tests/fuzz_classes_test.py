"""Tests of scripts/fuzz_classes.py: the first failing seed per check is the
smallest seed among the findings that failed it; malformed fuzz output is
refused with the field named."""

import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import fuzz_classes  # noqa: E402


class FirstSeedsTest(unittest.TestCase):

    def test_smallest_seed_and_count_per_check(self):
        summary = {"seeds": 9, "findings": [
            {"seed": 7, "checks": ["agreement"]},
            {"seed": 3, "checks": ["liveness", "agreement"]},
            {"seed": 5, "checks": ["liveness"]},
        ]}
        self.assertEqual(fuzz_classes.first_seeds(summary),
                         {"agreement": (3, 2), "liveness": (3, 2)})
        row = fuzz_classes.table_row("epaxos", summary, 12.0)
        self.assertEqual(
            row, "| `epaxos` | agreement @ 3 (2), liveness @ 3 (2) | 9 | 12 s |")

    def test_no_findings_reads_none(self):
        row = fuzz_classes.table_row("epaxos-star",
                                     {"seeds": 4, "findings": []}, 1.0)
        self.assertIn("| none | 4 |", row)

    def test_malformed_finding_is_named(self):
        with self.assertRaisesRegex(fuzz_classes.BadInput, r"findings\[1\]"):
            fuzz_classes.first_seeds({"findings": [
                {"seed": 1, "checks": []}, {"seed": "x", "checks": []}]})
        with self.assertRaisesRegex(fuzz_classes.BadInput, "findings list"):
            fuzz_classes.first_seeds({"seeds": 1})

    def test_missing_binary_exits_two(self):
        self.assertEqual(
            fuzz_classes.main(["--epsim", "/nonexistent/epsim", "epaxos"]), 2)


if __name__ == "__main__":
    unittest.main()
