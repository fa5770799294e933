"""Tests of scripts/open_questions.py: bad arguments exit 2, every variant
is a protocol spec EPaxos* accepts, and the table says what each run found.
Runs no explorer."""

import pathlib
import subprocess
import sys
import unittest

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))
import open_questions  # noqa: E402


def script(*args):
    return subprocess.run([sys.executable, str(SCRIPTS / "open_questions.py"),
                           *args], capture_output=True, text=True)


class OpenQuestionsTest(unittest.TestCase):

    def test_unknown_names_and_bad_limits_exit_2(self):
        for args in (["--only", "nosuch"], ["--variants", "bal"],
                     ["--time-limit", "0"], ["--time-limit", "nan"]):
            result = script(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertIn("expected", result.stderr, args)

    def test_missing_explorer_exits_2(self):
        result = script("--epsim", "/no/such/epsim", "--only", "1cmd-r12",
                        "--variants", "default", "--quiet")
        self.assertEqual(result.returncode, 2)
        self.assertIn("/no/such/epsim", result.stderr)

    def test_table_reports_verdicts(self):
        safe = {"complete": True, "violation": None, "states": 1234,
                "transitions": 5678, "max_depth": 9, "seconds": 1.25}
        open_run = dict(safe, complete=False)
        broken = dict(safe, violation={"check": "agreement", "length": 7})
        text = open_questions.table([("c", "default", safe),
                                     ("c", "x", open_run),
                                     ("c", "y", broken)])
        self.assertIn("| c | default | safe | 1,234 | 5,678 | 9 | 1.2 |", text)
        self.assertIn("none found (unfinished)", text)
        self.assertIn("**agreement** in 7 steps", text)

    def test_commands_name_the_variant(self):
        config = open_questions.CONFIGS[0]
        for variant in open_questions.VARIANTS:
            cmd = open_questions.explore_command("epsim", config, variant, 5)
            spec = cmd[cmd.index("--protocol") + 1]
            self.assertTrue(spec.startswith(open_questions.BASE), spec)
            self.assertTrue(spec.endswith(variant[1]), spec)


if __name__ == "__main__":
    unittest.main()
