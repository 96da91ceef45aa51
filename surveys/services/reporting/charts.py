"""Plotly figures for the dashboard, built in Python from a :class:`Report`.

Figures are plain JSON handed to plotly.js in the page. Every bar carries its 95% margin of
error as an error bar (and in its hover text); a number under K is drawn as a gap reading
"fewer than K": the chart never shows a number the CSV does not have.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from surveys import reference
from surveys.services.reporting.privacy import margin95
from surveys.services.reporting.report import CrossTable, Estimate, Report, ShareTable, Table

Figure = dict[str, Any]
COLOUR = "#1f5f8b"
HIDDEN_COLOUR = "#d9d9d9"
OUTSIDE_COLOUR = "#f4f4f4"
COLOURSCALE = "Blues"
#: No plotly logo link, no "edit in Chart Studio", nothing that calls out.
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}
FONT = {"family": "system-ui, sans-serif", "size": 13}


def shown_text(estimate: Estimate | None, min_cell: int) -> str:
    """How a published count reads, in charts and CSV alike."""
    if estimate is None:
        return "outside this view"
    value = estimate.shown(min_cell)
    return f"fewer than {min_cell}" if value is None else str(value)


def margin_text(estimate: Estimate | None) -> str:
    """ "±12": the 95% margin of error, rounded to a whole count ("" outside the view)."""
    return "" if estimate is None else f"±{estimate.margin:.0f}"


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    # The page's own heading names the chart; the figure keeps its title for downloads only.
    settings: dict[str, Any] = {
        "meta": {"title": title},
        "font": FONT,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 80},
        "plot_bgcolor": "white",
        **extra,
    }
    layout = go.Layout(**settings)
    return layout.to_plotly_json()


def bar(table: Table, min_cell: int, horizontal: bool = False, unit: str = "Respondents") -> Figure:
    labels = [label for _, label, _ in table.rows]
    values = [e.shown(min_cell) if e is not None else None for _, _, e in table.rows]
    texts = [shown_text(e, min_cell) for _, _, e in table.rows]
    margins = [
        round(e.margin, 1) if e is not None and v is not None else 0
        for (_, _, e), v in zip(table.rows, values, strict=True)
    ]
    hover = [
        f"{text} {margin_text(e)} (95%)" if v is not None else text
        for (_, _, e), text, v in zip(table.rows, texts, values, strict=True)
    ]
    # The interval is drawn down to zero at most: no count is negative, and an axis that
    # dips below zero for one wide interval squeezes every bar.
    error = {
        "type": "data",
        "symmetric": False,
        "array": margins,
        "arrayminus": [min(m, v or 0) for m, v in zip(margins, values, strict=True)],
        "visible": True,
        "color": "#555",
        "thickness": 1,
    }
    axis: dict[str, Any] = {"x": labels, "y": [v or 0 for v in values], "error_y": error}
    if horizontal:
        axis = {"y": labels, "x": [v or 0 for v in values], "error_x": error}
    trace = go.Bar(
        **axis,
        orientation="h" if horizontal else "v",
        marker_color=COLOUR,
        text=texts,
        textposition="outside",
        cliponaxis=False,
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        name=table.dimension,
    )
    extra: dict[str, Any] = {"height": max(320, 28 * len(labels) + 100)} if horizontal else {}
    if horizontal:
        extra["yaxis"] = {"autorange": "reversed", "automargin": True}
        extra["xaxis"] = {"title": {"text": unit}, "rangemode": "tozero"}
    else:
        extra["yaxis"] = {"title": {"text": unit}, "rangemode": "tozero"}
        extra["xaxis"] = {"automargin": True}
    return {"data": [trace.to_plotly_json()], "layout": _layout(table.title, **extra)}


def heatmap(cross: CrossTable, min_cell: int) -> Figure:
    z = [[cross.cells[(r, c)].shown(min_cell) for c, _ in cross.columns] for r, _ in cross.rows]
    text = [
        [shown_text(cross.cells[(r, c)], min_cell) for c, _ in cross.columns] for r, _ in cross.rows
    ]
    margins = [
        [f"{margin_text(cross.cells[(r, c)])} (95%)" for c, _ in cross.columns]
        for r, _ in cross.rows
    ]
    trace = go.Heatmap(
        z=z,
        x=[label for _, label in cross.columns],
        y=[label for _, label in cross.rows],
        text=text,
        customdata=margins,
        texttemplate="%{text}",
        hovertemplate="%{y} · %{x}: %{text} %{customdata}<extra></extra>",
        colorscale=COLOURSCALE,
        hoverongaps=True,
        xgap=2,
        ygap=2,
        colorbar={"title": {"text": "Respondents"}},
    )
    layout = _layout(
        cross.title,
        height=max(360, 34 * len(cross.rows) + 160),
        xaxis={"automargin": True, "side": "bottom"},
        yaxis={"automargin": True, "autorange": "reversed"},
    )
    return {"data": [trace.to_plotly_json()], "layout": layout}


@cache
def _state_outlines() -> dict[str, list[tuple[list[float | None], list[float | None]]]]:
    text = (
        resources.files("surveys.reference")
        .joinpath("data/nigeria_states.geojson")
        .read_text("utf-8")
    )
    outlines: dict[str, list] = {}  # type: ignore[type-arg]
    for feature in json.loads(text)["features"]:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for polygon in feature["geometry"]["coordinates"]:
            ring = polygon[0]
            xs += [point[0] for point in ring] + [None]
            ys += [point[1] for point in ring] + [None]
        outlines[feature["id"]] = (xs, ys)  # type: ignore[assignment]
    return outlines  # type: ignore[return-value]


@cache
def _state_traces() -> dict[str, dict[str, Any]]:
    """One filled outline per state, validated by plotly once per process."""
    names = reference.state_choices()
    return {
        code: go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            fill="toself",
            line={"color": "white", "width": 0.8},
            hoveron="fills",
            name=names[code],
            showlegend=False,
        ).to_plotly_json()
        for code, (xs, ys) in _state_outlines().items()
    }


#: The map's colour steps: finer than the eye can tell apart.
SHADES = 200


@cache
def _shade(step: int) -> str:
    """A colour of the scale (plotly looks the scale up by name each time: slow, so once)."""
    return str(sample_colorscale(COLOURSCALE, [step / SHADES])[0])


def state_map(report: Report) -> Figure:
    """A choropleth of the states drawn from the outlines shipped with the app (no tiles)."""
    values = [
        v for e in report.map_values.values() if e is not None and (v := e.shown(report.min_cell))
    ]
    low, high = (min(values), max(values)) if values else (0, 1)
    names = reference.state_choices()
    traces = []
    for code, base in _state_traces().items():
        estimate = report.map_values.get(code)
        value = estimate.shown(report.min_cell) if estimate is not None else None
        trace = copy.copy(base)
        if estimate is None:
            colour = OUTSIDE_COLOUR
        elif value is None:
            colour = HIDDEN_COLOUR
        else:
            share = 0.15 + 0.85 * ((value - low) / (high - low) if high > low else 1.0)
            colour = _shade(round(share * SHADES))
        trace["fillcolor"] = colour
        trace["text"] = f"{names[code]}: {shown_text(estimate, report.min_cell)}"
        trace["hovertext"] = f"{trace['text']} {margin_text(estimate)}".rstrip()
        trace["hoverinfo"] = "text"
        traces.append(trace)
    # An invisible point carries the colour bar, so the shading has a key.
    key = go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        showlegend=False,
        hoverinfo="skip",
        marker={
            "colorscale": [
                [0, _shade(round(0.15 * SHADES))],
                [1, _shade(SHADES)],
            ],
            "cmin": low,
            "cmax": high,
            "color": [low],
            "showscale": bool(values),
            "colorbar": {"title": {"text": "Respondents"}},
        },
    ).to_plotly_json()
    layout = _layout(
        "Respondents by state",
        height=520,
        xaxis={"visible": False, "fixedrange": True},
        # Degrees of latitude are a little longer than of longitude this near the equator.
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1.01, "fixedrange": True},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    return {"data": [*traces, key], "layout": layout}


def consent_shares(table: ShareTable, min_cell: int) -> list[tuple[str, float, str, float]]:
    """(label, share in %, text, 95% margin in points) per attribute: what the chart draws and
    the CSV lists. The margin of a ratio of two noisy counts is by the delta method."""
    result = []
    whole = table.whole
    for _, label, estimate in table.rows:
        part = estimate.shown(min_cell)
        if whole is None or whole.shown(min_cell) is None or part is None:
            hidden = estimate if part is None else whole
            result.append((label, 0.0, shown_text(hidden, min_cell), 0.0))
            continue
        share = min(1.0, part / whole.value)
        # Var(a/b) ~ (Var a + share² Var b) / b², for independent noise in a and b.
        variance = (estimate.variance + share * share * whole.variance) / whole.value**2
        margin = 100 * margin95(variance)
        result.append((label, round(100 * share, 1), f"{100 * share:.0f}%", round(margin, 1)))
    return result


def consent_bars(table: ShareTable, min_cell: int) -> Figure | None:
    if not table.available or table.whole is None:
        return None
    shares = consent_shares(table, min_cell)
    labels = [label for label, _, _, _ in shares]
    texts = [text for _, _, text, _ in shares]
    trace = go.Bar(
        x=labels,
        y=[share for _, share, _, _ in shares],
        error_y={"type": "data", "array": [m for *_, m in shares], "visible": True,
                 "color": "#555", "thickness": 1},
        text=texts,
        hovertext=[f"{text} ±{m:.0f} points (95%)" if m else text for _, _, text, m in shares],
        hovertemplate="%{hovertext}<extra></extra>",
        textposition="outside",
        marker_color=COLOUR,
        cliponaxis=False,
    )  # fmt: skip
    layout = _layout(
        table.title, yaxis={"title": {"text": "% of consent choices"}, "range": [0, 110]}
    )
    return {"data": [trace.to_plotly_json()], "layout": layout}


def figures(report: Report) -> dict[str, Figure]:
    """Every chart of a report, by the same keys as its tables and CSV exports."""
    result: dict[str, Figure] = {}
    for key, table in report.tables.items():
        if key == "state":
            result[key] = state_map(report)
        else:
            result[key] = bar(table, report.min_cell, horizontal=key == "lga", unit=table.unit)
    if report.cross is not None:
        result["cross"] = heatmap(report.cross, report.min_cell)
    if report.consent is not None:
        consent = consent_bars(report.consent, report.min_cell)
        if consent is not None:
            result["consent"] = consent
    return result
