#!/usr/bin/python3
"""Tests of docs/plots/plot_results.py (docs/plots.md) on a hand-made results.csv in the real schema.

tests/plots/fixture_results.csv (scenario plots-fixture, the schema's header, one row per sweep point):
  strong        training, 1000 tokens/s per chip at 8, 16, 32, 64 chips; at 128 chips tokens_per_s is empty
  half          training, exactly 500 tokens/s per chip at 8, 12, 50, 128 chips
  weak          training, 250 tokens/s per chip at 8, 16, 32 chips; power_all_in_w empty at 16 chips
  serve_strong  serving, 2000 output tokens/s per chip at 16, 32, 64 chips
  serve_weak    serving, 1600 output tokens/s per chip at 16, 32, 64 chips
Run by ctest (tests/CMakeLists.txt, plot_results_test) or directly: python3 tests/plots/test_plot_results.py
"""

import csv
import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree when the script is imported

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "docs", "plots", "plot_results.py")
FIXTURE = os.path.join(HERE, "fixture_results.csv")

FIGURES = ["throughput_vs_chips", "efficiency_vs_chips", "crossover", "perf_per_watt_vs_chips",
           "perf_per_dollar_vs_chips", "energy_per_token_vs_chips", "cost_per_million_tokens_vs_chips"]
SCHEMA_FIGURES = FIGURES[:4]  # the ones today's schema (no cost columns) can give
COST_COLUMNS = ["capex_usd", "capex_per_chip_usd", "it_power_w", "facility_power_w", "cost_per_hour_usd",
                "training_energy_per_token_j", "training_cost_per_million_tokens_usd",
                "serving_energy_per_output_token_j", "serving_cost_per_million_output_tokens_usd"]


def load_module():
    spec = importlib.util.spec_from_file_location("plot_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, SCRIPT, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_extended_fixture(path):
    """The fixture with the cost columns appended (as the next schema version will): known for some rows,
    empty (unknown) for others."""
    with open(FIXTURE, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    chips = header.index("chips_count")
    case = header.index("case")
    out = []
    for row in rows:
        n = float(row[chips])
        name = row[case].split("|")[0]
        known = not (name == "weak" and n == 16)
        per_chip = {"strong": 30000, "half": 10000, "weak": 12000, "serve_strong": 30000, "serve_weak": 10000}[name]
        extra = [str(int(per_chip * n)), str(per_chip), str(int(900 * n)), str(int(1200 * n)), str(int(3 * n)),
                 "0.5" if name in ("strong", "half", "weak") else "", "1.5" if name in ("strong", "half", "weak") else "",
                 "0.2" if name.startswith("serve") else "", "0.9" if name.startswith("serve") else ""]
        out.append(row + (extra if known else [""] * len(extra)))
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header + COST_COLUMNS)
        w.writerows(out)


class PlotResultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="plot_results_test.")
        cls.out1 = os.path.join(cls.tmp.name, "a")
        cls.out2 = os.path.join(cls.tmp.name, "b")
        # The same relative CSV path both times: the footnote names it.
        cls.run1 = run("tests/plots/fixture_results.csv", "--out", cls.out1)
        cls.run2 = run("tests/plots/fixture_results.csv", "--out", cls.out2)
        cls.mod = load_module()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    # -- figures

    def test_runs_cleanly(self):
        self.assertEqual(self.run1.returncode, 0, self.run1.stderr)
        self.assertNotIn("Traceback", self.run1.stderr)

    def test_schema_figures_written(self):
        for name in SCHEMA_FIGURES:
            for ext in ("png", "svg"):
                path = os.path.join(self.out1, f"{name}.{ext}")
                self.assertTrue(os.path.isfile(path), path)
                self.assertGreater(os.path.getsize(path), 1000, path)
        self.assertTrue(os.path.isfile(os.path.join(self.out1, "crossover.csv")))
        with open(os.path.join(self.out1, "throughput_vs_chips.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_cost_figures_skipped_with_message(self):
        for name in ("perf_per_dollar_vs_chips", "energy_per_token_vs_chips", "cost_per_million_tokens_vs_chips"):
            self.assertIn(f"skipped {name}", self.run1.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.out1, f"{name}.png")))

    def test_every_figure_with_cost_columns(self):
        with tempfile.TemporaryDirectory() as d:
            csv_path = os.path.join(d, "extended.csv")
            write_extended_fixture(csv_path)
            out = os.path.join(d, "fig")
            r = run(csv_path, "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("skipped", r.stderr)
            for name in FIGURES:
                for ext in ("png", "svg"):
                    self.assertTrue(os.path.isfile(os.path.join(out, f"{name}.{ext}")), f"{name}.{ext}")
            # facility_power_w comes first among the power columns.
            with open(os.path.join(out, "perf_per_watt_vs_chips.svg")) as f:
                self.assertIn("facility_power_w", f.read())
            # Rerun on today's schema into the same directory: the stale cost figures go.
            r = run(FIXTURE, "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, "perf_per_dollar_vs_chips.png")))
            self.assertTrue(os.path.exists(os.path.join(out, "throughput_vs_chips.png")))

    # -- crossover

    def crossover_rows(self, out=None):
        return read_rows(os.path.join(out or self.out1, "crossover.csv"))

    def test_crossover_half_per_chip_needs_twice_the_chips(self):
        rows = [r for r in self.crossover_rows() if r["metric"] == "training" and r["candidate"] == "half"]
        self.assertEqual([r["reference"] for r in rows], ["strong"] * 4)  # the strongest series by default
        self.assertEqual([int(r["reference_chips"]) for r in rows], [8, 16, 32, 64])
        for r in rows:
            n = float(r["reference_chips"])
            self.assertAlmostEqual(float(r["candidate_chips"]), 2 * n, delta=1e-9 * n)
            self.assertAlmostEqual(float(r["candidate_chips_per_reference_chip"]), 2.0, places=9)
        # 8, 16, 32 fall between half's sweep points (8, 12, 50, 128); 64 hits its point 128.
        self.assertEqual([r["status"] for r in rows], ["interpolated"] * 3 + ["at_point"])

    def test_crossover_not_reached(self):
        rows = [r for r in self.crossover_rows() if r["candidate"] == "weak"]
        self.assertEqual([(r["reference_chips"], r["candidate_chips"], r["status"]) for r in rows],
                         [("8", "32", "at_point"), ("16", "", "not_reached"), ("32", "", "not_reached"),
                          ("64", "", "not_reached")])

    def test_goodput_panel_and_crossover(self):
        """goodput_tokens_per_s (schema v6) is a third metric where known: its own panel and crossover rows.
        strong keeps half its throughput (500 per chip), half all of it (500 per chip): parity in goodput."""
        with open(FIXTURE, newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = list(reader)
        chips, case, goodput = header.index("chips_count"), header.index("case"), header.index("goodput_tokens_per_s")
        for row in rows:
            name = row[case].split("|")[0]
            if name in ("strong", "half") and row[header.index("tokens_per_s")]:
                row[goodput] = str(int(500 * float(row[chips])))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "goodput.csv")
            with open(path, "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(header)
                w.writerows(rows)
            out = os.path.join(d, "fig")
            r = run(path, "--out", out, "--reference", "strong", "--candidate", "half")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(out, "throughput_vs_chips.svg")) as f:
                self.assertIn("goodput_tokens_per_s", f.read())
            good = [x for x in self.crossover_rows(out) if x["metric"] == "goodput"]
            self.assertEqual([int(x["reference_chips"]) for x in good], [8, 16, 32, 64])
            for x in good:
                self.assertAlmostEqual(float(x["candidate_chips_per_reference_chip"]), 1.0, places=9)
            training = [x for x in self.crossover_rows(out) if x["metric"] == "training"]
            self.assertAlmostEqual(float(training[0]["candidate_chips_per_reference_chip"]), 2.0, places=9)

    def test_crossover_serving(self):
        rows = [r for r in self.crossover_rows() if r["metric"] == "serving"]
        self.assertEqual({r["reference"] for r in rows}, {"serve_strong"})
        self.assertAlmostEqual(float(rows[0]["candidate_chips"]), 20.0, places=9)  # 16 × 2000 / 1600
        self.assertAlmostEqual(float(rows[1]["candidate_chips"]), 40.0, places=9)
        self.assertEqual(rows[2]["status"], "not_reached")

    def test_chips_for(self):
        f = self.mod.chips_for
        pts = [(10, 100.0), (100, 1000.0)]
        self.assertEqual(f(pts, 100.0), (10, "at_point"))
        self.assertEqual(f(pts, 50.0), (10, "at_most"))
        self.assertEqual(f(pts, 2000.0), (None, "not_reached"))
        chips, status = f(pts, 316.22776601683796)  # √10 × 100: halfway in log space
        self.assertEqual(status, "interpolated")
        self.assertAlmostEqual(chips, 31.622776601683793, places=9)
        # A curve that falls and rises again: the first (smallest) count that reaches the target.
        self.assertEqual(f([(1, 10.0), (2, 30.0), (4, 20.0), (8, 40.0)], 30.0), (2, "at_point"))
        self.assertEqual(f([], 1.0), (None, "not_reached"))

    def test_efficiency_definition(self):
        eff = self.mod.efficiency([(8, 800.0), (16, 1200.0), (32, 3200.0)])
        self.assertEqual(eff, [(8, 1.0), (16, 0.75), (32, 1.0)])

    # -- unknown cells

    def test_unknown_cells_are_left_out(self):
        header, rows = self.mod.read_csv(FIXTURE)
        self.mod.numeric(rows, ["chips_count", "tokens_per_s", "power_all_in_w"])
        series = {s.name: s for s in self.mod.build_series(rows, "case")}
        self.assertEqual(list(series), ["strong", "half", "weak", "serve_strong", "serve_weak"])
        tokens = lambda r: self.mod.cell(r, "tokens_per_s")  # noqa: E731
        # strong's 128-chip row has an empty tokens_per_s: no point there, never 0.
        self.assertEqual(len(series["strong"].rows), 5)
        self.assertEqual([x for x, _ in series["strong"].points(tokens)], [8, 16, 32, 64])
        self.assertEqual(series["serve_strong"].points(tokens), [])
        power = lambda r: self.mod.cell(r, "power_all_in_w")  # noqa: E731
        self.assertEqual([x for x, _ in series["weak"].points(power)], [8, 32])
        # ... and no crossover row at 128 reference chips.
        self.assertNotIn("128", [r["reference_chips"] for r in self.crossover_rows()])

    def test_series_keys(self):
        name = self.mod.case_series_name
        self.assertEqual(name("h100|count=8"), "h100")
        self.assertEqual(name("h100"), "h100")
        self.assertEqual(name("h100|count=8|overrides.tdp=700 W"), "h100|overrides.tdp=700 W")
        header, rows = self.mod.read_csv(FIXTURE)
        self.mod.numeric(rows, ["chips_count"])
        self.assertEqual([s.name for s in self.mod.build_series(rows, "chip")],
                         ["nvidia_h100_sxm", "ascend_910c", "nvidia_h20"])
        self.assertEqual([s.name for s in self.mod.build_series(rows, "system")],
                         ["xai_colossus_hopper_200k", "cloudmatrix_384", "nvidia_h20 (no system)"])

    def test_where(self):
        with tempfile.TemporaryDirectory() as d:
            # Values of one column are alternatives: strong and half, not weak.
            r = run(FIXTURE, "--out", d, "--where", "chip=nvidia_h100_sxm", "--where", "chip=ascend_910c",
                    "--where", "training_workload=llama3_70b")
            self.assertEqual(r.returncode, 0, r.stderr)
            rows = self.crossover_rows(d)
            self.assertEqual({(x["metric"], x["reference"], x["candidate"]) for x in rows},
                             {("training", "strong", "half")})
            r = run(FIXTURE, "--out", d, "--reference", "half", "--candidate", "weak", "--format", "svg")
            self.assertEqual(r.returncode, 0, r.stderr)
            rows = [x for x in self.crossover_rows(d) if x["metric"] == "training"]
            self.assertEqual([(x["reference_chips"], x["candidate_chips"]) for x in rows][:1], [("8", "16")])

    # -- determinism

    def test_svg_bytes_are_identical_across_runs(self):
        self.assertEqual(self.run2.returncode, 0, self.run2.stderr)
        for name in SCHEMA_FIGURES:
            for ext in ("svg", "png"):
                with open(os.path.join(self.out1, f"{name}.{ext}"), "rb") as a, \
                        open(os.path.join(self.out2, f"{name}.{ext}"), "rb") as b:
                    self.assertEqual(a.read(), b.read(), f"{name}.{ext} differs between two runs")
        with open(os.path.join(self.out1, "throughput_vs_chips.svg")) as f:
            svg = f.read()
        self.assertNotIn("<dc:date>", svg)
        # The footnote names the CSV and the scenario (matplotlib keeps each text as a comment).
        self.assertIn("Source: tests/plots/fixture_results.csv", svg)
        self.assertIn("scenario: plots-fixture", svg)

    # -- errors: one line, exit 2, no traceback

    def assert_bad_input(self, result, fragment):
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn(fragment, lines[0])

    def test_missing_file(self):
        with tempfile.TemporaryDirectory() as d:
            self.assert_bad_input(run(os.path.join(d, "nope.csv"), "--out", d), "no such file")

    def test_csv_without_chips_count(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "other.csv")
            with open(path, "w") as f:
                f.write("scenario,case,tokens_per_s\ns,a,1\n")
            self.assert_bad_input(run(path, "--out", d), "no 'chips_count' column")

    def test_unknown_where_column(self):
        with tempfile.TemporaryDirectory() as d:
            self.assert_bad_input(run(FIXTURE, "--out", d, "--where", "chipz=ascend_910c"), "unknown column 'chipz'")
            self.assert_bad_input(run(FIXTURE, "--out", d, "--where", "chip"), "expected COLUMN=VALUE")
            self.assert_bad_input(run(FIXTURE, "--out", d, "--where", "chip=tpu"), "no data rows match")

    def test_other_bad_input(self):
        with tempfile.TemporaryDirectory() as d:
            self.assert_bad_input(run(FIXTURE, "--out", d, "--reference", "nope"), "--reference 'nope'")
            self.assert_bad_input(run(FIXTURE, "--out", d, "--series", "rack"), "invalid choice")
            self.assert_bad_input(run(FIXTURE, "--out", d, "--format", "gif"), "--format")
            path = os.path.join(d, "bad.csv")
            with open(path, "w") as f:
                f.write("case,chips_count,tokens_per_s\na,eight,1\n")
            self.assert_bad_input(run(path, "--out", d), "'eight' is not a number")

    def test_help(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for name in FIGURES + ["--series", "--where", "--reference", "--candidate", "--out", "crossover.csv"]:
            self.assertIn(name, r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
