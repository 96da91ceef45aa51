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
WEEK_MS = 7 * 24 * 3600 * 1000
COLOUR = "#1f5f8b"
HIDDEN_COLOUR = "#d9d9d9"
OUTSIDE_COLOUR = "#f4f4f4"
COLOURSCALE = "Blues"
#: No toolbar: on a phone it covers the chart, its buttons would be focusable controls inside
#: the chart's image (axe: nested-interactive), and every chart has its numbers table and CSV.
#: No plotly logo link, nothing that calls out; charts follow their box's width.
CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}
FONT = {"family": "system-ui, sans-serif", "size": 13}


def shown_text(estimate: Estimate | None, min_cell: int, grouped: bool = True) -> str:
    """How a published count reads: "9,329" on the page, "9329" in a CSV (``grouped=False``),
    "fewer than K" in both."""
    if estimate is None:
        return "outside this view"
    value = estimate.shown(min_cell)
    if value is None:
        return f"fewer than {min_cell}"
    return f"{value:,}" if grouped else str(value)


def margin_text(estimate: Estimate | None, grouped: bool = True) -> str:
    """ "±1,204": the 95% margin of error, rounded to a whole count ("" outside the view)."""
    if estimate is None:
        return ""
    return f"±{estimate.margin:,.0f}" if grouped else f"±{estimate.margin:.0f}"


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    # The page's own heading names the chart; the figure keeps its title for downloads only.
    settings: dict[str, Any] = {
        "meta": {"title": title},
        # Thousands separated by commas in ticks and labels: 9,329.
        "separators": ".,",
        "font": FONT,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 80},
        "plot_bgcolor": "white",
        # No drag-to-zoom: a finger dragging over a chart on a phone scrolls the page.
        "dragmode": False,
        **extra,
    }
    for axis in ("xaxis", "yaxis"):
        settings[axis] = {"fixedrange": True, **settings.get(axis, {})}
    layout = go.Layout(**settings)
    return layout.to_plotly_json()


def _colour_key() -> dict[str, Any]:
    """A colour bar read as counts: above the chart, across it, so that on a phone it takes
    no width from the chart."""
    return {
        "title": {"text": "Respondents", "side": "top"},
        "orientation": "h",
        "x": 0.5,
        "xanchor": "center",
        "y": 1.02,
        "yanchor": "bottom",
        "len": 0.6,
        "thickness": 12,
        "tickformat": ",d",
    }


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
    if len(labels) <= 2:
        # One or two bars (a zone's view of the zones) stay bars, not a wall of colour.
        trace.width = 0.4
    extra: dict[str, Any] = {"height": max(320, 28 * len(labels) + 100)} if horizontal else {}
    if horizontal:
        extra["yaxis"] = {"autorange": "reversed", "automargin": True}
        extra["xaxis"] = {"title": {"text": unit}, "rangemode": "tozero", "tickformat": ","}
    else:
        extra["yaxis"] = {
            "title": {"text": unit}, "rangemode": "tozero", "tickformat": ",", "automargin": True,
        }  # fmt: skip
        extra["xaxis"] = {"automargin": True}
        if table.key == "weekly" and labels:
            # Ticks on the Mondays the bars stand for ("07 Sep"), every week or every few.
            step = max(1, len(labels) // 6)
            extra["xaxis"] |= {
                "tick0": labels[0], "dtick": step * WEEK_MS, "tickformat": "%d %b",
                "hoverformat": "week of %d %b %Y",
            }  # fmt: skip
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
        zmin=0,
        hoverongaps=True,
        xgap=2,
        ygap=2,
        colorbar=_colour_key(),
    )
    layout = _layout(
        cross.title,
        height=max(380, 34 * len(cross.rows) + 200),
        margin={"l": 60, "r": 20, "t": 70, "b": 80},
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
#: Where on the scale a count of 0 sits: light, yet darker than a state outside the view.
LIGHTEST = 0.15


@cache
def _shade(step: int) -> str:
    """A colour of the scale (plotly looks the scale up by name each time: slow, so once)."""
    return str(sample_colorscale(COLOURSCALE, [step / SHADES])[0])


def state_map(report: Report) -> Figure:
    """A choropleth of the states drawn from the outlines shipped with the app (no tiles).

    The shading is proportional to the count, from 0: a state twice as dark has about twice
    the respondents. Hovering (or tapping) a state names it with its count and margin.
    """
    values = [
        v for e in report.map_values.values() if e is not None and (v := e.shown(report.min_cell))
    ]
    high = max(values) if values else 1
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
            colour = _shade(round((LIGHTEST + (1 - LIGHTEST) * value / high) * SHADES))
        trace["fillcolor"] = colour
        # A filled outline's hover label is its one text (plotly has no template for fills):
        # "Kano: 1,256 ±18".
        label = f"{names[code]}: {shown_text(estimate, report.min_cell)}"
        trace["text"] = f"{label} {margin_text(estimate)}".rstrip()
        trace["hoverinfo"] = "text"
        traces.append(trace)
    # An invisible point carries the colour bar, so the shading has a key: counts from 0.
    key = go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        showlegend=False,
        hoverinfo="skip",
        marker={
            "colorscale": [[0, _shade(round(LIGHTEST * SHADES))], [1, _shade(SHADES)]],
            "cmin": 0,
            "cmax": high,
            "color": [0],
            "showscale": bool(values),
            "colorbar": _colour_key(),
        },
    ).to_plotly_json()
    layout = _layout(
        "Respondents by state",
        height=560,
        # Nigeria is about 0.85 times as tall as it is wide: dashboard.js sizes a narrow map.
        meta={"title": "Respondents by state", "aspect": 0.85},
        xaxis={"visible": False, "fixedrange": True},
        # Degrees of latitude are a little longer than of longitude this near the equator.
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1.01, "fixedrange": True},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
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
        table.title,
        yaxis={"title": {"text": "% of consent choices"}, "range": [0, 110], "ticksuffix": "%",
               "automargin": True},
        # Long answer names ("Monthly income band") wrap or tilt; the margin grows to fit them.
        xaxis={"automargin": True},
    )  # fmt: skip
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
