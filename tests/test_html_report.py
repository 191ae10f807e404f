"""The batch HTML report: self-contained, and really rendered by a headless Chromium (skipped where none is installed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from expcheck import check
from expcheck.report.html import render_html
from expcheck.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _page(tmp_path: Path) -> Path:
    inputs = [str(FIXTURES / "trace_v2.txt"), str(ROOT / "examples" / "defective_bundle.json"), str(tmp_path / "missing")]
    reports = [check(p) for p in inputs]
    titles = {r.id: r.title for r in all_rules()}
    page = tmp_path / "report.html"
    page.write_text(render_html(reports, titles, title="expcheck test batch"), encoding="utf-8")
    return page


def test_page_is_self_contained(tmp_path: Path) -> None:
    text = _page(tmp_path).read_text()
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "id='rules-table'" in text and "id=\"rule-chart\"" in text
    assert "C103" in text and "unreadable" in text


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)")
def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    page_file = _page(tmp_path)
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            bars = page.locator("#rule-chart rect.bar")
            assert bars.count() > 0
            box = bars.first.bounding_box()
            assert box is not None and box["width"] > 0 and box["height"] > 0
            rows = page.locator("#rules-table tbody tr")
            assert rows.count() > 0
            assert page.locator("#criteria-table tbody tr").count() > 0
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 1000
