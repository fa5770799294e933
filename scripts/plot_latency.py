#!/usr/bin/python3
"""Plots the output of `epsim latency`.

    /usr/bin/python3 scripts/plot_latency.py DIR/latency.csv --out PLOTDIR \\
        [--reference scenarios/epaxos-sosp13-fig4.json]

Reads DIR/latency.csv (one row per protocol x conflict rate x site x seed)
and, when they sit next to it, DIR/samples.csv (per-command commit
latencies), DIR/timeline.csv and DIR/events.csv (completions and faults over
time). Writes, as PNG and SVG each, into PLOTDIR:

  commit_latency_by_site   median commit latency per site, one bar per
                           protocol and conflict rate, whiskers to the 99th
                           percentile (the layout of the EPaxos paper's
                           Fig. 4); with --reference, the paper's measured
                           medians (and 99th percentiles) as markers
  latency_cdf              commit latency CDF per site (needs samples.csv)
  latency_vs_conflict      median commit (and execution) latency against the
                           conflict rate, one line per protocol, per site
  timeline                 throughput and commit latency over time, with the
                           faults of events.csv marked (needs timeline.csv)

Several seeds of one configuration are summarised by the median across
seeds of each statistic. A figure whose input is missing is skipped with a
notice. Bad input (a missing column, a value that is not a number, a
malformed reference file) exits 2 with a message naming the file, the line
and the column; nothing is written then. Figures are drawn into a temporary
folder and moved into PLOTDIR only when all of them succeeded.
"""

import argparse
import collections
import csv
import json
import math
import os
import pathlib
import re
import statistics
import sys
import tempfile

EXIT_BAD_INPUT = 2

LATENCY_COLUMNS = {
    "protocol": str, "conflict": "percent", "site": str, "seed": int,
    "commit_p50_ms": float, "commit_p90_ms": float, "commit_p99_ms": float,
    "commit_mean_ms": float, "execute_p50_ms": float, "execute_p90_ms": float,
    "execute_p99_ms": float, "execute_mean_ms": float, "count": int,
    "fast_share": "share",
}
SAMPLES_COLUMNS = {"protocol": str, "conflict": "percent", "site": str,
                   "seed": int, "commit_latency_ms": float}
TIMELINE_COLUMNS = {"protocol": str, "seed": int, "time_ms": float,
                    "site": str, "commit_latency_ms": float}
EVENTS_COLUMNS = {"protocol": str, "seed": int, "time_ms": float,
                  "event": str, "detail": str}
# Optional columns some writers add (epsim latency adds conflict to both).
OPTIONAL_COLUMNS = {"conflict": "percent"}

# The paper's protocol names, as the reference file spells its series, to
# ours: EPaxos <-> epaxos and epaxos-star (same failure-free latency),
# Multi-Paxos <-> multipaxos.
PAPER_SERIES = re.compile(r"^(epaxos)_(\d+)pct$|^(multipaxos)_leader_\w+$")
OUR_PROTOCOL_TO_PAPER = {"epaxos": "epaxos", "epaxos-star": "epaxos",
                         "multipaxos": "multipaxos"}


class BadInput(Exception):
    """Input the script cannot use; the message names file, line, column."""


def notice(text):
    print(f"plot_latency: {text}", file=sys.stderr)


# ---------------------------------------------------------------- reading


def parse_value(kind, text):
    """Returns the parsed value, or raises ValueError saying what was
    expected."""
    text = text.strip()
    if kind is str:
        if not text:
            raise ValueError("expected a non-empty string")
        return text
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError("expected an integer") from None
    if kind is float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("expected a number (milliseconds)") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError("expected a finite number >= 0")
        return value
    if kind == "percent":
        try:
            value = int(text)
        except ValueError:
            raise ValueError("expected an integer percentage 0..100") from None
        if not 0 <= value <= 100:
            raise ValueError("expected an integer percentage 0..100")
        return value
    if kind == "share":
        try:
            value = float(text)
        except ValueError:
            raise ValueError("expected a fraction 0..1") from None
        if not 0 <= value <= 1:
            raise ValueError("expected a fraction 0..1")
        return value
    raise AssertionError(kind)


def read_csv(path, columns, allow_empty=False):
    """Reads `path` into a list of dicts with typed values."""
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        if not header:
            raise BadInput(f"{path}: empty file; expected a header line "
                           f"with columns {','.join(columns)}")
        for name in columns:
            if name not in header:
                raise BadInput(f"{path}: missing column '{name}'; expected "
                               f"columns {','.join(columns)}")
        kinds = dict(columns)
        for name, kind in OPTIONAL_COLUMNS.items():
            if name in header and name not in kinds:
                kinds[name] = kind
        rows = []
        for row in reader:
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                raise BadInput(f"{path}: line {line}: expected "
                               f"{len(header)} fields as in the header")
            typed = {}
            for name, kind in kinds.items():
                try:
                    typed[name] = parse_value(kind, row[name])
                except ValueError as e:
                    raise BadInput(f"{path}: line {line}: column '{name}': "
                                   f"{e}, got '{row[name]}'") from None
            rows.append(typed)
    if not rows and not allow_empty:
        raise BadInput(f"{path}: no data rows")
    return rows


def read_latency(path):
    rows = read_csv(path, LATENCY_COLUMNS)
    seen = set()
    for i, row in enumerate(rows):
        key = (row["protocol"], row["conflict"], row["site"], row["seed"])
        if key in seen:
            raise BadInput(f"{path}: data row {i + 1}: a second row for "
                           f"protocol {key[0]}, conflict {key[1]}, site "
                           f"{key[2]}, seed {key[3]}")
        seen.add(key)
    return rows


def read_reference(path):
    """Returns {(paper protocol, conflict or None): {site: (median, p99)}} for
    the section of the reference file, keyed by its site list."""
    try:
        data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}: not JSON: {e}") from None
    sections = {}
    for name in ("five_sites", "three_sites"):
        if name not in data:
            continue
        section = data[name]
        where = f"{path}: {name}"
        if not isinstance(section, dict) or \
                not isinstance(section.get("sites"), list) or \
                not isinstance(section.get("median_p99"), dict):
            raise BadInput(f"{where}: expected an object with 'sites' (a "
                           f"list) and 'median_p99' (an object)")
        series = {}
        for key, by_site in section["median_p99"].items():
            match = PAPER_SERIES.match(key)
            if not match:
                continue  # Mencius, Generalized Paxos: not simulated here
            if match.group(1):
                ours = (match.group(1), int(match.group(2)))
            else:
                ours = (match.group(3), None)  # any conflict rate
            values = {}
            if not isinstance(by_site, dict):
                raise BadInput(f"{where}.median_p99.{key}: expected an "
                               f"object of site: [median, p99]")
            for site, pair in by_site.items():
                if not (isinstance(pair, list) and len(pair) == 2 and
                        isinstance(pair[0], (int, float)) and
                        (pair[1] is None or
                         isinstance(pair[1], (int, float)))):
                    raise BadInput(f"{where}.median_p99.{key}.{site}: "
                                   f"expected [median, p99 or null]")
                values[site] = (float(pair[0]),
                                None if pair[1] is None else float(pair[1]))
            series[ours] = values
        sections[tuple(section["sites"])] = series
    if not sections:
        raise BadInput(f"{path}: expected a 'five_sites' or 'three_sites' "
                       f"section with 'sites' and 'median_p99'")
    return sections


def pick_reference(sections, sites):
    """The section whose sites match ours best (exact set first)."""
    best, best_overlap = None, 0
    for section_sites, series in sections.items():
        overlap = len(set(section_sites) & set(sites))
        if set(section_sites) == set(sites):
            return section_sites, series
        if overlap > best_overlap:
            best, best_overlap = (section_sites, series), overlap
    return best if best else (None, {})


def paper_key(protocol, conflict, series):
    base = protocol.split(":", 1)[0]
    paper = OUR_PROTOCOL_TO_PAPER.get(base)
    if paper is None:
        return None
    for key in ((paper, conflict), (paper, None)):
        if key in series:
            return key
    return None


# ---------------------------------------------------------------- summaries


def series_key(row):
    return (row["protocol"], row["conflict"])


def series_label(key):
    return f"{key[0]} {key[1]}%"


def ordered_sites(rows, reference_sites=None):
    seen = list(dict.fromkeys(row["site"] for row in rows))
    if reference_sites:
        known = [s for s in reference_sites if s in seen]
        return known + [s for s in seen if s not in known]
    return seen


def median_over_seeds(rows, column):
    """{(series, site): median of column over seeds}."""
    values = collections.defaultdict(list)
    for row in rows:
        values[(series_key(row), row["site"])].append(row[column])
    return {key: statistics.median(v) for key, v in values.items()}


def slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


# ---------------------------------------------------------------- figures


def save(fig, out_dir, name, written):
    for ext in ("png", "svg"):
        path = out_dir / f"{name}.{ext}"
        fig.savefig(path, dpi=120, bbox_inches="tight",
                    metadata={"Date": None} if ext == "svg" else None)
        written.append(path.name)


def plot_by_site(plt, rows, reference, out_dir, written):
    """Fig. 4 layout: groups of bars per site, one bar per series."""
    ref_sites, ref_series = reference
    sites = ordered_sites(rows, ref_sites)
    series = sorted({series_key(r) for r in rows})
    p50 = median_over_seeds(rows, "commit_p50_ms")
    p99 = median_over_seeds(rows, "commit_p99_ms")
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(sites) * max(
        1, len(series) / 3)), 4.5))
    colors = plt.get_cmap("tab10" if len(series) <= 10 else "tab20")
    markers_drawn = 0
    for i, key in enumerate(series):
        xs, heights, errs = [], [], []
        for s, site in enumerate(sites):
            if (key, site) not in p50:
                continue
            xs.append(s - 0.4 + width * (i + 0.5))
            heights.append(p50[(key, site)])
            errs.append(max(0.0, p99[(key, site)] - p50[(key, site)]))
        ax.bar(xs, heights, width, color=colors(i % colors.N),
               label=series_label(key), edgecolor="black", linewidth=0.4)
        ax.errorbar(xs, heights, yerr=[[0] * len(errs), errs], fmt="none",
                    ecolor="black", capsize=2, linewidth=0.8)
        ref = paper_key(key[0], key[1], ref_series)
        if ref is None:
            continue
        mx, my, px, py = [], [], [], []
        for x, site in zip(xs, [s for s in sites if (key, s) in p50]):
            measured = ref_series[ref].get(site)
            if measured is None:
                continue
            mx.append(x)
            my.append(measured[0])
            if measured[1] is not None:
                px.append(x)
                py.append(measured[1])
        if mx:
            ax.scatter(mx, my, marker="D", s=28, color="black", zorder=5,
                       gid="paper-median",
                       label="paper median" if markers_drawn == 0 else None)
            ax.scatter(px, py, marker="_", s=90, color="black", zorder=5,
                       gid="paper-p99",
                       label="paper 99th %ile" if markers_drawn == 0 else None)
            markers_drawn += len(mx)
    ax.set_xticks(range(len(sites)))
    ax.set_xticklabels(sites)
    ax.set_xlabel("client site")
    ax.set_ylabel("commit latency (ms)")
    ax.set_title("Median commit latency per site (whiskers: 99th percentile)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", ncol=2, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))
    save(fig, out_dir, "commit_latency_by_site", written)
    plt.close(fig)
    return markers_drawn


def grid(plt, count, width=4.0, height=3.2):
    cols = min(count, 3)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows),
                             squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def plot_cdf(plt, samples, sites, out_dir, written):
    by = collections.defaultdict(list)
    for row in samples:
        by[(row["site"], series_key(row))].append(row["commit_latency_ms"])
    sites = [s for s in sites if any(k[0] == s for k in by)] + sorted(
        {k[0] for k in by} - set(sites))
    fig, axes = grid(plt, len(sites))
    for ax, site in zip(axes, sites):
        for key in sorted(k[1] for k in by if k[0] == site):
            values = sorted(by[(site, key)])
            n = len(values)
            ax.step(values, [(i + 1) / n for i in range(n)], where="post",
                    label=series_label(key))
        ax.set_title(f"site {site}")
        ax.set_xlabel("commit latency (ms)")
        ax.set_ylabel("fraction of commands")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    fig.suptitle("Commit latency CDF per site (all seeds)")
    fig.tight_layout()
    save(fig, out_dir, "latency_cdf", written)
    plt.close(fig)


def plot_vs_conflict(plt, rows, sites, out_dir, written):
    commit = median_over_seeds(rows, "commit_p50_ms")
    execute = median_over_seeds(rows, "execute_p50_ms")
    protocols = sorted({r["protocol"] for r in rows})
    colors = plt.get_cmap("tab10")
    fig, axes = grid(plt, len(sites))
    for ax, site in zip(axes, sites):
        for i, protocol in enumerate(protocols):
            points = sorted((k[1], v) for (k, s), v in commit.items()
                            if s == site and k[0] == protocol)
            if not points:
                continue
            xs = [p[0] for p in points]
            ax.plot(xs, [p[1] for p in points], marker="o",
                    color=colors(i % 10), label=f"{protocol} commit")
            ax.plot(xs, [execute[((protocol, x), site)] for x in xs],
                    marker="x", linestyle="--", color=colors(i % 10),
                    label=f"{protocol} execute")
        ax.set_title(f"site {site}")
        ax.set_xlabel("conflict rate (%)")
        ax.set_ylabel("median latency (ms)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    fig.suptitle("Median latency against conflict rate "
                 "(solid: commit, dashed: execution)")
    fig.tight_layout()
    save(fig, out_dir, "latency_vs_conflict", written)
    plt.close(fig)


def plot_timeline(plt, timeline, events, out_dir, written):
    """One row per protocol: throughput and commit latency over time, for one
    run (the first seed and conflict rate that had a fault, else the
    first)."""
    def run_of(row):
        return (row["protocol"], row.get("conflict"), row["seed"])

    def event_in(e, run):
        # events.csv may lack the conflict column; then it matches any.
        return (e["protocol"], e["seed"]) == (run[0], run[2]) and (
            e.get("conflict") is None or run[1] is None or
            e["conflict"] == run[1])

    runs = sorted({run_of(r) for r in timeline},
                  key=lambda k: (k[0], -1 if k[1] is None else k[1], k[2]))
    faulted = {run for run in runs if any(event_in(e, run) for e in events)}
    chosen = {}
    for run in runs:
        protocol = run[0]
        if protocol not in chosen or (run in faulted and
                                      chosen[protocol] not in faulted):
            chosen[protocol] = run
    fig, axes = plt.subplots(len(chosen), 2, squeeze=False,
                             figsize=(11, 2.8 * len(chosen)))
    for row_axes, (protocol, run) in zip(axes, sorted(chosen.items())):
        points = sorted((r["time_ms"], r["commit_latency_ms"], r["site"])
                        for r in timeline if run_of(r) == run)
        end = points[-1][0] if points else 1.0
        bin_ms = max(1.0, nice_bin(end / 60))
        bins = collections.Counter(int(t // bin_ms) for t, _, _ in points)
        xs = [b * bin_ms / 1000 for b in range(int(end // bin_ms) + 1)]
        rate = [bins.get(b, 0) / (bin_ms / 1000) for b in range(len(xs))]
        through, latency = row_axes
        through.step(xs, rate, where="post", color="tab:blue")
        through.set_ylabel("throughput (commands/s)")
        for site in sorted({p[2] for p in points}):
            mine = [(t / 1000, lat) for t, lat, s in points if s == site]
            latency.scatter([m[0] for m in mine], [m[1] for m in mine], s=4,
                            label=f"site {site}")
        latency.set_ylabel("commit latency (ms)")
        values = sorted(p[1] for p in points)
        if values and values[-1] > 5 * max(values[len(values) // 2], 1e-9):
            latency.set_yscale("log")  # outliers around a fault dwarf the rest
        conflict = "" if run[1] is None else f", {run[1]}% conflict"
        for ax, what in ((through, "throughput"), (latency, "latency")):
            ax.set_title(f"{protocol}{conflict}, seed {run[2]}: {what}",
                         fontsize="medium")
            ax.set_xlabel("time (s)")
            ax.grid(alpha=0.3)
            for e in events:
                if event_in(e, run):
                    ax.axvline(e["time_ms"] / 1000, color="red",
                               linestyle=":", linewidth=1)
                    ax.annotate(f"{e['event']} {e['detail']}",
                                (e["time_ms"] / 1000, 1.0),
                                xycoords=("data", "axes fraction"),
                                fontsize="x-small", color="red",
                                rotation=90, va="top", ha="right")
        latency.legend(fontsize="x-small", markerscale=3, loc="upper right")
    fig.suptitle("Throughput and commit latency over time "
                 "(red: faults from events.csv)")
    fig.tight_layout()
    save(fig, out_dir, "timeline", written)
    plt.close(fig)


def nice_bin(ms):
    """The smallest of 1, 2, 5 x 10^k milliseconds at least `ms`."""
    if ms <= 1:
        return 1.0
    scale = 10 ** math.floor(math.log10(ms))
    for step in (1, 2, 5, 10):
        if step * scale >= ms:
            return float(step * scale)
    return float(10 * scale)


# ---------------------------------------------------------------- main


def main(argv):
    parser = argparse.ArgumentParser(
        prog="plot_latency.py",
        description="Plots epsim latency output (latency.csv and, next to "
                    "it, samples.csv, timeline.csv, events.csv).")
    parser.add_argument("latency_csv", help="DIR/latency.csv")
    parser.add_argument("--out", required=True,
                        help="folder to write the figures into")
    parser.add_argument("--reference",
                        help="measured medians to mark, in the format of "
                             "scenarios/epaxos-sosp13-fig4.json")
    args = parser.parse_args(argv)

    latency_path = pathlib.Path(args.latency_csv)
    folder = latency_path.parent
    try:
        rows = read_latency(latency_path)
        reference = (None, {})
        if args.reference:
            sections = read_reference(args.reference)
            reference = pick_reference(sections, {r["site"] for r in rows})
            if reference[0] is None:
                notice(f"{args.reference}: no section shares a site with "
                       f"{latency_path}; no reference markers")
        optional = {}
        for name, columns in (("samples.csv", SAMPLES_COLUMNS),
                              ("timeline.csv", TIMELINE_COLUMNS),
                              ("events.csv", EVENTS_COLUMNS)):
            path = folder / name
            if not path.exists():
                optional[name] = None
            else:
                # A run without faults has an events.csv with a header only.
                optional[name] = read_csv(path, columns,
                                          allow_empty=name == "events.csv")
    except BadInput as e:
        print(f"plot_latency: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT

    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "epsim"  # reproducible SVG ids
    import matplotlib.pyplot as plt

    out_dir = pathlib.Path(args.out)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix=".plot_latency-",
                                     dir=out_dir.parent) as tmp:
        tmp_dir = pathlib.Path(tmp)
        markers = plot_by_site(plt, rows, reference, tmp_dir, written)
        if args.reference:
            print(f"reference markers: {markers} paper medians")
        sites = ordered_sites(rows, reference[0])
        if optional["samples.csv"] is not None:
            plot_cdf(plt, optional["samples.csv"], sites, tmp_dir, written)
        else:
            notice(f"no {folder / 'samples.csv'}; skipping the CDF figure")
        plot_vs_conflict(plt, rows, sites, tmp_dir, written)
        if optional["timeline.csv"] is not None:
            plot_timeline(plt, optional["timeline.csv"],
                          optional["events.csv"] or [], tmp_dir, written)
        else:
            notice(f"no {folder / 'timeline.csv'}; skipping the "
                   f"over-time figure")
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in written:
            os.replace(tmp_dir / name, out_dir / name)
    for name in written:
        print(out_dir / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
