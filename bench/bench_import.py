"""Benchmark of loading the school base from CSV: 100,000 students and their guardians.

Why: a school base is loaded (and re-loaded after corrections) before each campaign; the issue asks
that 100,000 students with about 180,000 guardians load in well under 60 s, and that re-importing
the same files change nothing and take no longer.

Run it from the project root:

    python -m bench.bench_import                     # 100,000 students
    python -m bench.bench_import --students 20000

In a temporary directory it writes schools.csv, students.csv and guardians.csv as a school's
software would export them (French headers, `;`, UTF-8 with BOM, mobiles written the usual ways):
collèges of 6e-3e and écoles of CP-CM2, classes of 28, families of one to three children sharing
their one or two guardians. Then it imports them into a fresh SQLite file with the command itself,
`python -m bot --db FILE import-base --schools … --students … --guardians …`, in a new process
(synchronous FULL, the default; ORIENTATION_DEMO=0), and imports the same files again the same
way. The times include starting Python and the bot's modules (about half a second), as an
operator waits for them.

It prints, as `key=value` lines:

- `bench import students=… seconds=…`: the first import (every row new);
- `bench reimport students=… seconds=… changed=0`: the second (every row unchanged);
- `bench rows …`: the rows in the database afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

TODAY = date(2026, 11, 29)
NOMS = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
        "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
        "Fournier", "Girard", "Nguyen", "Mercier", "Faure", "André", "Muller", "Da Silva"]
PRENOMS = ["Lucas", "Emma", "Léa", "Hugo", "Jade", "Louise", "Gabriel", "Chloé", "Inès", "Noah",
           "Zoé", "Raphaël", "Maël", "Manon", "Jules", "Anaïs", "Adam", "Camille", "Sacha", "Aïcha"]
COLLEGE = {"6e": 2015, "5e": 2014, "4e": 2013, "3e": 2012}  # level → birth year
ECOLE = {"CP": 2020, "CE1": 2019, "CE2": 2018, "CM1": 2017, "CM2": 2016}
CLASS_SIZE = 28
PER_SCHOOL = 2_500
# The command's report lines: "students: 3 new, 0 updated, 0 unchanged", "guardian links: 5 new, …"
COUNTS = re.compile(r"^(?P<table>[a-z ]+): (?P<new>\d+) new, "
                    r"(?:(?P<updated>\d+) updated, )?\d+ unchanged$")


def generate(directory: Path, students: int, seed: int = 7) -> dict[str, str]:
    """Write the three files; returns kind → path."""
    rng = random.Random(seed)
    school_rows, student_rows, guardian_rows = [], [], []
    schools = (students + PER_SCHOOL - 1) // PER_SCHOOL
    for n in range(schools):
        overseas = n % 10 == 9
        kind = "École élémentaire" if n % 4 == 3 else "Collège"
        school_rows.append(f"{n:07d}{chr(65 + n % 26)};{kind} n°{n};0{4 + n % 2} 72 00 {n % 100:02d} 00;"
                           f"ce.{n:07d}@ac-test.fr;{'America/Martinique' if overseas else ''}")
    family: list[str] = []
    nom = ""
    for s in range(students):
        n = s // PER_SCHOOL
        uai = f"{n:07d}{chr(65 + n % 26)}"
        levels = ECOLE if n % 4 == 3 else COLLEGE
        position = s % PER_SCHOOL
        level = list(levels)[position // CLASS_SIZE % len(levels)]
        section = chr(65 + position // (CLASS_SIZE * len(levels)))
        if not family or len(family) >= 3 or rng.random() > 0.08:  # a new family
            _guardians(rng, guardian_rows, family, nom)
            family, nom = [], rng.choice(NOMS)
        sid = f"E{s:07d}"
        family.append(sid)
        born = date(levels[level], 1, 1) + timedelta(days=rng.randrange(365))
        student_rows.append(f"{sid};{nom};{rng.choice(PRENOMS)};{born:%d/%m/%Y};{uai};"
                            f"{level} {section};{level.replace('e', 'ème') if level in COLLEGE else level}")
    _guardians(rng, guardian_rows, family, nom)
    files = {
        "schools": ("schools.csv", "UAI;Nom;Téléphone;Courriel;Fuseau horaire", school_rows),
        "students": ("students.csv", "Identifiant;Nom;Prénom;Date de naissance;UAI;Classe;Niveau",
                     student_rows),
        "guardians": ("guardians.csv", "Identifiant;Nom;Prénom;Portable;Courriel;Élèves",
                      guardian_rows),
    }
    paths = {}
    for kind, (name, header, rows) in files.items():
        path = directory / name
        path.write_text("\ufeff" + header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
        paths[kind] = str(path)
    return paths


def _guardians(rng: random.Random, rows: list[str], family: list[str], nom: str) -> None:
    """One or two guardians (95 % two) for a family's children; most with a mobile."""
    if not family:
        return
    for _ in range(2 if rng.random() < 0.95 else 1):
        g = len(rows)
        digits = f"6{g:08d}" if g % 2 else f"75{g:07d}"  # 070-072 are not mobile ranges
        mobile = rng.choice([f"0{digits[0]} {digits[1:3]} {digits[3:5]} {digits[5:7]} {digits[7:]}",
                             f"0{digits}", f"+33 {digits}", f"0033{digits}", ""])
        email = f"rl{g}@example.org" if rng.random() < 0.7 else ""
        rows.append(f"R{g:07d};{nom};{rng.choice(PRENOMS)};{mobile};{email};{' '.join(family)}")


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("schools", "students", "guardians", "guardian_links")}
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_import",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        paths = generate(Path(directory), args.students)
        print(f"generated the files in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        db = Path(directory) / "bench.sqlite3"
        first_s, first = timed_import(db, paths)
        print(f"bench import students={args.students} seconds={first_s:.2f}")
        second_s, second = timed_import(db, paths)
        changed = sum(c["new"] + c["updated"] for c in second.values())
        print(f"bench reimport students={args.students} seconds={second_s:.2f} changed={changed}")
        rows = counts(db)
        print("bench rows " + " ".join(f"{table}={n}" for table, n in rows.items()))
        assert first["students"]["new"] == rows["students"] == args.students, (first, rows)
        assert changed == 0, second
    return 0


def timed_import(db: Path, paths: dict[str, str]) -> tuple[float, dict[str, dict[str, int]]]:
    """One run of `python -m bot import-base`, as an operator runs it (a fresh process, without
    the demo data); returns its duration and the counts it printed: table → new/updated/…"""
    command = [sys.executable, "-m", "bot", "--db", str(db), "--today", TODAY.isoformat(),
               "import-base"]
    for kind, path in paths.items():
        command += [f"--{kind}", path]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env={**os.environ, "ORIENTATION_DEMO": "0"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stderr[:2000]}")
    found = {}
    for line in done.stdout.splitlines():
        match = COUNTS.match(line)
        if match:
            found[match["table"]] = {"new": int(match["new"]), "updated": int(match["updated"] or 0)}
    return seconds, found


if __name__ == "__main__":
    sys.exit(main())
