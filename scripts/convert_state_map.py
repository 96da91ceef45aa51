"""Convert the npm package ``@svg-maps/nigeria`` (2.0.0, CC BY 4.0) to the GeoJSON we ship.

Run once, by hand, when the outlines change::

    npm pack @svg-maps/nigeria@2.0.0 && tar xzf svg-maps-nigeria-2.0.0.tgz
    .venv/bin/python scripts/convert_state_map.py package/nigeria.svg \
        surveys/reference/data/nigeria_states.geojson

The SVG holds one path per state, drawn in a 744 x 600 box with only relative ``m`` (move, then
implicit line-to) and ``z`` commands. Each subpath becomes one polygon ring. The drawing is
placed on longitude/latitude by a linear fit of its bounding box to Nigeria's (2.67-14.68 E,
4.27-13.89 N): good enough for a chart, not for surveying. Coordinates are rounded to 0.001
degree (about 100 m) to keep the file small.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

#: Nigeria's bounding box in degrees (west, south, east, north).
WEST, SOUTH, EAST, NORTH = 2.668, 4.270, 14.680, 13.892

#: The SVG's ids for states whose slug is not their name's.
ID_TO_CODE = {
    "abia": "NG-AB", "adamawa": "NG-AD", "akwa-ibom": "NG-AK", "anambra": "NG-AN",
    "bauchi": "NG-BA", "bayelsa": "NG-BY", "benue": "NG-BE", "borno": "NG-BO",
    "cross-river": "NG-CR", "delta": "NG-DE", "ebonyi": "NG-EB", "edo": "NG-ED",
    "ekiti": "NG-EK", "enugu": "NG-EN", "fct": "NG-FC", "gombe": "NG-GO", "imo": "NG-IM",
    "jigawa": "NG-JI", "kaduna": "NG-KD", "kano": "NG-KN", "katsina": "NG-KT",
    "kebbi": "NG-KE", "kogi": "NG-KO", "kwara": "NG-KW", "lagos": "NG-LA",
    "nassarawa": "NG-NA", "niger": "NG-NI", "ogun": "NG-OG", "ondo": "NG-ON", "osun": "NG-OS",
    "oyo": "NG-OY", "plateau": "NG-PL", "rivers": "NG-RI", "sokoto": "NG-SO",
    "taraba": "NG-TA", "yobe": "NG-YO", "zamfara": "NG-ZA",
}  # fmt: skip

PATH_ITEM = re.compile(r"[mMzZ]|-?\d+(?:\.\d+)?(?:e-?\d+)?")


def rings(d: str) -> list[list[tuple[float, float]]]:
    """The rings of a path made of relative ``m`` and ``z`` commands only."""
    result: list[list[tuple[float, float]]] = []
    x = y = 0.0
    ring: list[tuple[float, float]] = []
    numbers: list[float] = []
    for item in PATH_ITEM.findall(d):
        if item in "mM":
            if ring:
                result.append(ring)
            ring, numbers = [], []
            relative = item == "m"
            continue
        if item in "zZ":
            if ring:
                result.append(ring)
                x, y = ring[0]
            ring = []
            continue
        numbers.append(float(item))
        if len(numbers) == 2:
            dx, dy = numbers
            numbers = []
            if relative or ring:
                x, y = x + dx, y + dy
            else:
                x, y = dx, dy
            ring.append((x, y))
    if ring:
        result.append(ring)
    return result


def convert(svg: Path) -> dict:
    root = ET.parse(svg).getroot()  # noqa: S314  (a file we downloaded ourselves)
    paths = [el for el in root.iter() if el.tag.endswith("path")]
    shapes = {el.attrib["id"]: rings(el.attrib["d"]) for el in paths}
    unknown = set(shapes) - set(ID_TO_CODE)
    if unknown or len(shapes) != 37:
        raise SystemExit(f"unexpected states in {svg}: {sorted(unknown)} ({len(shapes)} paths)")
    xs = [x for shape in shapes.values() for ring in shape for x, _ in ring]
    ys = [y for shape in shapes.values() for ring in shape for _, y in ring]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def lonlat(x: float, y: float) -> list[float]:
        lon = WEST + (x - x0) / (x1 - x0) * (EAST - WEST)
        lat = NORTH - (y - y0) / (y1 - y0) * (NORTH - SOUTH)
        return [round(lon, 3), round(lat, 3)]

    features = []
    for svg_id, shape in sorted(shapes.items(), key=lambda item: ID_TO_CODE[item[0]]):
        polygons = []
        for ring in shape:
            points = [lonlat(x, y) for x, y in ring]
            if points[0] != points[-1]:
                points.append(points[0])
            if len(points) >= 4:
                polygons.append([points])
        features.append(
            {
                "type": "Feature",
                "id": ID_TO_CODE[svg_id],
                "properties": {"state_code": ID_TO_CODE[svg_id]},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
        )
    return {
        "type": "FeatureCollection",
        "attribution": "State outlines: @svg-maps/nigeria 2.0.0 by Michael Chukwu, CC BY 4.0 "
        "(https://creativecommons.org/licenses/by/4.0/); converted to polygons and placed on "
        "longitude/latitude by a linear bounding-box fit.",
        "features": features,
    }


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: convert_state_map.py nigeria.svg out.geojson")
    data = convert(Path(sys.argv[1]))
    Path(sys.argv[2]).write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"wrote {len(data['features'])} states to {sys.argv[2]}")


if __name__ == "__main__":
    main()
