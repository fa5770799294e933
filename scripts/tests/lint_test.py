"""Tests of scripts/lint.py: it flags nondeterminism and honours the
allow-list comment."""

import pathlib
import subprocess
import sys
import tempfile
import unittest

LINT = pathlib.Path(__file__).resolve().parent.parent / "lint.py"


def run_lint(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / ".clang-format").write_text("BasedOnStyle: Google\n")
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return subprocess.run([sys.executable, str(LINT), str(root)],
                              capture_output=True, text=True)


class LintTest(unittest.TestCase):

    def test_clean_tree_passes(self):
        result = run_lint({"sim/a.cc": "int Add(int a, int b) { return a + b; }\n"})
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_mt19937_in_sim_is_flagged(self):
        result = run_lint({"sim/a.cc": "#include <random>\nstd::mt19937 g;\n"})
        self.assertEqual(result.returncode, 1)
        self.assertIn("sim/a.cc:2", result.stdout)

    def test_wall_clock_and_thread_in_checker_are_flagged(self):
        result = run_lint({"checker/a.cc":
                           "auto t = std::chrono::steady_clock::now();\n"
                           "std::thread th;\n"})
        self.assertIn("checker/a.cc:1", result.stdout)
        self.assertIn("checker/a.cc:2", result.stdout)

    def test_allow_comment_silences_one_line(self):
        result = run_lint({"protocol/a.cc":
                           "std::thread th;  // epsim-lint: allow(test)\n"})
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_outside_deterministic_dirs_is_not_flagged(self):
        result = run_lint({"cli/a.cc": "std::thread th;\n"})
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_unformatted_file_is_flagged(self):
        result = run_lint({"sim/a.cc": "int   f( ){return 1;}\n"})
        self.assertEqual(result.returncode, 1)
        self.assertIn("not clang-formatted", result.stdout)


if __name__ == "__main__":
    unittest.main()
