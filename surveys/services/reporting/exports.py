"""CSV exports: exactly the numbers a chart shows, with their 95% margins, one file per chart."""

from __future__ import annotations

import csv
import io

from surveys.services.reporting import charts
from surveys.services.reporting.charts import shown_text
from surveys.services.reporting.report import Report

#: What each export may be called in a URL.
EXPORTS = (
    "weekly", "funnel", "zone", "state", "lga", "age_band", "income_band", "gender", "cross",
    "consent",
)  # fmt: skip


def available(report: Report) -> list[str]:
    keys = [key for key in EXPORTS if key in report.tables]
    if report.cross is not None:
        keys.append("cross")
    if report.consent is not None and report.consent.available:
        keys.append("consent")
    return keys


def to_csv(report: Report, key: str) -> str:
    """The chart ``key`` as CSV; KeyError if the report has no such chart."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # Plain numbers for spreadsheets: 9329, not the page's 9,329.
    text = lambda estimate: shown_text(estimate, report.min_cell, grouped=False)  # noqa: E731
    margin_text = lambda estimate: charts.margin_text(estimate, grouped=False)  # noqa: E731
    if key == "cross":
        cross = report.cross
        if cross is None:
            raise KeyError(key)
        writer.writerow(
            [cross.row_attribute, "label", cross.column_attribute, "label", "respondents",
             "margin_95"]
        )  # fmt: skip
        for r, r_label in cross.rows:
            for c, c_label in cross.columns:
                cell = cross.cells[(r, c)]
                writer.writerow([r, r_label, c, c_label, text(cell), margin_text(cell)])
    elif key == "consent":
        consent = report.consent
        if consent is None or not consent.available:
            raise KeyError(key)
        writer.writerow(["attribute", "label", "share", "share_margin_95", "allowed", "margin_95"])
        shares = charts.consent_shares(consent, report.min_cell)
        for (code, label, estimate), (_, share, _, margin) in zip(
            consent.rows, shares, strict=True
        ):
            writer.writerow(
                [code, label, share, f"±{margin:.1f}", text(estimate), margin_text(estimate)]
            )
        writer.writerow(
            ["choices", "Consent choices made", "", "", text(consent.whole),
             margin_text(consent.whole)]
        )  # fmt: skip
    else:
        table = report.tables[key]
        writer.writerow(["code", table.dimension, table.unit.lower(), "margin_95"])
        for code, label, estimate in table.rows:
            writer.writerow([code, label, text(estimate), margin_text(estimate)])
    return out.getvalue()
