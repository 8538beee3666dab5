#!/usr/bin/env python3
"""Writes holidays/YYYY.txt and holidays/special-sessions.txt from the researched CSVs.

Usage: scripts/holidays-from-csv.py CLOSED_DAYS_CSV SPECIAL_SESSIONS_CSV OUT_DIR

The CSVs are the project's calendar research (krx_closed_days.csv: date,name,source;
krx_special_sessions.csv: date,open_kst,close_kst,reason,source). The generated files are
committed; after a KRX notice (each December) edit them directly or regenerate.
"""
import csv
import os
import sys
from collections import defaultdict

PROJECTED_FROM = "2026-08-01"  # rows after this date are projections (docs/CALENDAR.md)


def main(closed_csv, special_csv, out_dir):
    by_year = defaultdict(list)
    with open(closed_csv, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_year[int(row["date"][:4])].append(row)
    for year, rows in sorted(by_year.items()):
        path = os.path.join(out_dir, f"{year}.txt")
        with open(path, "w", encoding="utf-8") as out:
            out.write(f"# KRX closed weekdays in {year}: one ISO date per line, '#' then the name.\n")
            out.write("# Weekends are always closed and are not listed. Sources: docs/CALENDAR.md.\n")
            if any(r["date"] > PROJECTED_FROM for r in rows):
                out.write("# Dates after 2026-08 are projections: re-check against KRX's December notice.\n")
            out.write("# Add an ad-hoc closure as a new line; krxbatch reads these files at run time.\n")
            for r in rows:
                out.write(f"{r['date']}  # {r['name']}\n")
    with open(special_csv, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(out_dir, "special-sessions.txt"), "w", encoding="utf-8") as out:
        out.write("# KRX sessions with non-regular hours (KST): date open close  # reason.\n")
        out.write("# Regular hours: 09:00-15:30 since 2016-08-01, 09:00-15:00 before, with a\n")
        out.write("# 12:00-13:00 break until 2000-05-19 (built into krxbatch). Sources: docs/CALENDAR.md.\n")
        for r in rows:
            open_kst = r["open_kst"]
            reason = r["reason"]
            if open_kst.endswith("?"):
                open_kst = open_kst.rstrip("?")
                reason = reason.split(";")[0] + " (late open unverified)"
            out.write(f"{r['date']} {open_kst} {r['close_kst']}  # {reason}\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
