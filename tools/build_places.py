"""Rebuild core/places/data/gb_places.csv, the offline geocoder's table of GB place
names, from a GeoNames dump and the hand-kept list of suburbs the dump misses.

Inputs (none is fetched: give the files on the command line):
- a GeoNames file in the dump's tab-separated layout: `cities500.txt` (every
  populated place with 500+ people, and seats of local councils), or `GB.txt` (every
  GB feature, suburbs included). Both are CC BY 4.0 (geonames.org). Rows kept: country
  GB, feature class P (populated place), not historical, abandoned or destroyed.
- the table as it is now (its rows are kept; a dump row adds a place only when no
  row of the same name is within 2 km);
- core/places/data/gb_localities.csv: suburbs and villages that GeoNames' cities files
  leave out (they have no population figure there), as name, outcode, admin1. Each is
  placed at its postcode district's centre from gb_outcodes.csv, so it is as exact as
  a postcode district and no more.

The result is sorted largest first (the geocoder offers the largest of several same
names first) and written atomically. Run it from the project folder:

    .venv/bin/python tools/build_places.py /path/to/cities500.txt

It prints how many rows came from where. Keep core/places/data/README.md's counts
and attribution in step with what it prints.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import tempfile
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "core" / "places" / "data"
COLUMNS = ["name", "latitude", "longitude", "admin1", "population"]
# GeoNames' admin1 codes for the United Kingdom are the ones the table uses.
ADMIN1 = {"ENG", "SCT", "WLS", "NIR"}
# Historical, abandoned, destroyed or religious sites are no place to search from.
SKIPPED_FEATURES = {"PPLH", "PPLQ", "PPLW", "PPLCH", "PPLR"}
SAME_PLACE_KM = 2.0


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def read_table(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_geonames(path: Path) -> list[dict[str, str]]:
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line in handle:
            cells = line.rstrip("\n").split("\t")
            if len(cells) < 15 or cells[8] != "GB" or cells[6] != "P" or cells[7] in SKIPPED_FEATURES:
                continue
            if cells[10] not in ADMIN1:
                continue
            rows.append(
                {
                    "name": cells[1],
                    "latitude": f"{float(cells[4]):.5f}",
                    "longitude": f"{float(cells[5]):.5f}",
                    "admin1": cells[10],
                    "population": str(int(cells[14] or 0)),
                }
            )
    return rows


def read_localities(path: Path, outcodes: dict[str, tuple[float, float]]) -> list[dict[str, str]]:
    rows = []
    for row in read_table(path):
        outcode = row["outcode"].strip().upper()
        if outcode not in outcodes:
            raise SystemExit(f"{path.name}: {row['name']} names {outcode}, which is not in gb_outcodes.csv")
        lat, lng = outcodes[outcode]
        rows.append(
            {
                "name": row["name"].strip(),
                "latitude": f"{lat:.5f}",
                "longitude": f"{lng:.5f}",
                "admin1": row["admin1"].strip(),
                "population": "0",
            }
        )
    return rows


def merge(base: list[dict[str, str]], *extra: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[int]]:
    """base plus each extra row that is not already there (same name within 2 km)."""
    by_name: dict[str, list[tuple[float, float]]] = {}
    for row in base:
        by_name.setdefault(_key(row["name"]), []).append((float(row["latitude"]), float(row["longitude"])))
    merged = list(base)
    added = []
    for rows in extra:
        count = 0
        for row in rows:
            point = (float(row["latitude"]), float(row["longitude"]))
            known = by_name.setdefault(_key(row["name"]), [])
            if any(_km(point, other) <= SAME_PLACE_KM for other in known):
                continue
            known.append(point)
            merged.append(row)
            count += 1
        added.append(count)
    merged.sort(key=lambda row: (-int(row["population"] or 0), row["name"]))
    return merged, added


def write_table(path: Path, rows: list[dict[str, str]]) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".csv")
    with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({column: row[column] for column in COLUMNS} for row in rows)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("geonames", type=Path, help="a GeoNames dump file: cities500.txt or GB.txt")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    outcodes = {
        row["outcode"].upper(): (float(row["latitude"]), float(row["longitude"]))
        for row in read_table(args.data_dir / "gb_outcodes.csv")
    }
    base = read_table(args.data_dir / "gb_places.csv")
    merged, (from_geonames, from_localities) = merge(
        base, read_geonames(args.geonames), read_localities(args.data_dir / "gb_localities.csv", outcodes)
    )
    write_table(args.data_dir / "gb_places.csv", merged)
    print(
        f"gb_places.csv: {len(merged):,} rows ({len(base):,} kept, {from_geonames:,} added from {args.geonames.name}, "
        f"{from_localities:,} from gb_localities.csv)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
