"""Load and validate the calibration tables.

A data directory holds two catalogs (``models.csv``, ``hardware.csv``) and any
number of observation tables (every other ``*.csv``), all tidy CSV with one
row per entity or observation.  Validation is strict and row-level: the first
bad cell raises :class:`DataError` naming the file, the row and the column, so
a user can fix it in an editor.  Nothing downstream sees an unvalidated table.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schema import (CATALOG_FILES, OBSERVATION_SCHEMA, OPTIONAL_CATALOG_FILES, QUANTITIES, UNIT_DIMENSION, UNITS, Column,
                     schema_for)

#: The shipped tables (``calibration_data/`` at the repository root, linked into the package).
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "calibration_data"


class DataError(ValueError):
    """A calibration table is malformed; the message names file, row and column."""

    def __init__(self, file: Path | str, message: str, row: int | None = None, column: str | None = None,
                 line: int | None = None):
        self.file, self.row, self.column = str(file), row, column
        self.line = line if line is not None else (row + 1 if row is not None else None)
        where = [self.file]
        if row is not None:
            where.append(f"row {row} (line {self.line})")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")


# --- parsing ---------------------------------------------------------------


def _parse_cell(raw: str, col: Column, file: Path, row: int, line: int | None = None) -> Any:
    text = raw.strip()
    if text == "":
        if col.nonempty:
            raise DataError(file, "is empty; a value is required", row, col.name, line)
        return None
    if col.kind in (int, float):
        try:
            number = float(text)
        except ValueError:
            raise DataError(file, f"expected a number, got {text!r}", row, col.name, line) from None
        if not math.isfinite(number):
            raise DataError(file, f"expected a finite number, got {text!r}", row, col.name, line)
        if col.kind is int:
            if number != int(number):
                raise DataError(file, f"expected a whole number, got {text!r}", row, col.name, line)
            number = int(number)
        if col.positive and number <= 0:
            raise DataError(file, f"must be positive, got {text!r}", row, col.name, line)
        return number
    if col.choices is not None and text not in col.choices:
        raise DataError(file, f"unknown value {text!r}; expected one of {', '.join(col.choices)}", row, col.name, line)
    return text


@dataclass
class Table:
    """A validated table: its rows as dicts of parsed values, in file order."""

    path: Path
    rows: list[dict[str, Any]] = field(default_factory=list)

    def column(self, name: str) -> list[Any]:
        """The values of one column, in row order."""
        return [r[name] for r in self.rows]

    def to_frame(self):
        """The rows as a pandas DataFrame (validated values, not the raw strings)."""
        import pandas as pd

        return pd.DataFrame(self.rows)


def read_table(path: Path, schema: tuple[Column, ...] | None = None) -> Table:
    """Parse and type-check one CSV against its schema (no cross-table checks)."""
    path = Path(path)
    schema = schema or schema_for(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: accept the BOM spreadsheets write
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise DataError(path, "is empty; expected a header row")
            header = [h.strip() for h in header]
            missing = [c.name for c in schema if c.required and c.name not in header]
            if missing:
                raise DataError(path, "missing column", column=missing[0])
            dupes = sorted({h for h in header if header.count(h) > 1})
            if dupes:
                raise DataError(path, "column appears twice in the header", column=dupes[0])
            table = Table(path)
            for row_number, cells in enumerate(reader, start=1):
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    raise DataError(path, f"has {len(cells)} cells; the header has {len(header)}", row_number,
                                    line=reader.line_num)
                raw = dict(zip(header, cells))
                parsed = {k: v.strip() for k, v in raw.items()}
                for col in schema:
                    if col.name in raw:
                        parsed[col.name] = _parse_cell(raw[col.name], col, path, row_number, reader.line_num)
                    else:
                        parsed[col.name] = None
                parsed["_row"] = row_number
                parsed["_line"] = reader.line_num
                table.rows.append(parsed)
    except UnicodeDecodeError as exc:
        raise DataError(path, f"is not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise DataError(path, f"is not valid CSV ({exc})") from None
    except OSError as exc:  # a directory named *.csv, no permission, vanished file
        raise DataError(path, f"cannot be read ({exc.strerror or exc})") from None
    return table


# --- the data set ----------------------------------------------------------


@dataclass
class CalibrationData:
    """Every table of a data directory, validated together."""

    directory: Path
    models: Table
    hardware: Table
    observations: dict[str, Table]
    sha256: str
    closed_models: Table | None = None  # closed services by name (closed_models.csv), if any

    def model(self, model_id: str) -> dict[str, Any]:
        """The models.csv row of ``model_id``; KeyError naming the known ids if absent."""
        for row in self.models.rows:
            if row["id"] == model_id:
                return row
        raise KeyError(f"unknown model {model_id!r}; known: {', '.join(self.models.column('id'))}")

    def hardware_spec(self, hardware_id: str) -> dict[str, Any]:
        """The hardware.csv row of ``hardware_id``; KeyError naming the known ids if absent."""
        for row in self.hardware.rows:
            if row["id"] == hardware_id:
                return row
        raise KeyError(f"unknown hardware {hardware_id!r}; known: {', '.join(self.hardware.column('id'))}")

    def observation_rows(self) -> list[dict[str, Any]]:
        """All observation rows, each tagged with the file it came from."""
        return [dict(r, _file=name) for name, t in self.observations.items() for r in t.rows]


def _check_unique_ids(table: Table, seen: dict[str, str] | None = None) -> None:
    seen = {} if seen is None else seen
    for row in table.rows:
        where = seen.get(row["id"])
        if where is not None:
            raise DataError(table.path, f"duplicate id {row['id']!r} (first in {where})", row["_row"], "id", row["_line"])
        seen[row["id"]] = f"{table.path.name} row {row['_row']}"


def _check_observation(table: Table, catalogs: dict[str, set[str]]) -> None:
    for row in table.rows:
        dim = QUANTITIES[row["quantity"]]
        if UNIT_DIMENSION[row["unit"]] != dim:
            allowed = ", ".join(UNITS[dim])
            raise DataError(
                table.path,
                f"unit {row['unit']!r} does not fit quantity {row['quantity']!r}; expected one of {allowed}",
                row["_row"],
                "unit",
                row["_line"],
            )
        for col in ("model", "hardware"):
            ref = row[col]
            if ref is not None and ref not in catalogs[col]:
                raise DataError(
                    table.path,
                    f"unknown {col} {ref!r}; add it to {'models' if col == 'model' else 'hardware'}.csv "
                    f"or use one of {', '.join(sorted(catalogs[col]))}",
                    row["_row"],
                    col,
                    row["_line"],
                )


def data_hash(directory: Path) -> str:
    """SHA-256 over every CSV (name and bytes) in the directory, in name order."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def load(directory: Path | str | None = None, extra: list[Path] | None = None) -> CalibrationData:
    """Load and validate a data directory (default: the shipped tables).

    ``extra`` adds observation files from elsewhere (new telemetry) to the
    directory's own; they are validated against the same schema and catalogs.
    """
    directory = Path(directory) if directory is not None else DEFAULT_DATA_DIR
    if not directory.is_dir():
        raise DataError(directory, "is not a directory of calibration tables")
    for name in CATALOG_FILES:
        if not (directory / name).is_file():
            raise DataError(directory / name, "is missing; every data directory needs both catalogs")
    models = read_table(directory / "models.csv")
    hardware = read_table(directory / "hardware.csv")
    _check_unique_ids(models)
    _check_unique_ids(hardware)
    catalogs = {"model": set(models.column("id")), "hardware": set(hardware.column("id"))}
    closed = _closed_models(directory / "closed_models.csv", catalogs["hardware"])
    files = [p for p in sorted(directory.glob("*.csv")) if p.name not in CATALOG_FILES + OPTIONAL_CATALOG_FILES]
    files += [Path(p) for p in (extra or [])]
    observations: dict[str, Table] = {}
    seen: dict[str, str] = {}
    for path in files:
        if path.name in observations or path.name in CATALOG_FILES + OPTIONAL_CATALOG_FILES:
            raise DataError(path, f"has the same file name as a table already loaded ({path.name}); tables are "
                                  "known by file name, so rename the new file")
        table = read_table(path, OBSERVATION_SCHEMA)
        _check_unique_ids(table, seen)
        _check_observation(table, catalogs)
        observations[path.name] = table
    digest = data_hash(directory)
    if extra:
        h = hashlib.sha256(digest.encode())
        for p in extra:
            h.update(Path(p).read_bytes())
        digest = h.hexdigest()
    return CalibrationData(directory, models, hardware, observations, digest, closed)


def _closed_models(path: Path, hardware: set[str]) -> Table | None:
    """The closed-model catalog, if the directory has one: ranges in order, active within total."""
    if not path.is_file():
        return None
    table = read_table(path)
    _check_unique_ids(table)
    for row in table.rows:
        if row["hardware"] not in hardware:
            raise DataError(path, f"unknown hardware {row['hardware']!r}; use one of {', '.join(sorted(hardware))}",
                            row["_row"], "hardware", row["_line"])
        for kind in ("active", "total"):
            if row[f"{kind}_params_b_low"] > row[f"{kind}_params_b_high"]:
                raise DataError(path, f"{kind}_params_b_low is above {kind}_params_b_high", row["_row"],
                                f"{kind}_params_b_low", row["_line"])
        for end in ("low", "high"):
            if row[f"active_params_b_{end}"] > row[f"total_params_b_{end}"]:
                raise DataError(path, "a model cannot use more parameters per token than it has "
                                      f"(active_params_b_{end} > total_params_b_{end})", row["_row"],
                                f"active_params_b_{end}", row["_line"])
    return table

