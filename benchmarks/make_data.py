"""Rebuild benchmarks/data/ from the shared copies of the real tables (run once, by hand).

    python benchmarks/make_data.py --source ../shared/data

Writes, under benchmarks/data/:

* ``adult.csv.gz``: the whole UCI Adult extract (CC BY 4.0), for the speed benchmark
  (benchmarks/data.py upsamples it with noise);
* ``<table>/{train,holdout,population}.csv.gz``: per table of the strength benchmark (Adult and
  the twelve corpus tables, see ``TABLES``), three disjoint slices of ``ROWS`` rows each (a
  third of the table each where it is smaller). Exact duplicate rows are dropped first, so no
  row of one slice appears in another (the audit refuses train/holdout overlap, and a clean
  release must not hold copies of train rows by construction). Rows are drawn with a fixed seed.

Everything else (tests, benchmarks) reads only benchmarks/data/ and fixtures/, never the shared
folder, so a clone of the repository runs alone.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
ROWS = 3000
SEED = 20261124
PARTS = ("train", "holdout", "population")
# short name -> file under <source>/corpus (adult is <source>/adult.csv)
TABLES = {
    "adult": "adult.csv",
    "gss_wages": "corpus/stevedata__gss_wages.csv.gz",
    "cpssw8": "corpus/AER__CPSSW8.csv.gz",
    "nasscds": "corpus/DAAG__nassCDS.csv.gz",
    "loans": "corpus/openintro__loans_full_schema.csv.gz",
    "doctorcontacts": "corpus/Ecdat__DoctorContacts.csv.gz",
    "flchain": "corpus/survival__flchain.csv.gz",
    "wa_churn": "corpus/modeldata__wa_churn.csv.gz",
    "star": "corpus/mlmRev__star.csv.gz",
    "flights": "corpus/nycflights13__flights.csv.gz",
    "seattlepets": "corpus/openintro__seattlepets.csv.gz",
    "covid_testing": "corpus/medicaldata__covid_testing.csv.gz",
    "randhie": "corpus/sampleSelection__RandHIE.csv.gz",
}


def read_source(path: Path) -> pd.DataFrame:
    if path.name == "adult.csv":
        return pd.read_csv(path, skipinitialspace=True)
    return pd.read_csv(path, low_memory=False)


def slices(frame: pd.DataFrame, rows: int = ROWS, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Three disjoint seeded slices of distinct rows."""
    distinct = frame.drop_duplicates(ignore_index=True)
    size = min(rows, len(distinct) // 3)
    order = np.random.default_rng(seed).permutation(len(distinct))
    return {part: distinct.iloc[order[k * size:(k + 1) * size]].reset_index(drop=True)
            for k, part in enumerate(PARTS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=HERE.parent.parent / "shared" / "data",
                        help="folder holding adult.csv and corpus/")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    read_source(args.source / "adult.csv").to_csv(DATA / "adult.csv.gz", index=False,
                                                  compression={"method": "gzip", "mtime": 0})
    for name, file in TABLES.items():
        folder = DATA / name
        folder.mkdir(exist_ok=True)
        for part, frame in slices(read_source(args.source / file)).items():
            # mtime=0: the same slices give byte-identical files
            frame.to_csv(folder / f"{part}.csv.gz", index=False,
                         compression={"method": "gzip", "mtime": 0})
        print(f"{name}: {len(frame):,} rows x {frame.shape[1]} columns per slice")


if __name__ == "__main__":
    main()
