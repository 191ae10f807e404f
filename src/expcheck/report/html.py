"""One self-contained HTML page for a batch: summary per criterion and rule, a rule-frequency chart
(inline SVG), and a section per input with its findings and code excerpts. No scripts, no network."""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Sequence

from expcheck.criteria import CRITERIA, criterion_title
from expcheck.findings import Finding, Severity
from expcheck.report.schema import Report

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}
main{padding:20px 28px;max-width:1200px}section{background:#fff;border:1px solid #dfe3ea;border-radius:8px;
padding:14px 18px;margin:0 0 18px}h2{font-size:16px;margin:0 0 10px}h3{font-size:14px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceff3;
vertical-align:top}th{background:#f0f2f5}.num{text-align:right;font-variant-numeric:tabular-nums}
.ready{color:#157f3b;font-weight:600}.notready{color:#b42318;font-weight:600}.unreadable{color:#8a5a00;font-weight:600}
.error{color:#b42318}.warning{color:#8a5a00}code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{background:#f6f8fa;border:1px solid #e3e7ee;border-radius:6px;padding:6px 8px;margin:4px 0 10px;overflow-x:auto}
.hl{background:#ffe9e6;display:block}.muted{color:#667085}details summary{cursor:pointer}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _status(report: Report) -> str:
    if report.error is not None:
        return '<span class="unreadable">unreadable</span>'
    return '<span class="ready">ready</span>' if report.ready else '<span class="notready">not ready</span>'


def _chart(counts: Counter[str], titles: dict[str, str]) -> str:
    """A horizontal bar chart of how many inputs each rule fires on."""
    rows = counts.most_common(25)
    if not rows:
        return '<p class="muted">No findings in this batch.</p>'
    bar_h, gap, label_w, width = 18, 6, 70, 560
    top = max(n for _, n in rows)
    height = len(rows) * (bar_h + gap) + gap
    parts = [
        f'<svg id="rule-chart" role="img" aria-label="Inputs each rule fires on" width="{label_w + width + 60}" '
        f'height="{height}" viewBox="0 0 {label_w + width + 60} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (rule, n) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(2, round(width * n / top))
        parts.append(
            f"<g><title>{_e(rule)}: {_e(titles.get(rule, ''))} ({n})</title>"
            f'<text x="0" y="{y + bar_h - 4}" font-size="12" font-family="monospace">{_e(rule)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#3b6fd8" rx="3"/>'
            f'<text x="{label_w + w + 6}" y="{y + bar_h - 4}" font-size="12">{n}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _excerpt(finding: Finding, sources: dict[tuple[str, str], list[str]], source_key: str) -> str:
    lines = sources.get((source_key, finding.path))
    if not lines or finding.line is None:
        return f"<pre>{_e(finding.evidence)}</pre>" if finding.evidence else ""
    lo, hi = max(1, finding.line - 2), min(len(lines), finding.line + 2)
    body = []
    for n in range(lo, hi + 1):
        text = f"{n:>5}  {_e(lines[n - 1])}"
        body.append(f'<span class="hl">{text}</span>' if n == finding.line else text + "\n")
    return "<pre>" + "".join(body) + "</pre>"


def _contract(report: Report) -> str:
    """How the profile was chosen and which contract clauses were in force."""
    parts = []
    choice = report.profile_choice
    if choice is not None:
        ambiguous = (
            f" <strong>Ambiguous</strong>: {_e(', '.join(choice.alternatives))} fitted as well."
            if choice.ambiguous
            else ""
        )
        evidence = "".join(f"<li>{_e(e)}</li>" for e in choice.evidence)
        parts.append(f"<p class='profile-choice'>Profile chosen by {_e(choice.how)}.{ambiguous}</p><ul>{evidence}</ul>")
    if report.clauses:
        rows = "".join(
            f"<tr><td><code>{_e(c.id)}</code></td><td>{'in force' if c.in_force else 'not in force'}</td>"
            f"<td>{_e(c.text)}</td><td class='muted'>{_e(c.why)}</td></tr>"
            for c in report.clauses
        )
        parts.append(
            "<details class='clauses'><summary>contract clauses</summary><table><thead><tr><th>clause</th>"
            f"<th>state</th><th>asks</th><th>why</th></tr></thead><tbody>{rows}</tbody></table></details>"
        )
    return "".join(parts)


def render_html(
    reports: Sequence[Report],
    rule_titles: dict[str, str],
    sources: dict[tuple[str, str], list[str]] | None = None,
    title: str = "expcheck report",
) -> str:
    """The page; ``sources`` maps (input, path) to file lines for code excerpts (evidence lines otherwise)."""
    sources = sources or {}
    ready = sum(1 for r in reports if r.ready)
    unreadable = sum(1 for r in reports if r.error is not None)
    fires: Counter[str] = Counter()
    by_criterion: dict[str, Counter[str]] = defaultdict(Counter)
    for r in reports:
        for rule in {f.rule for f in r.findings}:
            fires[rule] += 1
        for f in r.findings:
            by_criterion[f.criterion][f.severity.value] += 1
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1><div>{len(reports)} inputs: {ready} ready, "
        f"{len(reports) - ready - unreadable} not ready, {unreadable} unreadable</div></header><main>",
        "<section><h2>By criterion</h2><table id='criteria-table'><thead><tr><th>criterion</th>"
        "<th class='num'>errors</th><th class='num'>warnings</th></tr></thead><tbody>",
    ]
    for crit in CRITERIA:
        c = by_criterion.get(crit)
        if c:
            out.append(
                f"<tr><td>{_e(crit)} {_e(criterion_title(crit))}</td><td class='num'>{c['error']}</td>"
                f"<td class='num'>{c['warning']}</td></tr>"
            )
    out.append("</tbody></table></section>")
    out.append(
        "<section><h2>By rule</h2><table id='rules-table'><thead><tr><th>rule</th><th>title</th>"
        "<th class='num'>inputs</th></tr></thead><tbody>"
    )
    for rule, n in sorted(fires.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(
            f"<tr><td><code>{_e(rule)}</code></td><td>{_e(rule_titles.get(rule, ''))}</td><td class='num'>{n}</td></tr>"
        )
    out.append("</tbody></table>")
    out.append(f"<h3>Inputs each rule fires on</h3>{_chart(fires, rule_titles)}</section>")
    for i, r in enumerate(reports):
        out.append(f"<section id='input-{i}'><h2>{_e(r.input)} — {_status(r)}</h2>")
        if r.error is not None:
            out.append(f"<p>{_e(r.error)}</p></section>")
            continue
        out.append(
            f"<p class='muted'>{_e(r.kind)}, profile {_e(r.profile)}; {r.summary.errors} errors, {r.summary.warnings} warnings"
            + (
                f"; recorded verdict: {'ready' if r.recorded.is_code_ready else 'not ready'}"
                if r.recorded and r.recorded.is_code_ready is not None
                else ""
            )
            + "</p>"
        )
        out.append(_contract(r))
        if not r.findings:
            out.append("</section>")
            continue
        out.append(f"<details{' open' if len(reports) <= 20 else ''}><summary>{len(r.findings)} findings</summary>")
        for f in r.findings:
            cls = "error" if f.severity is Severity.ERROR else "warning"
            out.append(
                f"<h3><span class='{cls}'>{_e(f.severity.value)}</span> <code>{_e(f.location())}</code> "
                f"<code>{_e(f.rule)}</code> {_e(f.message)} <span class='muted'>[{_e(f.confidence.value)}]</span></h3>"
                f"{_excerpt(f, sources, r.input)}"
                f"<div class='muted'>fix: {_e(f.fix)}</div>"
            )
        out.append("</details></section>")
    out.append("</main></body></html>\n")
    return "".join(out)
