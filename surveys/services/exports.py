"""CSV exports: the same protected numbers as the charts, one file per chart."""

from __future__ import annotations

import csv
import io

from surveys.services import charts
from surveys.services.charts import shown_text
from surveys.services.reports import Report

#: What each export may be called in a URL.
EXPORTS = ("weekly", "funnel", "zone", "state", "lga", "age_band", "income_band", "gender")


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
    text = lambda shown: shown_text(shown, report.min_cell)  # noqa: E731
    if key == "cross":
        cross = report.cross
        if cross is None:
            raise KeyError(key)
        writer.writerow(
            [cross.row_attribute, "label", cross.column_attribute, "label", "respondents"]
        )
        for r, r_label in cross.rows:
            for c, c_label in cross.columns:
                writer.writerow([r, r_label, c, c_label, text(cross.cells[(r, c)])])
    elif key == "consent":
        consent = report.consent
        if consent is None or not consent.available:
            raise KeyError(key)
        writer.writerow(["attribute", "label", "share", "consented"])
        shares = charts.consent_shares(consent, report.min_cell)
        for (code, label, shown), (_, _, share) in zip(consent.rows, shares, strict=True):
            writer.writerow([code, label, share, text(shown)])
        writer.writerow(["signed_in", "Signed-in respondents", "", text(consent.whole)])
    else:
        table = report.tables[key]
        writer.writerow(["code", table.dimension, "respondents" if key != "funnel" else "events"])
        for code, label, shown in table.rows:
            writer.writerow([code, label, text(shown)])
    return out.getvalue()
