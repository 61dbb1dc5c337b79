#!/usr/bin/python3
"""Standard figures from a clustersim results.csv (docs/plots.md, docs/results-schema.md).

A consumer of the CSV only: it reads columns by name and never imports the simulator. Standard library
and matplotlib (Debian: python3-matplotlib). Empty cells are unknown and are never plotted (never as 0).
"""

import argparse
import csv
import math
import os
import sys
import textwrap

# --------------------------------------------------------------------------------------------------
# Column names (docs/results-schema.md). Only names: nothing from the simulator is imported.

CHIPS = "chips_count"

# A metric: the whole job's throughput column, its label, and the per-token cost columns of the same job.
METRICS = [
    {"key": "training", "throughput": "tokens_per_s", "label": "Training",
     "unit": "tokens/s", "energy": "training_energy_per_token_j", "energy_unit": "J/token",
     "cost": "training_cost_per_million_tokens_usd", "cost_unit": "USD per million tokens"},
    {"key": "serving", "throughput": "serving_output_tokens_per_s", "label": "Serving",
     "unit": "output tokens/s", "energy": "serving_energy_per_output_token_j",
     "energy_unit": "J/output token", "cost": "serving_cost_per_million_output_tokens_usd",
     "cost_unit": "USD per million output tokens"},
    # Training under failures (schema v6's reliability columns): tokens/s x the useful fraction. No per-token
    # cost columns of its own.
    {"key": "goodput", "throughput": "goodput_tokens_per_s", "label": "Training goodput (under failures)",
     "unit": "tokens/s", "energy": None, "energy_unit": None, "cost": None, "cost_unit": None},
]

# Power for performance per watt, most complete first (facility includes cooling; the last two are the
# columns of schema v6). The first one with a known value in the plotted rows is used for the whole figure.
POWER_COLUMNS = ["facility_power_w", "it_power_w", "power_all_in_w", "chip_power_total_w"]

FIGURES = ["throughput_vs_chips", "efficiency_vs_chips", "crossover", "perf_per_watt_vs_chips",
           "perf_per_dollar_vs_chips", "energy_per_token_vs_chips", "cost_per_million_tokens_vs_chips"]
FORMATS = ["png", "svg"]

EXIT_BAD_INPUT = 2


class InputError(Exception):
    """Bad input: reported as one line, exit code 2."""


# --------------------------------------------------------------------------------------------------
# Reading


def parse_number(text, path, line, column):
    """The float of a cell; None for an empty cell (unknown)."""
    text = text.strip()
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path}:{line}: column '{column}': '{text}' is not a number") from None
    if math.isnan(value):
        return None
    return value


def read_csv(path):
    """(header, rows) with rows as dicts of text plus '_path' and '_line'."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            try:
                header = next(reader)
            except StopIteration:
                raise InputError(f"{path}: empty file, expected a clustersim results.csv") from None
            rows = []
            for record in reader:
                if not record:
                    continue
                if len(record) != len(header):
                    raise InputError(f"{path}:{reader.line_num}: {len(record)} cells, the header has "
                                     f"{len(header)}")
                row = dict(zip(header, record))
                row["_path"] = path
                row["_line"] = reader.line_num
                rows.append(row)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a results.csv") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    if CHIPS not in header:
        raise InputError(f"{path}: no '{CHIPS}' column: not a clustersim results.csv "
                         "(docs/results-schema.md)")
    return header, rows


def parse_where(specs, columns):
    """--where COLUMN=VALUE: {column: [values]}; several values of one column are alternatives."""
    where = {}
    for spec in specs:
        if "=" not in spec:
            raise InputError(f"--where '{spec}': expected COLUMN=VALUE")
        column, value = spec.split("=", 1)
        column = column.strip()
        if column not in columns:
            raise InputError(f"--where '{spec}': unknown column '{column}' (not in the CSV header)")
        where.setdefault(column, []).append(value)
    return where


def row_matches(row, where):
    return all(row.get(column) in values for column, values in where.items())


def case_series_name(case):
    """The case name without its `count=` sweep axis: the sweep's case (the name before the first `|`
    when the chip count is the only axis), other axes kept so that their points stay apart."""
    parts = case.split("|")
    return "|".join([parts[0]] + [p for p in parts[1:] if not p.startswith("count=")])


def series_name(row, by):
    if by == "case":
        # Schema v7 names each row's curve: the case as written and its sweep labels but for the size
        # axes (a count zipped with the topology's size is one size axis).
        if row.get("base_case"):
            return row["base_case"] + ("|" + row["series"] if row.get("series") else "")
        return case_series_name(row.get("case", ""))
    if by == "chip":
        return row.get("chip", "") or "(no chip)"
    return row.get("system", "") or (row.get("chip", "") + " (no system)")


# --------------------------------------------------------------------------------------------------
# Series


class Series:
    """Rows of one series, in CSV order, with the scenario names they come from."""

    def __init__(self, name):
        self.name = name
        self.rows = []

    def points(self, value, warn=None):
        """Sorted (chips, y) with y = value(row); rows whose x or y is unknown (None) or not > 0 are left out.
        Two rows with the same chip count: the first in CSV order is kept."""
        seen = {}
        for row in self.rows:
            x = row["_chips"]
            y = value(row)
            if x is None or y is None or not x > 0 or not y > 0 or math.isinf(y):
                continue
            if x in seen:
                if warn is not None:
                    warn(f"series '{self.name}' has several rows at {fmt_count(x)} chips; keeping the first "
                         f"({row['_path']}:{seen[x][2]}); use --where or --series to tell them apart")
                continue
            seen[x] = (x, y, row["_line"])
        return [(x, y) for x, y, _ in sorted(seen.values())]


def build_series(rows, by):
    """Series in order of first appearance. When the rows come from several scenarios and a name repeats
    across them, the name gets the scenario as a prefix."""
    scenarios_of = {}
    for row in rows:
        scenarios_of.setdefault(series_name(row, by), set()).add(row.get("scenario", ""))
    series = {}
    for row in rows:
        name = series_name(row, by)
        if len(scenarios_of[name]) > 1:
            name = f"{row.get('scenario', '')}/{name}"
        series.setdefault(name, Series(name)).rows.append(row)
    return list(series.values())


def cell(row, column):
    return row.get("_num", {}).get(column)


def numeric(rows, columns):
    """Parses the numeric columns used by the figures into row['_num'] (None = unknown)."""
    for row in rows:
        num = {}
        for column in columns:
            if column in row:
                num[column] = parse_number(row[column], row["_path"], row["_line"], column)
        row["_num"] = num
        row["_chips"] = num.get(CHIPS)


# --------------------------------------------------------------------------------------------------
# Definitions (docs/plots.md)


def efficiency(points):
    """Scaling efficiency: (y / n) / (y0 / n0) with (n0, y0) the series' smallest chip count."""
    if not points:
        return []
    n0, y0 = points[0]
    base = y0 / n0
    return [(n, (y / n) / base) for n, y in points]


def chips_for(points, target):
    """Candidate chips whose throughput reaches `target`, from the candidate's sorted (chips, throughput)
    points: the first sweep point or segment (in increasing chips) that reaches it, log-log linear
    interpolation inside a segment (exact for a power law). Returns (chips, status) with status
    'at_point' (a sweep point delivers exactly the target), 'interpolated', 'at_most' (the smallest point
    already delivers more: chips ≤ the smallest count) or 'not_reached' (no point reaches it; chips None).
    Never extrapolates."""
    if not points:
        return None, "not_reached"
    n0, y0 = points[0]
    if y0 == target:
        return n0, "at_point"
    if y0 > target:
        return n0, "at_most"
    for (n1, y1), (n2, y2) in zip(points, points[1:]):
        if y2 == target:
            return n2, "at_point"
        if y1 < target < y2:
            t = (math.log(target) - math.log(y1)) / (math.log(y2) - math.log(y1))
            return math.exp(math.log(n1) + t * (math.log(n2) - math.log(n1))), "interpolated"
    return None, "not_reached"


def crossover(reference, candidate):
    """For each reference sweep point (N, T): the candidate chips delivering T. Rows of
    (N, T, chips or None, status)."""
    return [(n, t) + chips_for(candidate, t) for n, t in reference]


# --------------------------------------------------------------------------------------------------
# Formatting


def fmt_count(v):
    if v is None:
        return ""
    if abs(v - round(v)) < 1e-9 * max(1.0, abs(v)):
        return f"{int(round(v)):,}"
    return f"{v:,.1f}"


def fmt_short(v, _pos=None):
    """Tick labels: 64, 1k, 1.5M."""
    if v == 0:
        return "0"
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            s = f"{v / div:.3g}"
            return s + suffix
    return f"{v:.3g}"


def fmt_chips(v, _pos=None):
    """Chip-count tick labels: exact below 100,000 (8,192), else short (1.05M)."""
    if 0 < v < 1e5 and abs(v - round(v)) < 1e-6:
        return f"{int(round(v)):,}"
    return fmt_short(v)


def fmt_csv_number(v, digits=None):
    """CSV text: an integer as an integer; else the shortest text that reads back, after rounding to
    `digits` significant digits when given (interpolation noise: 16.000000000000014 -> 16)."""
    if v is None:
        return ""
    if digits is not None:
        v = float(f"{v:.{digits}g}")
    if v == int(v) and abs(v) < 2 ** 53:
        return str(int(v))
    return repr(float(v))


# --------------------------------------------------------------------------------------------------
# Figures


class Plotter:
    MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h", "p"]

    def __init__(self, args, header, rows, series, csv_paths):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import ticker
        matplotlib.rcParams.update({
            "svg.hashsalt": "clustersim-plot-results",  # stable element ids: same bytes on every run
            "svg.fonttype": "path",
            "figure.dpi": 100,
            "savefig.dpi": args.dpi,
            "font.size": 9,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.fontsize": 8,
        })
        self.plt = plt
        self.ticker = ticker
        self.args = args
        self.header = header
        self.rows = rows
        self.series = series
        self.csv_paths = csv_paths
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
        self.style = {s.name: {"color": cycle[i % len(cycle)], "marker": self.MARKERS[i % len(self.MARKERS)]}
                      for i, s in enumerate(series)}
        scenarios = []
        for row in rows:
            name = row.get("scenario", "")
            if name and name not in scenarios:
                scenarios.append(name)
        self.scenarios = scenarios
        self.written = []
        self.warned = set()

    # -- helpers

    def warn(self, message):
        if message not in self.warned:
            self.warned.add(message)
            print(f"plot_results: warning: {message}", file=sys.stderr)

    def has(self, column):
        return column in self.header

    def known_any(self, column):
        return any(cell(r, column) is not None for r in self.rows)

    def metrics(self):
        """Metrics with at least one known throughput."""
        return [m for m in METRICS if self.has(m["throughput"]) and self.known_any(m["throughput"])]

    def footnote(self, extra=""):
        where = "; ".join(self.args.where) if self.args.where else ""
        text = (f"Source: {', '.join(self.csv_paths)} · scenario: {', '.join(self.scenarios) or '(none)'}"
                f" · series by {self.args.series}" + (f" · where {where}" if where else "")
                + (f" · {extra}" if extra else ""))
        return text

    def figure(self, panels, title):
        ncols = min(len(panels), 2)
        nrows = (len(panels) + ncols - 1) // ncols
        fig, axes = self.plt.subplots(nrows, ncols, figsize=(6.4 * ncols, 4.6 * nrows + 0.4), squeeze=False)
        flat = [a for row in axes for a in row]
        for ax in flat[len(panels):]:
            ax.set_visible(False)
        fig.suptitle(title, fontsize=12)
        return fig, flat[:len(panels)]

    def log_axes(self, ax, xs, logy=True):
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
            lo, hi = ax.get_ylim()
            if lo > 0 and hi / lo < 10:  # under a decade: evenly spaced round values
                ax.yaxis.set_major_locator(self.ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
            elif lo > 0 and hi / lo < 1e3:  # under three decades: label 1, 2 and 5 of each decade
                ax.yaxis.set_major_locator(self.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(self.ticker.FuncFormatter(fmt_short))
            ax.yaxis.set_minor_formatter(self.ticker.NullFormatter())
        xs = sorted(set(xs))
        if 0 < len(xs) <= 12:
            ax.xaxis.set_major_locator(self.ticker.FixedLocator(xs))
            ax.xaxis.set_minor_locator(self.ticker.NullLocator())
            if len(xs) == 1:
                ax.set_xlim(xs[0] / 2, xs[0] * 2)
        ax.xaxis.set_major_formatter(self.ticker.FuncFormatter(fmt_chips))
        ax.xaxis.set_minor_formatter(self.ticker.NullFormatter())
        ax.set_xlabel("Chips (accelerators, chips_count)")

    def plot_series(self, ax, series, points, label=None):
        st = self.style[series.name]
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        ax.plot(xs, ys, color=st["color"], marker=st["marker"], markersize=5, linewidth=1.5,
                label=label or series.name)

    def save(self, fig, name, footnote):
        width = fig.get_size_inches()[0]
        footnote = "\n".join(textwrap.wrap(footnote, int(width * 17)))
        fig.text(0.01, 0.005, footnote, fontsize=6.5, color="0.35", ha="left", va="bottom")
        lines = footnote.count("\n") + 1
        height = fig.get_size_inches()[1]
        fig.tight_layout(rect=(0, (0.16 * lines + 0.1) / height, 1, 1))
        for ext in self.args.formats:
            path = os.path.join(self.args.out, f"{name}.{ext}")
            if ext == "svg":
                fig.savefig(path, format="svg", metadata={"Date": None})
            else:
                fig.savefig(path, format="png", metadata={"Software": None})
            self.written.append(path)
        self.plt.close(fig)

    def skip(self, name, why):
        print(f"plot_results: skipped {name}: {why}", file=sys.stderr)
        for ext in FORMATS:  # a figure left from an earlier run would be taken for this one's
            path = os.path.join(self.args.out, f"{name}.{ext}")
            if os.path.isfile(path):
                os.remove(path)

    def per_metric_figure(self, name, title, ylabel, value_of, logy=True, extra=""):
        """One panel per metric with data; value_of(metric) -> row -> y or None."""
        panels = []
        for m in self.metrics():
            value = value_of(m)
            if value is None:
                continue
            data = [(s, s.points(value, self.warn)) for s in self.series]
            data = [(s, p) for s, p in data if p]
            if data:
                panels.append((m, data))
        if not panels:
            return False
        fig, axes = self.figure(panels, title)
        for ax, (m, data) in zip(axes, panels):
            xs = []
            for s, points in data:
                self.plot_series(ax, s, points)
                xs += [p[0] for p in points]
            self.log_axes(ax, xs, logy)
            ax.set_title(m["label"])
            ax.set_ylabel(ylabel(m))
            ax.legend(loc="best")
        self.save(fig, name, self.footnote(extra))
        return True

    # -- the figures

    def throughput(self):
        ok = self.per_metric_figure(
            "throughput_vs_chips", "Throughput vs chips",
            lambda m: f"Throughput ({m['unit']}, {m['throughput']})",
            lambda m: (lambda r, c=m["throughput"]: cell(r, c)))
        if not ok:
            self.skip("throughput_vs_chips", "no row has tokens_per_s or serving_output_tokens_per_s")

    def efficiency(self):
        def value_of(m):
            return lambda r, c=m["throughput"]: cell(r, c)

        panels = []
        for m in self.metrics():
            data = [(s, efficiency(s.points(value_of(m), self.warn))) for s in self.series]
            data = [(s, p) for s, p in data if p]
            if data:
                panels.append((m, data))
        if not panels:
            self.skip("efficiency_vs_chips", "no row has tokens_per_s or serving_output_tokens_per_s")
            return
        fig, axes = self.figure(panels, "Scaling efficiency vs chips")
        for ax, (m, data) in zip(axes, panels):
            xs = []
            for s, points in data:
                self.plot_series(ax, s, points)
                xs += [p[0] for p in points]
            self.log_axes(ax, xs, logy=False)
            ax.axhline(1.0, color="0.5", linewidth=0.8, linestyle="--")
            top = max(1.1, max(p[1] for _, pts in data for p in pts) * 1.05)
            ax.set_ylim(0, top)
            ax.set_title(m["label"])
            ax.set_ylabel("Scaling efficiency (per-chip throughput ÷\nper-chip throughput at smallest count)")
            ax.legend(loc="best")
        self.save(fig, "efficiency_vs_chips",
                  self.footnote("efficiency = (T(n)/n) / (T(n0)/n0), n0 the series' smallest chip count"))

    def pick_pairs(self, m):
        """(reference, [candidates]) for metric m, or (None, why)."""
        value = lambda r, c=m["throughput"]: cell(r, c)  # noqa: E731
        pts = {s.name: s.points(value) for s in self.series}
        with_data = [s.name for s in self.series if pts[s.name]]
        names = [s.name for s in self.series]
        if self.args.reference is not None:
            if self.args.reference not in names:
                raise InputError(f"--reference '{self.args.reference}': no such series (series: "
                                 f"{', '.join(names)})")
            ref = self.args.reference
            if not pts[ref]:
                return None, f"reference '{ref}' has no {m['throughput']}"
        else:
            if len(with_data) < 2:
                return None, "fewer than two series with data"
            # The strongest chip: the highest per-chip throughput at its smallest count.
            ref = max(with_data, key=lambda n: (pts[n][0][1] / pts[n][0][0], -with_data.index(n)))
        if self.args.candidate:
            for c in self.args.candidate:
                if c not in names:
                    raise InputError(f"--candidate '{c}': no such series (series: {', '.join(names)})")
            cands = [c for c in self.args.candidate if pts[c] and c != ref]
        else:
            cands = [n for n in with_data if n != ref]
        if not cands:
            return None, "no candidate series with data"
        return (ref, cands, pts), None

    def crossover(self):
        panels = []
        table = []
        reasons = []
        for m in self.metrics():
            picked, why = self.pick_pairs(m)
            if picked is None:
                reasons.append(f"{m['key']}: {why}")
                continue
            ref, cands, pts = picked
            rows = []
            for c in cands:
                result = crossover(pts[ref], pts[c])
                rows.append((c, result))
                for n, t, chips, status in result:
                    table.append((m["key"], ref, c, n, t, chips, status))
            panels.append((m, ref, rows))
        self.write_crossover_csv(table)
        if not panels:
            self.skip("crossover", "; ".join(reasons))
            return
        fig, axes2 = self.plt.subplots(len(panels), 2, figsize=(12.8, 4.6 * len(panels) + 0.4), squeeze=False)
        fig.suptitle("Crossover: candidate chips that deliver what N reference chips do", fontsize=12)
        for (ax, axr), (m, ref, rows) in zip(axes2, panels):
            xs_all, ys_all = [], []
            for c, result in rows:
                st = self.style[c]
                found = [(n, chips) for n, _, chips, status in result if status in ("at_point", "interpolated")]
                at_most = [(n, chips) for n, _, chips, status in result if status == "at_most"]
                missing = [n for n, _, chips, status in result if status == "not_reached"]
                label = f"{c}"
                if found:
                    ax.plot([p[0] for p in found], [p[1] for p in found], color=st["color"], marker=st["marker"],
                            markersize=5, linewidth=1.5, label=label)
                    axr.plot([p[0] for p in found], [p[1] / p[0] for p in found], color=st["color"],
                             marker=st["marker"], markersize=5, linewidth=1.5, label=label)
                    label = None
                if at_most:
                    ax.plot([p[0] for p in at_most], [p[1] for p in at_most], linestyle="none", color=st["color"],
                            marker=st["marker"], markerfacecolor="white", markersize=6,
                            label=(label + " " if label else "") + "(at most: below its smallest count)")
                    axr.plot([p[0] for p in at_most], [p[1] / p[0] for p in at_most], linestyle="none",
                             color=st["color"], marker=st["marker"], markerfacecolor="white", markersize=6)
                    label = None
                if missing:
                    trans = ax.get_xaxis_transform()
                    ax.plot(missing, [0.97] * len(missing), transform=trans, linestyle="none", color=st["color"],
                            marker="x", markersize=7, clip_on=False,
                            label=f"{c}: not reached" if label is None else f"{label}: not reached")
                    transr = axr.get_xaxis_transform()
                    axr.plot(missing, [0.97] * len(missing), transform=transr, linestyle="none", color=st["color"],
                             marker="x", markersize=7, clip_on=False)
                xs_all += [r[0] for r in result]
                ys_all += [p[1] for p in found + at_most]
            xlo, xhi = min(xs_all), max(xs_all)
            ax.plot([xlo, xhi], [xlo, xhi], color="0.5", linewidth=0.8, linestyle="--", label="parity (same count)")
            axr.axhline(1.0, color="0.5", linewidth=0.8, linestyle="--", label="parity")
            # Room at the top for the 'not reached' marks (drawn at 97% of the height).
            ylo, yhi = min(ys_all + [xlo]), max(ys_all + [xhi])
            ax.set_ylim(ylo / 1.3, yhi * 1.8)
            ratios = [chips / n for _, result in rows for n, _, chips, status in result if chips is not None]
            axr.set_ylim(0, max(ratios + [1.0]) * 1.2)
            self.log_axes(ax, xs_all)
            self.log_axes(axr, xs_all, logy=False)
            ax.set_xlabel(f"N, reference chips ({ref})")
            axr.set_xlabel(f"N, reference chips ({ref})")
            ax.set_ylabel("Candidate chips for the same throughput")
            axr.set_ylabel("Candidate chips ÷ N")
            ax.set_title(f"{m['label']} ({m['throughput']}): chips needed")
            axr.set_title(f"{m['label']}: chips needed per reference chip")
            ax.legend(loc="best")
            axr.legend(loc="best")
        self.save(fig, "crossover", self.footnote(
            "log-log interpolation between the candidate's sweep points, no extrapolation; "
            "x at the top: the candidate never reaches the reference's throughput in its sweep"))

    def write_crossover_csv(self, table):
        path = os.path.join(self.args.out, "crossover.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["metric", "reference", "candidate", "reference_chips", "reference_throughput",
                        "candidate_chips", "candidate_chips_per_reference_chip", "status"])
            for metric, ref, cand, n, t, chips, status in table:
                w.writerow([metric, ref, cand, fmt_csv_number(n), fmt_csv_number(t), fmt_csv_number(chips, 12),
                            fmt_csv_number(chips / n, 12) if chips is not None else "", status])
        self.written.append(path)

    def power_column(self):
        if self.args.power_column:
            if not self.has(self.args.power_column):
                raise InputError(f"--power-column '{self.args.power_column}': not in the CSV header")
            return self.args.power_column
        for column in POWER_COLUMNS:
            if self.has(column) and self.known_any(column):
                return column
        return None

    def perf_per_watt(self):
        column = self.power_column()
        if column is None:
            self.skip("perf_per_watt_vs_chips", f"no power column with a known value ({', '.join(POWER_COLUMNS)})")
            return

        def value_of(m):
            def v(r, c=m["throughput"]):
                t, p = cell(r, c), cell(r, column)
                return t / (p / 1000.0) if t is not None and p else None
            return v

        ok = self.per_metric_figure(
            "perf_per_watt_vs_chips", "Performance per watt vs chips",
            lambda m: f"Throughput per power ({m['unit']} per kW of {column})", value_of,
            extra=f"power: {column} (rows where it is unknown are left out)")
        if not ok:
            self.skip("perf_per_watt_vs_chips", f"no row has both a throughput and {column}")

    def capex(self, row):
        if self.has("capex_usd") and cell(row, "capex_usd") is not None:
            return cell(row, "capex_usd")
        per_chip = cell(row, "capex_per_chip_usd") if self.has("capex_per_chip_usd") else None
        if per_chip is not None and row["_chips"] is not None:
            return per_chip * row["_chips"]
        return None

    def perf_per_dollar(self):
        if not (self.has("capex_usd") or self.has("capex_per_chip_usd")):
            self.skip("perf_per_dollar_vs_chips", "the CSV has no capex_usd or capex_per_chip_usd column")
            return

        def value_of(m):
            def v(r, c=m["throughput"]):
                t, usd = cell(r, c), self.capex(r)
                return t / (usd / 1e6) if t is not None and usd else None
            return v

        ok = self.per_metric_figure(
            "perf_per_dollar_vs_chips", "Performance per dollar vs chips",
            lambda m: f"Throughput per capital cost\n({m['unit']} per million USD)", value_of,
            extra="capital cost: capex_usd, else capex_per_chip_usd × chips_count")
        if not ok:
            self.skip("perf_per_dollar_vs_chips", "no row has both a throughput and a capital cost")

    def per_token(self, name, title, key, unit_key, what):
        columns = [m[key] for m in METRICS if m[key]]
        if not any(self.has(c) for c in columns):
            self.skip(name, f"the CSV has no {' or '.join(columns)} column")
            return
        ok = self.per_metric_figure(
            name, title, lambda m: f"{what} ({m[unit_key]}, {m[key]})",
            lambda m: (lambda r, c=m[key]: cell(r, c)) if m[key] and self.has(m[key]) else None)
        if not ok:
            self.skip(name, f"no known {' or '.join(c for c in columns if self.has(c))}")

    def all(self):
        self.throughput()
        self.efficiency()
        self.crossover()
        self.perf_per_watt()
        self.perf_per_dollar()
        self.per_token("energy_per_token_vs_chips", "Energy per token vs chips", "energy", "energy_unit",
                       "Energy per token")
        self.per_token("cost_per_million_tokens_vs_chips", "Cost per million tokens vs chips", "cost",
                       "cost_unit", "Cost per million tokens")


# --------------------------------------------------------------------------------------------------
# Command line


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse's default prints the usage too)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def make_parser():
    p = Parser(
        prog="plot_results.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=textwrap.dedent("""\
            Standard figures from clustersim results.csv files (schema: docs/results-schema.md), as PNG and SVG.
            Reads columns by name only; an empty cell is unknown and is never plotted.

            Figures (stable names, written into --out):
              throughput_vs_chips        tokens_per_s (training), serving_output_tokens_per_s (serving) and
                                         goodput_tokens_per_s (training under failures, where known)
                                         vs chips_count, log-log, one line per series
              efficiency_vs_chips        (T(n)/n) / (T(n0)/n0), n0 the series' smallest chip count
              crossover                  candidate chips that deliver the reference's throughput at each of
                                         its chip counts N (log-log interpolation between the candidate's
                                         points, 'not reached' beyond them), and that count ÷ N;
                                         the numbers also go to crossover.csv, with a status:
                                         at_point, interpolated, at_most (the candidate's smallest
                                         count already delivers more) or not_reached
              perf_per_watt_vs_chips     throughput per kW of the first power column with a known value:
                                         facility_power_w, it_power_w, power_all_in_w, chip_power_total_w
              perf_per_dollar_vs_chips   throughput per million USD of capex_usd (else capex_per_chip_usd x chips)
              energy_per_token_vs_chips  training_energy_per_token_j, serving_energy_per_output_token_j
              cost_per_million_tokens_vs_chips
                                         training_cost_per_million_tokens_usd,
                                         serving_cost_per_million_output_tokens_usd
            A figure whose columns are missing or all unknown is skipped with a message on stderr (and an
            old file of that name in --out is removed).

            Series: rows are grouped by --series; x is chips_count. Several rows of one series at the same
            chip count: the first is kept, with a warning.

            Exit status: 0 done; 2 bad input (missing file, no chips_count column, unknown --where column,
            unknown series, no rows left, a non-number in a numeric column) or an output that cannot be
            written, with one line on stderr."""),
        epilog=textwrap.dedent("""\
            example:
              build/release/sim/app/clustersim run -q scenarios/training-weaker-chip-bigger-cluster.yaml -o out/t
              docs/plots/plot_results.py out/t/results.csv --out docs/figures --series chip
              docs/plots/plot_results.py out/t/results.csv --out /tmp/f --where training_workload=llama3_70b \\
                  --reference h100_384_llama3_70b --candidate cloudmatrix_384_llama3_70b
            More: docs/plots.md"""))
    p.add_argument("csv", nargs="+", metavar="CSV", help="results.csv file(s) from clustersim run; "
                   "several are read as one table (same columns needed for --where)")
    p.add_argument("--out", "-o", metavar="DIR", default="figures",
                   help="output directory, created if needed (default: %(default)s)")
    p.add_argument("--series", choices=["case", "chip", "system"], default="case",
                   help="series key: 'case' (default) the case name without its count= sweep axis, i.e. "
                        "the sweep's case (the name before the first '|' when count is the only axis); "
                        "'chip' the chip column; 'system' the system column ('CHIP (no system)' for a chip + "
                        "count case)")
    p.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                   help="keep only rows whose COLUMN cell is exactly VALUE (text as in the CSV); repeatable: "
                        "values given for the same column are alternatives (OR), different columns must all "
                        "hold (AND)")
    p.add_argument("--reference", metavar="SERIES",
                   help="crossover: the reference series, the stronger chip (default: the series with the "
                        "highest per-chip throughput at its smallest chip count)")
    p.add_argument("--candidate", action="append", metavar="SERIES",
                   help="crossover: a candidate series, the weaker chip; repeatable (default: every other "
                        "series with data)")
    p.add_argument("--power-column", metavar="COLUMN",
                   help="power column for performance per watt (default: the first of "
                        f"{', '.join(POWER_COLUMNS)} with a known value)")
    p.add_argument("--format", dest="formats", default="png,svg", metavar="LIST",
                   help="comma-separated output formats among png, svg (default: %(default)s)")
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution (default: %(default)s)")
    return p


def main(argv=None):
    args = make_parser().parse_args(argv)
    try:
        formats = [f.strip() for f in args.formats.split(",") if f.strip()]
        bad = [f for f in formats if f not in FORMATS]
        if bad or not formats:
            raise InputError(f"--format '{args.formats}': expected png, svg or png,svg")
        args.formats = formats
        if args.dpi <= 0:
            raise InputError(f"--dpi {args.dpi}: expected a positive resolution")

        header, rows = None, []
        for path in args.csv:
            h, r = read_csv(path)
            if header is None:
                header = h
            elif h != header:
                # Different schema versions: keep the common columns (each version only appends).
                header = [c for c in header if c in h]
            rows += r
        where = parse_where(args.where, header)
        rows = [r for r in rows if row_matches(r, where)]
        if not rows:
            raise InputError("no data rows" + (" match --where " + " ".join(args.where) if args.where else ""))

        needed = [CHIPS] + POWER_COLUMNS + ["capex_usd", "capex_per_chip_usd"]
        for m in METRICS:
            needed += [m["throughput"], m["energy"], m["cost"]]
        if args.power_column:
            needed.append(args.power_column)
        numeric(rows, [c for c in dict.fromkeys(needed) if c in header])
        if not any(r["_chips"] is not None for r in rows):
            raise InputError(f"no row has a known {CHIPS}")

        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise InputError("matplotlib is not installed for this python3 (Debian: apt-get install "
                             "python3-matplotlib, then run with /usr/bin/python3)") from None
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as e:
            raise InputError(f"{args.out}: cannot create output directory: {e.strerror}") from None

        series = build_series(rows, args.series)
        plotter = Plotter(args, header, rows, series, args.csv)
        try:
            plotter.all()
        except OSError as e:
            raise InputError(f"{e.filename or args.out}: cannot write: {e.strerror}") from None
        for path in plotter.written:
            print(f"wrote {path}")
    except InputError as e:
        print(f"plot_results.py: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
