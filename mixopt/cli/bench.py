"""``mixopt bench ...``: benchmarks that print their figures (never run by the tests)."""

from __future__ import annotations

import os
import platform

import click

from mixopt.cli.common import Finite, guard


def _size(text: str, periods: bool = False) -> tuple[int, ...]:
    """LOTSxPRODUCTSxELEMENTS (with ``periods``, PERIODSx in front is allowed too)."""
    parts = text.lower().split("x")
    if len(parts) != 3 and not (periods and len(parts) == 4):
        raise click.BadParameter(f"{text!r} is not {'[PERIODSx]' if periods else ''}"
                                 "LOTSxPRODUCTSxELEMENTS")
    try:
        return tuple(int(v) for v in parts)
    except ValueError:
        raise click.BadParameter(f"{text!r}: the sizes are whole numbers") from None


def _machine() -> str:
    import highspy

    return (f"machine: {platform.machine()}, {os.cpu_count()} cores; HiGHS "
            f"{highspy.Highs().version()}")


@click.group("bench")
def bench() -> None:
    """Benchmarks that print their figures (run on demand, not in the test suite)."""


@bench.command("sweep")
@click.option("--lots", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--products", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--elements", type=click.IntRange(min=1, max=15), default=12, show_default=True)
@click.option("--points", type=click.IntRange(min=2), default=20, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--scale-out", is_flag=True,
              help="Instead: the grid serially, on a local Dask cluster and on a started "
                   "'dask scheduler' with 'dask worker' processes; parallel efficiency.")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="With --scale-out: workers of each cluster.")
@click.option("--axis", type=click.Choice(["yield", "cap"]), default="yield",
              show_default=True,
              help="With --scale-out: a lot's yield (each point a new LP, solved cold) or "
                   "the cap (bounds only: warm re-solves).")
@guard
def bench_sweep(lots: int, products: int, elements: int, points: int, seed: int,
                scale_out: bool, workers: int, axis: str) -> None:
    """A footprint-cap sweep: mixopt's warm session against raw highspy, same LP and caps
    (or, with --scale-out, serial against Dask clusters)."""
    if scale_out:
        _scale_out(lots, products, elements, points, workers, seed, axis)
        return
    from mixopt.dev.bench import sweep

    f = sweep(lots, products, elements, points, seed)
    click.echo(f"cap sweep, {lots} lots x {products} products x {elements} elements, "
               f"{points} caps from {f.caps[0]:.4f} to {f.caps[-1]:.4f} t CO2e/t (seed {seed})")
    click.echo(f"{_machine()}, threads 1")
    click.echo(f"  mixopt (one warm Session)       {f.mixopt_s:8.3f} s   "
               f"(HiGHS's own run time {f.mixopt_highs_s:.3f} s, {f.rebuilds} build)")
    click.echo(f"  raw highspy (persistent)        {f.raw_s:8.3f} s")
    click.echo(f"  ratio mixopt / raw              {f.ratio:8.2f}   (target <= 2)")
    click.echo(f"  largest objective difference    {f.max_rel_diff:8.1e}   (relative)")


def _scale_out(lots: int, products: int, elements: int, points: int, workers: int,
               seed: int, axis: str) -> None:
    from mixopt.dev.bench_scaleout import scale_out

    serial_s, runs = scale_out(lots, products, elements, points, workers, seed, axis)
    click.echo(f"grid of {points} {axis} points, {lots} lots x {products} products x {elements} "
               f"elements (seed {seed}); {_machine()}, threads 1 per worker")
    click.echo(f"  {'serial (one warm session)':<34} {serial_s:8.1f} s")
    for r in runs:
        click.echo(f"  {r.label:<34} {r.grid_s:8.1f} s   efficiency "
                   f"{r.efficiency(serial_s, workers):6.1%}   (start-up {r.start_s:.1f} s; "
                   f"objectives within {r.max_rel_diff:.1e} of serial)")


@bench.command("solve")
@click.option("--size", "sizes", multiple=True, metavar="[PERIODSx]LOTSxPRODUCTSxELEMENTS",
              help="Sizes to run (repeatable; with PERIODS a generated horizon, e.g. "
                   "12x500x20x12); default 50x5x10 500x20x12 2000x40x12 5000x60x14.")
@click.option("--backend", type=click.Choice(["highspy", "pyomo"]), default="highspy",
              show_default=True)
@click.option("--lp-solver", type=click.Choice(["auto", "simplex", "ipm"]), default="auto",
              show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-sensitivity", is_flag=True, help="mixopt without duals and ranging.")
@guard
def bench_solve(sizes: tuple[str, ...], backend: str, lp_solver: str, seed: int,
                no_sensitivity: bool) -> None:
    """mixopt end to end against a minimal raw-highspy baseline, phase by phase."""
    from mixopt.dev.bench_scale import SIZES, bench_size

    click.echo(f"{_machine()}; each contender in its own spawned process; times in s, "
               "memory in MB above the process's size after imports")
    click.echo(f"{'size':>12} {'who':<28} {'read':>7} {'build':>7} {'load':>7} {'solve':>8} "
               f"{'extract':>8} {'outside':>8} {'peak MB':>8} {'objective':>16}")
    for text in sizes or [f"{a}x{b}x{c}" for a, b, c in SIZES]:
        *periods, lots, products, elements = _size(text, periods=True)
        ours, raw, default = bench_size(lots, products, elements, backend=backend,
                                        lp_solver=lp_solver, seed=seed,
                                        sensitivity=not no_sensitivity,
                                        periods=periods[0] if periods else None)
        for r in (ours, raw, default):
            p = r.phases
            click.echo(f"{text:>12} {r.who:<28} {p['read']:7.3f} {p['build']:7.3f} "
                       f"{p['load']:7.3f} {p['solve']:8.3f} {p['extract']:8.3f} "
                       f"{r.outside_solve:8.3f} {r.work_mb:8.1f} {r.objective:16.6f}")
        rel = abs(ours.objective - raw.objective) / max(1.0, abs(raw.objective))
        click.echo(f"{text:>12} {'ratio mixopt/raw':<28} outside solve "
                   f"{ours.outside_solve / raw.outside_solve:.2f}x (target <= 1.5), outside "
                   f"share of mixopt's total {ours.outside_solve / ours.total:.1%} (target <= "
                   f"10%), memory {ours.work_mb / max(raw.work_mb, 1e-9):.2f}x (target <= 2),"
                   f" objectives differ by {rel:.1e}")
        click.echo(f"{text:>12} {'end to end vs default':<28} {ours.total / default.total:.2f}x"
                   " a raw highspy solve with HiGHS's default options (target <= 0.7)")


def _settings_command(name: str, milp: bool, limit: float, doc: str) -> None:
    """``bench solvers`` and ``bench milp``: one generated month under several settings."""

    @bench.command(name, help=doc)
    @click.option("--size", default="2000x40x12", show_default=True,
                  metavar="LOTSxPRODUCTSxELEMENTS")
    @click.option("--time-limit", type=Finite(0, open_low=True), default=limit, show_default=True)
    @guard
    def run(size: str, time_limit: float) -> None:
        from mixopt.dev.bench_scale import time_settings

        click.echo(f"{size} {'MILP' if milp else 'LP'}, cold solves, time limit "
                   f"{time_limit:g} s per run; {_machine()}, threads 1")
        for t in time_settings(*_size(size), milp=milp, time_limit_s=time_limit):
            tail = ((f"gap {t.gap:.3%}" if t.gap is not None else "no plan") if milp
                    else f"objective {t.objective:.6f}")
            click.echo(f"  {t.name:<30} {t.status:<28} {t.seconds:8.2f} s   {tail}")


_settings_command("algorithms", False, 120.0,
                  "HiGHS's LP algorithms on one generated month (cold solves).")


@bench.command("solvers")
@click.option("--suite", default="instances", show_default=True,
              help="A folder with an expected.json manifest (mixopt check's format).")
@click.option("--rtol", type=Finite(0, open_low=True), default=1e-6, show_default=True)
@guard
def bench_solvers(suite: str, rtol: float) -> None:
    """The solver matrix: every run of a suite (chance runs aside: HiGHS only) by HiGHS
    from the arrays, HiGHS via Pyomo, and each other solver Pyomo finds (GLPK, CBC);
    time and agreement with the suite's expected objective per run."""
    from pathlib import Path

    from mixopt.dev.bench_solvers import matrix

    click.echo(f"{_machine()}; cold solves without sensitivity; agreement at rtol {rtol:g}")
    for label, cells in matrix(Path(suite), rtol).items():
        if isinstance(cells, str):
            click.echo(f"{label}: {cells}")
            continue
        ok = sum(c.agrees is True for c in cells)
        total = sum(c.seconds for c in cells)
        click.echo(f"{label}: {ok} of {len(cells)} runs agree; {total:.2f} s in all")
        for c in cells:
            if c.agrees is not True:
                click.echo(f"    {c.run:<36} {c.status:<24} {c.objective!r}  DISAGREES")
        click.echo("    " + ", ".join(f"{c.run} {c.seconds * 1000:.0f} ms" for c in cells))
_settings_command("milp", True, 300.0,
                  "A generated MILP month (half the lots in whole lots, some minimum orders): "
                  "time to a first plan, to 1% and to 0.1% gap (threads 1).")


@bench.command("startup")
@click.option("--instance", default="instances/can-body.toml", show_default=True)
@click.option("--repeat", type=click.IntRange(min=1), default=7, show_default=True)
@guard
def bench_startup(instance: str, repeat: int) -> None:
    """Wall time and peak memory of `mixopt --help` and a JSON solve against bare Python
    importing what they need (fresh processes, each pair run back to back)."""
    import os
    import platform

    from mixopt.dev.bench_startup import pairs

    click.echo(f"machine: {platform.machine()}, Python {platform.python_version()}; "
               f"median of {repeat} fresh processes, each run's ratio beside it")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        click.echo("  note: PYTHONDONTWRITEBYTECODE is set: modules not compiled at install "
                   "are compiled again in every process")
    for ours, base, wall_target, mem_target in pairs(instance, repeat):
        click.echo(f"  {ours.label:<52} {ours.wall_s:6.3f} s {ours.peak_mib:7.1f} MiB")
        click.echo(f"  {base.label:<52} {base.wall_s:6.3f} s {base.peak_mib:7.1f} MiB")
        mem = ("" if mem_target == float("inf") else
               f", memory {ours.peak_mib / base.peak_mib:.2f}x (target <= {mem_target:g})")
        each = [a / b for a, b in zip(ours.walls, base.walls, strict=True)]
        click.echo(f"  {'ratio':<52} wall {ours.wall_s / base.wall_s:.2f}x, each run "
                   f"{' '.join(f'{r:.2f}' for r in each)}, worst {max(each):.2f}x "
                   f"(target <= {wall_target:g}){mem}")


@bench.command("check")
@click.option("--instances", "n", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--size", default="30x3x8", show_default=True, metavar="LOTSxPRODUCTSxELEMENTS")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@guard
def bench_check(n: int, size: str, workers: int) -> None:
    """`mixopt check` on a suite of N small generated months: seconds per instance,
    serial and on Dask workers (fresh processes: start-up and cluster included)."""
    from mixopt.dev.bench_check import bench as check_bench

    click.echo(f"{_machine()}; {n} generated months of {size}")
    for label, seconds, code in check_bench(n, _size(size), workers):
        click.echo(f"  check {label:<14} {seconds:7.2f} s  {seconds / n:6.3f} s per instance"
                   f" (target <= 0.6)  exit {code}")


@bench.command("chance")
@click.option("--size", "sizes", multiple=True, metavar="LOTSxPRODUCTSxELEMENTS",
              help="Sizes to run (repeatable); default 100x10x10, 500x20x12, 2000x40x12.")
@click.option("--cones", "methods", multiple=True,
              type=click.Choice(["auto", "blocks", "clarabel", "cuts"]),
              help="How the cones are solved (repeatable; default auto).")
@click.option("--confidence", type=Finite(), default=0.95, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@guard
def bench_chance(sizes: tuple[str, ...], methods: tuple[str, ...], confidence: float,
                 seed: int) -> None:
    """Chance-constrained against deterministic solve time (the conic solve's iterations,
    gap and blocks), and the time to simulate 20,000 heats (generated months, a spread on
    every scrap lot)."""
    from mixopt.dev.bench_chance import bench as chance_bench

    click.echo(f"{_machine()}; confidence {confidence} per limit; mixopt end to end (build, "
               "solve, recheck; read and sensitivity excluded), each solve cold")
    for text in sizes or ("100x10x10", "500x20x12", "2000x40x12"):
        mean, runs = chance_bench(*_size(text), confidence=confidence, seed=seed,
                                  methods=methods or ("auto",))
        click.echo(f"{text}: on the mean {mean.seconds:.2f} s (HiGHS {mean.solver_s:.2f} s), "
                   f"objective {mean.objective:,.2f}, off-spec heats {mean.off_spec:.1%}")
        for f in runs:
            work = (f"{f.iterations} iterations" if f.iterations is not None
                    else f"{f.rounds} cut rounds")
            where = (f", {f.blocks} blocks, {f.coupling} coupling unknowns"
                     if f.blocks is not None else "")
            gap = f", gap {f.gap:.1e}" if f.gap is not None else ""
            on = f" on {f.cones_count} cones" if f.cones_count else ""
            click.echo(f"{'':>{len(text)}}  --cones {f.cones} ({f.method}): {f.seconds:.2f} s "
                       f"(solver {f.solver_s:.2f} s), {f.ratio(mean):.1f}x the mean; {work}"
                       f"{on}{gap}{where}; {f.status}")
            if f.objective is not None:
                click.echo(f"{'':>{len(text)}}    objective {f.objective:,.2f} "
                           f"(+{f.objective / mean.objective - 1:.3%}); off-spec heats "
                           f"{mean.off_spec:.1%} -> {f.off_spec:.1%}; {f.samples:,} heats per "
                           f"product simulated in {f.simulate_s:.3f} s")


@bench.command("conic")
@click.option("--size", default="100x10x10", show_default=True,
              metavar="LOTSxPRODUCTSxELEMENTS")
@click.option("--confidence", type=Finite(), default=0.95, show_default=True)
@click.option("--repeat", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--part", type=click.Choice(["settings", "forms", "both", "dw"]),
              default="both", show_default=True,
              help="dw: Dantzig-Wolfe column generation on the product blocks instead.")
@click.option("--rounds", type=click.IntRange(min=1), default=150, show_default=True,
              help="With --part dw: at most this many rounds.")
@guard
def bench_conic(size: str, confidence: float, repeat: int, seed: int, part: str,
                rounds: int) -> None:
    """Clarabel's settings and the formulations of the chance cones, measured on one
    generated month (median of --repeat cold solves each); or Dantzig-Wolfe's progress."""
    from mixopt.dev.bench_conic import chance_lp, dantzig_wolfe, forms_table, settings_table

    lp = chance_lp(*_size(size), seed=seed, confidence=confidence)
    click.echo(f"{_machine()}; {size} at {confidence} per limit, {lp.A.shape[1]} columns, "
               f"{len(lp.cones)} cones; median of {repeat}")
    if part == "dw":
        from mixopt.model.backend import SolveOptions, solve_lp

        ref = solve_lp(lp, SolveOptions(cones="blocks"), sensitivity=False)
        click.echo(f"  block interior point: {ref.objective:,.4f} in {ref.solve_time_s:.2f} s, "
                   f"gap {ref.solver['gap']:.1e}")
        trail = dantzig_wolfe(lp, rounds)
        for r in [r for r in trail if r.iteration in (1, 10, 25, 50, 100)] + trail[-1:]:
            click.echo(f"  Dantzig-Wolfe round {r.iteration:4d} {r.seconds:8.2f} s  bounds "
                       f"[{r.lower:,.4f}, {r.upper:,.4f}]  gap {r.gap:.1e}  master above the "
                       f"optimum by {(r.upper - ref.objective) / abs(ref.objective):.1e}")
        return
    tables = (("settings", settings_table), ("forms", forms_table))
    for name, table in tables:
        if part not in (name, "both"):
            continue
        rows = table(lp, repeat)
        ref = rows[0].objective
        for r in rows:
            diff = (f"{abs(r.objective - ref) / abs(ref):.1e}"
                    if r.objective is not None and ref else "-")
            click.echo(f"  {r.label:<60} {r.seconds:7.2f} s (CPU {r.cpu_s:6.2f} s) "
                       f"{r.iterations or 0:4d} it  "
                       f"{r.status:<10} objective diff {diff}")


@bench.command("charges")
@click.option("--time-limit", "time_limit", type=Finite(0, open_low=True), default=600.0,
              show_default=True, help="Seconds per run.")
@guard
def bench_charges(time_limit: float) -> None:
    """Charges a casthouse can run: max_materials with and without chance cones (outer
    approximation: HiGHS master, Clarabel per assignment), against the month without it."""
    from pathlib import Path

    from mixopt.dev.bench_charges import bench as charges_bench

    click.echo(f"{_machine()}, threads 1; each run cold, end to end (read excluded)")
    for f in charges_bench(Path("instances"), time_limit):
        conf = f"{f.confidence:g}" if f.confidence is not None else "on the mean (MILP)"
        gap = f"{f.gap:.2g}" if f.gap is not None else "-"
        oa = (f"; {f.rounds} rounds, {f.conic_solves} conic solves" if f.rounds is not None
              else "")
        click.echo(f"  {f.label}, at most {f.k} materials, {conf}: {f.seconds:.2f} s "
                   f"({f.status}, gap {gap}{oa}); most materials in a product {f.used_max}; "
                   f"without the limit {f.lp_seconds:.2f} s")
