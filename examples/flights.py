"""A program that parses flight records the usual way, for ``python -m intern duplicates``.

It builds 20,000 rows of CSV text (seeded, so that every run is the same), reads
them with ``csv.DictReader``, and keeps them as dicts and as dataclass instances,
as many programs do. Run it under the report::

    python3 -m intern duplicates examples/flights.py

and see which values it holds as thousands of separate copies. ``intern.Pool``
(see README.md) makes each of those one object.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

CARRIERS = ["AA", "UA", "DL", "WN", "B6", "AS"]
AIRPORTS = ["ATL", "LAX", "ORD", "DFW", "DEN", "JFK", "SFO", "SEA", "LAS", "MCO"]
STATUSES = ["on time", "delayed", "cancelled"]


@dataclass(frozen=True)
class Flight:
    """A flight as a program keeps it."""

    carrier: str
    origin: str
    destination: str
    status: str


def flights_csv(count: int, seed: int = 2026) -> str:
    """Return ``count`` rows of flights as CSV text, with a header."""
    chosen = random.Random(seed)  # noqa: S311 -- made-up data, not secrets
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["carrier", "number", "origin", "destination", "status"])
    for _ in range(count):
        origin, destination = chosen.sample(AIRPORTS, 2)
        number = chosen.randrange(100, 3000)
        writer.writerow(
            [chosen.choice(CARRIERS), number, origin, destination, chosen.choice(STATUSES)]
        )
    return text.getvalue()


records = list(csv.DictReader(io.StringIO(flights_csv(10_000))))
flights = [
    Flight(row["carrier"], row["origin"], row["destination"], row["status"])
    for row in csv.DictReader(io.StringIO(flights_csv(10_000, seed=7)))
]

if __name__ == "__main__":
    print(f"parsed {len(records):,} records and {len(flights):,} flights")
