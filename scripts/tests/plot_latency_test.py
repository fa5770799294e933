"""Tests of scripts/plot_latency.py: a small `epsim latency` output in, the
expected figures out; reference markers; bad input exits 2 naming the file
and the column, and writes nothing."""

import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent
PLOT = SCRIPTS / "plot_latency.py"
DATA = SCRIPTS / "tests" / "data" / "latency_small"
REFERENCE = SCRIPTS.parent / "scenarios" / "epaxos-sosp13-fig4.json"

ALL_FIGURES = ["commit_latency_by_site", "latency_cdf", "latency_vs_conflict",
               "timeline"]


def run_plot(latency_csv, out_dir, *extra):
    return subprocess.run(
        [sys.executable, str(PLOT), str(latency_csv), "--out", str(out_dir),
         *extra], capture_output=True, text=True)


class PlotLatencyTest(unittest.TestCase):

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="plot_latency_test"))
        self.addCleanup(shutil.rmtree, self.tmp)
        self.data = self.tmp / "run"
        shutil.copytree(DATA, self.data)
        self.out = self.tmp / "plots"

    def assert_figures(self, names):
        for name in names:
            png = self.out / f"{name}.png"
            svg = self.out / f"{name}.svg"
            self.assertTrue(png.is_file(), png)
            self.assertEqual(png.read_bytes()[:8], b"\x89PNG\r\n\x1a\n", png)
            self.assertGreater(png.stat().st_size, 1000, png)
            self.assertIn("<svg", svg.read_text(encoding="utf-8"), svg)
        present = sorted(p.name for p in self.out.iterdir())
        self.assertEqual(present, sorted(f"{n}.{e}" for n in names
                                         for e in ("png", "svg")))

    def test_all_figures_from_a_full_run(self):
        result = run_plot(self.data / "latency.csv", self.out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_figures(ALL_FIGURES)
        svg = (self.out / "commit_latency_by_site.svg").read_text()
        self.assertNotIn("paper-median", svg)
        # Every protocol x conflict series has a legend entry.
        for label in ("epaxos-star:e=2,f=2 0%", "epaxos-star:e=2,f=2 100%",
                      "multipaxos:leader=1 0%", "multipaxos:leader=1 100%"):
            self.assertIn(label, svg)

    def test_reference_markers_for_the_papers_medians(self):
        result = run_plot(self.data / "latency.csv", self.out,
                          "--reference", str(REFERENCE))
        self.assertEqual(result.returncode, 0, result.stderr)
        # EPaxos 0% and 100% (matched by epaxos-star) and Multi-Paxos (any
        # conflict rate), five sites each.
        self.assertIn("reference markers: 20 paper medians", result.stdout)
        svg = (self.out / "commit_latency_by_site.svg").read_text()
        self.assertIn('id="paper-median', svg)
        self.assertIn("paper median", svg)

    def test_reference_without_shared_sites_is_a_notice(self):
        text = (self.data / "latency.csv").read_text()
        (self.data / "latency.csv").write_text(
            text.replace(",VA,", ",XX,").replace(",CA,", ",YY,")
            .replace(",OR,", ",ZZ,").replace(",JP,", ",WW,")
            .replace(",EU,", ",QQ,"))
        (self.data / "samples.csv").unlink()
        (self.data / "timeline.csv").unlink()
        result = run_plot(self.data / "latency.csv", self.out,
                          "--reference", str(REFERENCE))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("no reference markers", result.stderr)
        self.assertIn("reference markers: 0", result.stdout)

    def test_missing_optional_inputs_skip_their_figures(self):
        (self.data / "samples.csv").unlink()
        (self.data / "timeline.csv").unlink()
        (self.data / "events.csv").unlink()
        result = run_plot(self.data / "latency.csv", self.out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("skipping the CDF figure", result.stderr)
        self.assertIn("skipping the over-time figure", result.stderr)
        self.assert_figures(["commit_latency_by_site", "latency_vs_conflict"])

    def test_header_only_events_file_is_fine(self):
        (self.data / "events.csv").write_text(
            "protocol,seed,conflict,time_ms,event,detail\n")
        result = run_plot(self.data / "latency.csv", self.out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_figures(ALL_FIGURES)

    def assert_bad_input(self, result, *fragments):
        self.assertEqual(result.returncode, 2, result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)
        self.assertFalse(self.out.exists() and any(self.out.iterdir()),
                         "bad input must write nothing")
        leftovers = [p for p in self.tmp.iterdir()
                     if p.name.startswith(".plot_latency-")]
        self.assertEqual(leftovers, [])

    def test_a_value_that_is_not_a_number_exits_2_naming_the_column(self):
        path = self.data / "latency.csv"
        lines = path.read_text().splitlines(keepends=True)
        lines[3] = lines[3].replace(",50,", ",fifty,", 1)
        path.write_text("".join(lines))
        self.assert_bad_input(run_plot(path, self.out), str(path), "line 4",
                              "column 'count'", "'fifty'")

    def test_a_missing_column_exits_2_naming_it(self):
        path = self.data / "latency.csv"
        text = path.read_text().replace("commit_p99_ms", "commit_p98_ms", 1)
        path.write_text(text)
        self.assert_bad_input(run_plot(path, self.out), str(path),
                              "missing column 'commit_p99_ms'")

    def test_a_bad_optional_file_also_exits_2_and_writes_nothing(self):
        path = self.data / "samples.csv"
        with path.open("a") as f:
            f.write("multipaxos,0,CA,1,-3\n")
        self.assert_bad_input(run_plot(self.data / "latency.csv", self.out),
                              str(path), "column 'commit_latency_ms'")

    def test_conflict_out_of_range_and_duplicate_rows_are_rejected(self):
        path = self.data / "latency.csv"
        original = path.read_text()
        lines = original.splitlines(keepends=True)
        path.write_text("".join(lines + [lines[1]]))
        self.assert_bad_input(run_plot(path, self.out), "a second row")
        path.write_text(original.replace(",100,VA,", ",150,VA,", 1))
        self.assert_bad_input(run_plot(path, self.out), "column 'conflict'",
                              "percentage 0..100")

    def test_a_malformed_reference_exits_2(self):
        bad = self.tmp / "reference.json"
        bad.write_text('{"five_sites": {"sites": ["CA"], "median_p99": '
                       '{"epaxos_0pct": {"CA": [78]}}}}')
        self.assert_bad_input(
            run_plot(self.data / "latency.csv", self.out, "--reference",
                     str(bad)),
            str(bad), "epaxos_0pct.CA", "expected [median, p99 or null]")

    def test_a_missing_input_file_exits_2(self):
        self.assert_bad_input(run_plot(self.tmp / "nope.csv", self.out),
                              "nope.csv", "cannot read")


if __name__ == "__main__":
    unittest.main()
