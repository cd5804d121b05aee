"""The HTML report (as HTML, and as a person sees it in a browser) and the declaration."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt import read, solve
from mixopt.analysis.frontier import frontier
from mixopt.cli import Exit, main
from mixopt.io.spreadsheet import save_workbook as save
from mixopt.io.template import instance_workbook
from mixopt.report.declaration import content_hash, declarations
from mixopt.report.html import render
from tests.conftest import INSTANCES

CAN = INSTANCES / "can-body.toml"
TWO = INSTANCES / "can-body-and-end.toml"


class Fields(HTMLParser):
    """Collect data-field values and count inline SVG charts."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.svgs = 0
        self._open: str | None = None
        self.remote: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.svgs += 1
        if "data-field" in a:
            self._open = a["data-field"]
            self.fields[self._open] = ""
        for k in ("src", "href"):
            if a.get(k, "").startswith(("http:", "https:", "//")):
                self.remote.append(a[k])
        if tag in ("script", "link", "iframe", "img"):
            self.remote.append(tag)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.fields[self._open] += data

    def handle_endtag(self, tag: str) -> None:
        self._open = None


def _check(fields: Fields, result) -> None:
    ev = result.evaluations[0]
    assert fields.fields["status"] == "optimal"
    assert fields.fields["footprint_per_t"] == f"{ev.footprint_t.sum() / ev.slab_t.sum():.3f}"
    assert fields.fields["cost"] == f"{ev.cost.sum():,.0f}"
    for p, prod in enumerate(result.horizon.first.products):
        for m, mat in enumerate(result.horizon.first.materials):
            key = f"mix:{prod.name}:{mat.name}"
            if ev.mix_t[p, m] > 1e-9:
                assert fields.fields[key] == f"{ev.mix_t[p, m]:,.2f}"
        e = result.evaluations[0].arrays.constituents.index("Mn")
        assert fields.fields[f"chem:{prod.name}:Mn"] == f"{ev.composition_wt_pct[p, e]:.4f}"
        assert fields.fields[f"decl_full:{prod.name}"] == \
            f"{ev.footprint_full_t[p] / ev.slab_t[p]:.3f}"


def test_report_html_is_self_contained_and_true() -> None:
    inst = read(TWO)
    result = solve(inst)
    page = render(result, frontier(inst))
    f = Fields()
    f.feed(page)
    assert f.remote == []  # no network, no scripts, no external images or styles
    assert f.svgs == 2 * len(inst.first.products) + 1  # chemistry + footprint per product, curve
    assert "@page { size: A4" in page and "@media print" in page
    _check(f, result)


def test_names_are_escaped() -> None:
    src = CAN.read_text().replace('name = "INERTA"', 'name = "<script>x</script>"') \
        .replace("materials.INERTA.", "materials.<script>x</script>.")
    tmp = Path(CAN.parent / "__escape_test.toml")
    try:
        tmp.write_text(src)
        page = render(solve(read(tmp)))
    finally:
        tmp.unlink()
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_cli_report(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", str(CAN), "-o", str(out), "--pareto"])
    assert r.exit_code == 0, r.stderr
    assert "Cost against footprint (exact breakpoints)" in out.read_text()
    r = CliRunner().invoke(main, ["report", str(CAN), "-o", str(out)])
    assert r.exit_code == 2 and "--force" in r.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") \
    or shutil.which("google-chrome")


@pytest.mark.slow  # a real browser: CI's second step
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: the browser check "
                                             "needs Debian's chromium package (.ci/run installs "
                                             "it where it can)")
def test_report_in_a_real_browser(tmp_path: Path) -> None:
    inst = read(TWO)
    result = solve(inst)
    page = tmp_path / "r.html"
    page.write_text(render(result, frontier(inst)))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    f = Fields()
    f.feed(dom)
    assert f.svgs >= 2 * len(inst.first.products) + 1
    _check(f, result)
    shot = tmp_path / "r.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1100,1600", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 20_000
    pdf = tmp_path / "r.pdf"
    subprocess.run([CHROMIUM, *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert 2 <= pages <= 12  # prints on A4 pages, not one endless sheet


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine: the browser check "
                                             "needs Debian's chromium package")
def test_report_of_an_infeasible_month_carries_the_diagnosis(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", str(INSTANCES / "infeasible-fe.toml"), "-o",
                                  str(page)])
    assert r.exit_code == Exit.INFEASIBLE and f"wrote {page}" in r.stderr
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    text = re.sub(r"<[^>]+>", " ", dom)
    assert 'data-field="diagnosis"' in dom and "Why there is no plan" in text
    assert "Fe max 0.25 wt% is below even the cleanest available material" in text
    assert "alloys.AA1070.Fe=[0, 0.3]" in text.replace("&quot;", '"')
    assert "These limits fight each other" in text


def test_declaration_states_what_solve_computes(tmp_path: Path) -> None:
    inst = read(CAN)
    result = solve(inst)
    decl = declarations(result)
    (d,) = decl["products"]
    ev = result.evaluations[0]
    assert d["footprint_full_t_co2e_per_t"] == pytest.approx(result.objective_value, rel=1e-12)
    assert d["footprint_full_t_co2e_per_t"] < 3.0
    assert d["casting_full_t_co2e_per_t"] == 0.25
    assert d["recycled_post_consumer_share"] == pytest.approx(
        float(ev.recycled_post_t[0] / ev.charged_t[0]))
    assert d["inert_anode_share"] == pytest.approx(1050 / ev.charged_t[0])
    sources = {m["material"]: m["footprint_source"] for m in d["materials"]}
    assert sources["INERTA"].startswith("RUSAL ALLOW INERTA")
    assert "cut-off" in decl["scrap_method"]
    # the hash names the content, whatever the file format
    xlsx = tmp_path / "c.xlsx"
    save(instance_workbook(inst), xlsx)
    assert decl["instance_sha256"] == content_hash(read(xlsx))
    changed = read(CAN).first.model_copy(update={"name": "other"})
    assert content_hash(changed) != decl["instance_sha256"]
    r = CliRunner().invoke(main, ["solve", str(CAN), "--format", "declaration"])
    assert json.loads(r.stdout) == json.loads(json.dumps(decl))
