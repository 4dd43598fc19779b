"""``python -m retention bench``: how fast the dashboard is on a file of a given size (issue 16).

One run measures, each figure the median of ``--repeats`` runs:

* **ingest**: :func:`retention.ingest.load_file` into a new workspace, against a bare DuckDB
  ``create table t as select * from read_csv(file, types={id columns: VARCHAR})`` of the same
  file into a new database file (the floor any loader of that file stands on);
* **pages**: each page's first view (:mod:`retention.ui.first_views`), *cold* in a new process
  (nothing in DuckDB's buffers or Streamlit's caches; imports and opening the workspace are not
  counted) and *warm* (the same calls again in that process: the cache hits of a rerun), with
  the process's peak resident memory;
* **fits**: BG/NBD, Gamma-Gamma and the portraits' k-means pipeline, in seconds, on the data
  the pages fit them on (the SQL that prepares it is not counted);
* **summary**: ``python -m retention summary`` as a script runs it, start to exit, and its peak
  memory.

The file is the synthetic sample (:mod:`retention.sample`) at about ``--rows`` lines, or
``--file``. The machine is named (cores, memory, load average) because every figure depends on
it and on what else it runs. The page children run :mod:`retention.ui.first_views` by module
name: this module never imports Streamlit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from retention.ingest import inspect_file, load_file
from retention.store import close_workspace, duckdb_config, open_workspace

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROWS = 1_000_000
DATASET = "bench"
SEED = 1
# customers of the small sample that measures the generator's lines per customer
PILOT_CUSTOMERS = 3000
ID_ROLES = ("customer_id", "order_id")
PAGE_MODULE = "retention.ui.first_views"


class BenchmarkError(ValueError):
    """A measurement could not be made; the message says which and why (the command line
    prints it as its one sentence)."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``bench`` subcommand of ``python -m retention``."""
    bench = commands.add_parser("bench", help="measure load, pages, fits and summary at scale",
                                description=__doc__.split("\n\n")[0])
    source = bench.add_mutually_exclusive_group()
    source.add_argument("--rows", type=_positive, default=DEFAULT_ROWS,
                        help="about this many lines of the synthetic sample (default 1000000)")
    source.add_argument("--file", type=Path, help="a purchase file (CSV) to measure instead")
    bench.add_argument("--repeats", type=_positive, default=3,
                       help="runs of each measurement; the median is reported (default 3)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--workdir", type=Path,
                       help="keep the file and workspace here (default: a temporary folder)")
    bench.set_defaults(run=_run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _run(args: argparse.Namespace) -> int:
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="retention-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        report = run_bench(folder, rows=None if args.file else args.rows, file=args.file,
                           repeats=args.repeats, progress=_say)
    finally:
        if args.workdir is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(report) if args.json else render(report))
    return 0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the run ------------------------------------------------------------------------------------


def run_bench(folder: Path, *, rows: int | None, file: Path | None, repeats: int,
              progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Every measurement on ``file`` (or the sample at about ``rows`` lines, written into
    ``folder``); the report :func:`render` prints and ``--json`` prints as it is."""
    machine = machine_info()
    if file is None:
        assert rows is not None
        file = folder / "sample.csv"
        progress(f"Writing the sample ({rows:,} lines or so) to {file}")
        write_sample(file, rows)
    ingest, workspace = measure_ingest(file, folder, repeats, progress)
    ws = open_workspace(workspace)
    dataset = ws.dataset(DATASET)
    progress("Fitting the models")
    fits = measure_fits(workspace, dataset.dataset_id, repeats)
    close_workspace(workspace)  # the children open it read-write, as the app does
    pages = {}
    for title in page_titles():
        progress(f"Page {title}")
        pages[title] = measure_page(workspace, dataset.dataset_id, title, repeats)
    progress("Summary")
    summary = measure_summary(workspace, repeats)
    machine["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    return {"machine": machine, "file": str(file), "rows": dataset.rows_loaded,
            "customers": ingest.pop("customers"), "repeats": repeats, "ingest": ingest,
            "pages": pages, "summary": summary, "fits": fits}


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: cores, memory, load average, date, versions."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory / 2**30, 1),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "duckdb_settings": duckdb_config(),
    }


def write_sample(path: Path, rows: int) -> None:
    """The synthetic sample at about ``rows`` lines: as many customers as the generator needs
    for that, judged from its lines per customer on a small sample of the same seed (the lines
    of a customer are never cut, so the count is not exact; the report gives the real one)."""
    from retention.sample import sample_transactions, write_sample_csv

    per_customer = len(sample_transactions(customers=PILOT_CUSTOMERS, seed=SEED)) / PILOT_CUSTOMERS
    write_sample_csv(path, customers=max(1, round(rows / per_customer)), seed=SEED)


def measure_ingest(file: Path, folder: Path, repeats: int,
                   progress: Callable[[str], None]) -> tuple[dict[str, Any], Path]:
    """Median seconds of a load into a new workspace and of the bare read; returns them with
    the last load's workspace, which the other measurements read."""
    ids = _id_columns(file)
    loads, bare = [], []
    workspace = folder / "bench.duckdb"
    customers = 0
    for attempt in range(repeats):
        progress(f"Load {attempt + 1} of {repeats}")
        _remove_database(workspace)
        ws = open_workspace(workspace)
        started = time.perf_counter()
        report = load_file(ws, file, dataset=DATASET)
        loads.append(time.perf_counter() - started)
        customers = report.customers
        close_workspace(workspace)
        progress(f"Bare read {attempt + 1} of {repeats}")
        bare.append(bare_read(file, folder / "bare.duckdb", ids))
    _remove_database(folder / "bare.duckdb")
    seconds, bare_seconds = statistics.median(loads), statistics.median(bare)
    return ({"seconds": seconds, "bare_seconds": bare_seconds, "ratio": seconds / bare_seconds,
             "customers": customers}, workspace)


def _id_columns(file: Path) -> list[str]:
    """The file's headers the load maps to customer and order ids: the bare read keeps them
    as text, as the load does (an id such as 000123 must not become a number)."""
    mapping = inspect_file(file).mapping
    return [mapping[role] for role in ID_ROLES if role in mapping]


def bare_read(file: Path, database: Path, id_columns: Sequence[str]) -> float:
    """Seconds of DuckDB alone reading ``file`` into a table of a new database file."""
    _remove_database(database)
    con = duckdb.connect(str(database), config=duckdb_config())
    try:
        started = time.perf_counter()
        con.execute("create table t as select * from read_csv($file, types=$types)",
                    {"file": str(file), "types": {name: "VARCHAR" for name in id_columns}})
        con.execute("checkpoint")
        return time.perf_counter() - started
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        raise BenchmarkError(f"DuckDB alone cannot read {file} as CSV ({reason}); the bench "
                             "compares the load with that read, so give it a CSV file.") from exc
    finally:
        con.close()


def _remove_database(path: Path) -> None:
    for leftover in (path, Path(f"{path}.wal")):
        leftover.unlink(missing_ok=True)


def measure_fits(workspace: Path, dataset_id: int, repeats: int) -> dict[str, float]:
    """Median seconds of each model's fit on the data the churn and portraits pages give it."""
    from retention.metrics import default_as_of
    from retention.metrics.btyd_summary import btyd_summary
    from retention.metrics.customer_features import customer_features
    from retention.models import BetaGeoModel, GammaGammaModel
    from retention.models.churn import in_weeks
    from retention.models.portraits import PortraitModel

    con = open_workspace(workspace).cursor()
    as_of = default_as_of(con, dataset_id)
    if as_of is None:
        raise ValueError("The file has no purchases to fit the models on.")
    summary = btyd_summary(con, dataset_id, calibration_end=as_of)
    x, t_x, age = summary["x"], in_weeks(summary["t_x_days"]), in_weeks(summary["T_days"])
    repeat = summary[(summary["x"] > 0) & (summary["m"] > 0)]
    features = customer_features(con, dataset_id, as_of=as_of)
    fits: dict[str, Callable[[], Any]] = {
        "bgnbd": lambda: BetaGeoModel().fit(x, t_x, age),
        "gamma_gamma": lambda: GammaGammaModel().fit(repeat["x"], repeat["m"]),
        "portraits_kmeans": lambda: PortraitModel().fit(features),
    }
    return {name: statistics.median(_seconds(fit) for _ in range(repeats))
            for name, fit in fits.items()}


def _seconds(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def page_titles() -> list[str]:
    """The app's pages, from the app's own navigation (in a child: it needs Streamlit)."""
    _, _, out = run_child(PAGE_MODULE, "list")
    return list(json.loads(out))


def measure_page(workspace: Path, dataset_id: int, title: str,
                 repeats: int) -> dict[str, float]:
    """Median cold and warm seconds and peak MB of a page's first view, a process per run."""
    runs = []
    for _ in range(repeats):
        _, peak_mb, out = run_child(PAGE_MODULE, str(workspace), str(dataset_id), title)
        runs.append({**json.loads(out.strip().splitlines()[-1]), "peak_mb": peak_mb})
    return {key: statistics.median(run[key] for run in runs)
            for key in ("cold_s", "warm_s", "peak_mb")}


def measure_summary(workspace: Path, repeats: int) -> dict[str, float]:
    """Median seconds (start to exit) and peak MB of ``python -m retention summary``."""
    runs = [run_child("retention", "summary", "--db", str(workspace), "--dataset", DATASET)
            for _ in range(repeats)]
    return {"seconds": statistics.median(run[0] for run in runs),
            "peak_mb": statistics.median(run[1] for run in runs)}


# Runs ``-m MODULE ARGS…`` in the child and, as it exits, writes the peak resident memory of
# its own program (VmHWM, in KiB) to the file named first. Not ru_maxrss: Linux carries the
# parent's peak across fork and exec into the child's ru_maxrss, so every child of a benchmark
# that has loaded 10M rows would "peak" at the benchmark's own size.
_PEAK_WRAPPER = """
import atexit, runpy, sys
peak_file = sys.argv.pop(1)
def write_peak():
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(peak_file, "w") as out:
        out.write(kib)
atexit.register(write_peak)
module = sys.argv.pop(2)
sys.argv.pop(1)
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def run_child(module: str, *arguments: str) -> tuple[float, float, str]:
    """``python -m module arguments…`` from the project's folder; returns (seconds, peak
    resident MB of the child, its stdout). Raises :class:`BenchmarkError` with the child's
    last error line when it fails."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory(prefix="retention-bench-child-") as folder:
        peak, out, err = (Path(folder) / name for name in ("peak", "out", "err"))
        with out.open("w") as stdout, err.open("w") as stderr:
            started = time.perf_counter()
            finished = subprocess.run(
                [sys.executable, "-c", _PEAK_WRAPPER, str(peak), "-m", module, *arguments],
                stdout=stdout, stderr=stderr, cwd=PROJECT_ROOT, env=env, check=False)
            seconds = time.perf_counter() - started
        if finished.returncode != 0:
            lines = err.read_text().strip().splitlines() or ["(no message)"]
            raise BenchmarkError(f"{module} {' '.join(arguments)} failed: {lines[-1]}")
        return seconds, int(peak.read_text()) / 1024, out.read_text()


# -- the readable table -------------------------------------------------------------------------


def render(report: dict[str, Any]) -> str:
    """The report as plain text: the machine, then one table per part."""
    machine, ingest = report["machine"], report["ingest"]
    lines = [
        f"Machine: {machine['cores']} cores, {machine['memory_gb']} GB, load average "
        f"{' '.join(map(str, machine['load_average']))} (after: "
        f"{' '.join(map(str, machine['load_average_after']))}), {machine['date']}",
        f"Data: {report['rows']:,} rows, {report['customers']:,} customers "
        f"(median of {report['repeats']})",
        "",
        f"Ingest        {ingest['seconds']:8.2f} s   bare read {ingest['bare_seconds']:.2f} s"
        f"   ratio {ingest['ratio']:.2f}",
        "",
        f"{'Page':<20} {'cold s':>8} {'warm s':>8} {'peak MB':>8}",
    ]
    for title, page in report["pages"].items():
        lines.append(f"{title:<20} {page['cold_s']:8.3f} {page['warm_s']:8.4f} "
                     f"{page['peak_mb']:8.0f}")
    summary = report["summary"]
    lines += ["", f"Summary       {summary['seconds']:8.2f} s   peak {summary['peak_mb']:.0f} MB",
              "", "Fits"]
    lines += [f"  {name:<18} {seconds:8.3f} s" for name, seconds in report["fits"].items()]
    return "\n".join(lines)


__all__ = ["BenchmarkError", "add_parser", "machine_info", "render", "run_bench", "run_child"]
