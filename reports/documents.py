"""The program report as a file: html (tables, and <img> with alt text for each chart), md
(tables and image links) or pdf (matplotlib's PdfPages: a page of text, then one per chart).
Chart images are PNG files written next to the document, named after it."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib.image as mpimg
from matplotlib.backends.backend_pdf import PdfPages

from core.reports.program import ProgramReport
from core.reports.summary import Table, headline, sections
from reports.charts import Chart, draw, new_figure

FORMATS = ("html", "pdf", "md")


@dataclass(frozen=True)
class Written:
    document: Path
    images: list[Path]


def default_name(report: ProgramReport, fmt: str) -> Path:
    return Path(f"report-{report.period.label.replace(' ', '_')}.{fmt}")


def _write_images(charts: list[Chart], document: Path) -> dict[str, Path]:
    paths = {}
    for chart in charts:
        path = document.with_name(f"{document.stem}-{chart.name}.png")
        path.write_bytes(chart.png)
        paths[chart.name] = path
    return paths


def _html_table(table: Table) -> str:
    header, rows = table
    if not rows:
        return "<p>None in this period.</p>"
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(report: ProgramReport, charts: dict[str, Chart], images: dict[str, Path]) -> str:
    title = f"Incident response program report, {report.period.label}"
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
             "<style>body{font-family:sans-serif;max-width:70em;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #999;padding:2px 6px;text-align:left}img{max-width:100%}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p>Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by Firebreak.</p>",
             "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in headline(report)) + "</ul>"]
    for heading, chart, table in sections(report):
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if chart in charts:
            parts.append(f'<figure><img src="{html.escape(images[chart].name)}" '
                         f'alt="{html.escape(charts[chart].alt)}"><figcaption>{html.escape(charts[chart].title)}'
                         "</figcaption></figure>")
        parts.append(_html_table(table))
    parts.append("<h2>What these figures cannot tell</h2><ul>"
                 + "".join(f"<li>{html.escape(u)}</li>" for u in report.unknown) + "</ul></body></html>")
    return "\n".join(parts) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> list[str]:
    header, rows = table
    if not rows:
        return ["None in this period."]
    return ["| " + " | ".join(map(_md_cell, header)) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(map(_md_cell, row)) + " |" for row in rows)]


def to_markdown(report: ProgramReport, charts: dict[str, Chart], images: dict[str, Path]) -> str:
    lines = [f"# Incident response program report, {report.period.label}", "",
             f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by Firebreak.", "",
             *(f"- {line}" for line in headline(report))]
    for heading, chart, table in sections(report):
        lines += ["", f"## {heading}", ""]
        if chart in charts:
            alt = charts[chart].alt.replace("[", "(").replace("]", ")")
            lines += [f"![{alt}]({images[chart].name})", ""]
        lines += _md_table(table)
    lines += ["", "## What these figures cannot tell", "", *(f"- {u}" for u in report.unknown)]
    return "\n".join(lines) + "\n"


def _text_page(report: ProgramReport):
    figure = new_figure(8.27, 11.69)  # A4 portrait
    text = "\n".join([f"Incident response program report, {report.period.label}", "",
                      *headline(report), "", "What these figures cannot tell:", *report.unknown])
    figure.text(0.05, 0.95, text, va="top", ha="left", wrap=True, fontsize=9)
    return figure


def to_pdf(report: ProgramReport, charts: list[Chart], path: Path) -> None:
    """A text page, then each chart (re-read from its PNG so the pdf shows what the files show)."""
    with PdfPages(path, metadata={"Title": f"Incident response program report, {report.period.label}"}) as pdf:
        pdf.savefig(_text_page(report))
        for chart in charts:
            figure = new_figure(11.69, 8.27)
            axes = figure.subplots()
            axes.imshow(mpimg.imread(io.BytesIO(chart.png), format="png"))
            axes.set_axis_off()
            pdf.savefig(figure)


def write(report: ProgramReport, fmt: str, out: Path | None = None) -> Written:
    """Write the document and its chart images; returns where."""
    document = out or default_name(report, fmt)
    document.parent.mkdir(parents=True, exist_ok=True)
    charts = draw(report)
    images = _write_images(charts, document)
    by_name = {c.name: c for c in charts}
    if fmt == "html":
        document.write_text(to_html(report, by_name, images), encoding="utf-8")
    elif fmt == "md":
        document.write_text(to_markdown(report, by_name, images), encoding="utf-8")
    elif fmt == "pdf":
        to_pdf(report, charts, document)
    else:
        raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")
    return Written(document, list(images.values()))
