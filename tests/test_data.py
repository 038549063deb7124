"""The calibration-table loader: the shipped data loads, every bad input is refused
with a message that names the file, the row and the column."""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference_energy.data import (
    CATALOG_FILES,
    COMPONENTS,
    DEFAULT_DATA_DIR,
    DEPLOYMENTS,
    HARDWARE_SCHEMA,
    MODEL_SCHEMA,
    OBSERVATION_SCHEMA,
    QUANTITIES,
    ROLES,
    SCOPES,
    SERVING,
    STATISTICS,
    UNIT_DIMENSION,
    UNITS,
    WORKLOADS,
    ARCHITECTURES,
    DataError,
    data_hash,
    load,
    read_table,
)

THROUGHPUT = "throughput_paper.csv"
SHIPPED = sorted(DEFAULT_DATA_DIR.glob("*.csv"))
README = DEFAULT_DATA_DIR / "README.md"
HYPOTHESIS = settings(max_examples=50, deadline=None)


# --- helpers ----------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped calibration tables."""
    directory = tmp_path / "data"
    directory.mkdir()
    for path in SHIPPED:
        shutil.copy(path, directory / path.name)
    return directory


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    # CRLF, as spreadsheets write: with a bare "\n" terminator the csv module would
    # leave a "\r" inside a cell unquoted, which is a genuinely broken row.
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set data row ``row`` (1-based, as DataError counts) of ``column``."""
    rows = read_rows(path)
    rows[row][rows[0].index(column)] = value
    write_rows(path, rows)


def drop_column(path: Path, column: str) -> None:
    rows = read_rows(path)
    i = rows[0].index(column)
    write_rows(path, [r[:i] + r[i + 1:] for r in rows])


def expect_error(directory: Path, file: str, row: int | None = None, column: str | None = None, match: str = "") -> DataError:
    """Loading ``directory`` fails, and the message says where."""
    with pytest.raises(DataError) as info:
        load(directory)
    return check_error(info.value, file, row, column, match)


def check_error(err: DataError, file: str, row: int | None, column: str | None, match: str = "",
                line: int | None = None) -> DataError:
    message = str(err)
    assert "\n" not in message
    assert file in message
    assert Path(err.file).name == file
    if row is not None:
        assert f"row {row} (line {line if line is not None else row + 1})" in message
        assert err.row == row
    if column is not None:
        assert f"column '{column}'" in message
        assert err.column == column
    if match:
        assert re.search(match, message), message
    return err


def numeric_columns(schema) -> list[str]:
    return [c.name for c in schema if c.kind in (int, float)]


# --- the shipped data ---------------------------------------------------------


def test_shipped_tables_exist():
    names = {p.name for p in SHIPPED}
    assert set(CATALOG_FILES) <= names
    assert THROUGHPUT in names


def test_shipped_data_loads():
    data = load()
    assert data.directory == DEFAULT_DATA_DIR
    assert len(data.models.rows) >= 7 and len(data.hardware.rows) >= 4
    assert THROUGHPUT in data.observations
    for table in (data.models, data.hardware):
        ids = table.column("id")
        assert len(ids) == len(set(ids))
    obs_ids = [r["id"] for r in data.observation_rows()]
    assert len(obs_ids) == len(set(obs_ids))
    models, hardware = set(data.models.column("id")), set(data.hardware.column("id"))
    for row in data.observation_rows():
        assert row["model"] is None or row["model"] in models
        assert row["hardware"] is None or row["hardware"] in hardware
        assert UNIT_DIMENSION[row["unit"]] == QUANTITIES[row["quantity"]]
        assert row["source_url"] and row["date"] and row["evidence"]


def test_shipped_types_are_parsed():
    data = load()
    row = data.observations[THROUGHPUT].rows[0]
    assert isinstance(row["value"], float)
    assert isinstance(row["num_gpus"], int)
    assert all(isinstance(h["gpus_per_node"], int) for h in data.hardware.rows)
    assert all(isinstance(m["total_params_b"], float) for m in data.models.rows)
    assert [r["_row"] for r in data.observations[THROUGHPUT].rows] == list(range(1, len(data.observations[THROUGHPUT].rows) + 1))


def test_shipped_corrections():
    """The corrections the README promises are in the tables."""
    data = load()
    assert data.model("Mixtral-8x22B")["active_params_b"] == 39
    assert data.model("Mixtral-8x22B")["total_params_b"] == 141
    assert data.model("Llama-3.1-Nemotron-Ultra-253B")["total_params_b"] == 253
    scaled = [r for r in data.observation_rows() if "2-GPU figure" in (r["note"] or "")]
    assert scaled and all(r["role"] == "comparison" for r in scaled)


MLENERGY = "mlenergy_v3.csv"
MEASUREMENTS = "measurements.csv"
#: Quantities the calibrated model has a likelihood term for.
LIKELIHOOD_QUANTITIES = {"output_throughput", "gpu_power", "energy_per_query", "pue", "input_tokens", "output_tokens",
                         "inter_token_latency"}


def test_mlenergy_v3_has_three_rows_per_configuration():
    """525 leaderboard configurations, each an output-throughput, a GPU-power and a median inter-token latency row."""
    rows = load().observations[MLENERGY].rows
    assert len(rows) == 1575 == 525 * 3
    for i in range(525):
        throughput, power, itl = rows[3 * i: 3 * i + 3]
        assert (throughput["id"], power["id"], itl["id"]) == (f"ML{i + 1:04d}a", f"ML{i + 1:04d}b", f"ML{i + 1:04d}c")
        assert (throughput["quantity"], throughput["unit"]) == ("output_throughput", "tokens/s")
        assert (power["quantity"], power["unit"]) == ("gpu_power", "W")
        assert (itl["quantity"], itl["unit"], itl["statistic"]) == ("inter_token_latency", "ms", "median")
        for col in ("model", "hardware", "precision", "num_gpus", "concurrency", "output_tokens", "workload",
                    "data_parallel"):
            assert throughput[col] == power[col] == itl[col] is not None, col
        assert throughput["input_tokens"] is None  # not published
    assert {r["role"] for r in rows} == {"likelihood"}
    assert {r["serving"] for r in rows} == {"steady_state"}
    assert {r["hardware"] for r in rows} == {"H100", "B200"}
    assert {r["workload"] for r in rows} == {"chat", "reasoning", "code"}
    # The -FP8 checkpoints are the same catalog model; precision is on the row.
    qwen = {r["precision"] for r in rows if r["model"] == "Qwen3-235B-A22B-Instruct-2507"}
    assert qwen == {"bfloat16", "fp8"}


def test_catalog_holds_every_leaderboard_model():
    data = load()
    ids = data.models.column("id")
    assert ids[:7] == ["Llama-3.1-405B", "Llama-3.1-70B", "Llama-3.1-8B", "Mixtral-8x22B", "Mistral-Large-2",
                       "DeepSeek-R1", "Llama-3.1-Nemotron-Ultra-253B"]
    assert not [i for i in ids if i.endswith("-FP8") or "/" in i]
    used = {r["model"] for r in data.observation_rows() if r["model"]}
    assert len({r["model"] for r in data.observations[MLENERGY].rows}) == 22
    assert "Llama-2-70B" in used and used <= set(ids)
    assert data.model("gpt-oss-120b")["architecture"] == "moe"
    assert data.model("NVIDIA-Nemotron-Nano-9B-v2")["architecture"] == "hybrid"


def test_measurement_likelihood_rows_have_known_quantities():
    rows = load().observations[MEASUREMENTS].rows
    likelihood = [r for r in rows if r["role"] == "likelihood"]
    assert likelihood
    for r in likelihood:
        assert r["quantity"] in LIKELIHOOD_QUANTITIES, r["id"]
        assert UNIT_DIMENSION[r["unit"]] == QUANTITIES[r["quantity"]], r["id"]
        if r["quantity"] in ("output_throughput", "gpu_power"):
            assert r["model"] and r["hardware"] and r["num_gpus"], r["id"]
        if r["quantity"] == "pue":
            assert r["operator"] and r["deployment"], r["id"]
        if r["quantity"] == "energy_per_query":
            assert r["operator"] and r["model"] is None, r["id"]
        if r["quantity"] in ("input_tokens", "output_tokens"):
            assert r["workload"] in ("chat", "reasoning", "code"), r["id"]


def test_seed_paper_outputs_are_comparison_rows():
    """A16-A22 are the seed paper's own outputs: fitting to them would be circular."""
    rows = load().observations[MEASUREMENTS].rows
    seed = [r for r in rows if re.fullmatch(r"A(1[6-9]|2[0-2])[a-z]?", r["id"])]
    assert {r["id"][:3] for r in seed} >= {"A16", "A18", "A19", "A20", "A21"}
    assert all(r["role"] == "comparison" for r in seed)
    # So are its priors and the third-party estimates.
    others = [r for r in rows if re.fullmatch(r"(A2[3-9]|A30|C32|D16|D17)[a-z]?", r["id"])]
    assert others and all(r["role"] == "comparison" for r in others)


def test_measurements_keep_reference_ids_and_sources():
    rows = load().observations[MEASUREMENTS].rows
    assert all(re.fullmatch(r"([A-E]\d\d[a-z]?|RL\d\d)", r["id"]) for r in rows)
    # The ML.ENERGY summaries (B01-B16, C12-C27) are in mlenergy_v3.csv, not repeated here.
    assert not [r["id"] for r in rows if re.fullmatch(r"(B(0\d|1[0-6])|C(1[2-9]|2[0-7]))[a-z]?", r["id"])]
    assert all(r["source_url"].startswith("http") for r in rows)


def test_copy_loads_with_same_hash(data_dir):
    assert load(data_dir).sha256 == load().sha256 == data_hash(DEFAULT_DATA_DIR)


def test_data_hash_stable_and_sensitive(data_dir):
    before = data_hash(data_dir)
    assert data_hash(data_dir) == before
    path = data_dir / THROUGHPUT
    raw = bytearray(path.read_bytes())
    i = raw.index(b"1177.80")
    raw[i + 6] = ord("1")  # 1177.80 -> 1177.81: one byte
    path.write_bytes(bytes(raw))
    changed = data_hash(data_dir)
    assert changed != before
    assert load(data_dir).sha256 == changed
    (data_dir / "more.csv").write_bytes((data_dir / THROUGHPUT).read_bytes().splitlines(keepends=True)[0])
    assert data_hash(data_dir) != changed  # a new (header-only) file counts too


def test_extra_file_changes_hash(data_dir, tmp_path):
    extra = tmp_path / "telemetry.csv"
    rows = read_rows(data_dir / THROUGHPUT)
    rows[1][0] = "TEL01"
    write_rows(extra, rows[:2])
    data = load(data_dir, extra=[extra])
    assert "telemetry.csv" in data.observations
    assert data.sha256 != load(data_dir).sha256


def test_header_only_and_blank_lines(data_dir):
    path = data_dir / THROUGHPUT
    text = path.read_text(encoding="utf-8")
    header, first, rest = text.split("\n", 2)
    path.write_text(f"{header}\n{first}\n\n{rest}\n\n", encoding="utf-8")
    rows = load(data_dir).observations[THROUGHPUT].rows
    assert rows[0]["_row"] == 1 and rows[1]["_row"] == 3  # blank lines keep row = line - 1
    (data_dir / "empty_obs.csv").write_text(header + "\n", encoding="utf-8")
    assert load(data_dir).observations["empty_obs.csv"].rows == []


def test_utf8_bom_is_accepted(data_dir):
    """Spreadsheets save 'CSV UTF-8' with a byte-order mark; the header must still match."""
    path = data_dir / "models.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert "Mixtral-8x22B" in load(data_dir).models.column("id")


# --- bad input: structure ---------------------------------------------------------


@pytest.mark.parametrize(
    "file, column",
    [(THROUGHPUT, "unit"), (THROUGHPUT, "id"), (THROUGHPUT, "source_url"),
     ("models.csv", "active_params_b"), ("hardware.csv", "gpus_per_node")],
)
def test_missing_column(data_dir, file, column):
    drop_column(data_dir / file, column)
    expect_error(data_dir, file, column=column, match="missing column")


def test_optional_column_may_be_missing(data_dir):
    drop_column(data_dir / THROUGHPUT, "note")
    drop_column(data_dir / "models.csv", "note")
    assert load(data_dir).observations[THROUGHPUT].rows[0]["note"] is None


def test_duplicate_header_column(data_dir):
    rows = read_rows(data_dir / THROUGHPUT)
    write_rows(data_dir / THROUGHPUT, [r + [r[1]] for r in rows])
    expect_error(data_dir, THROUGHPUT, column="quantity", match="twice")


@pytest.mark.parametrize("name", CATALOG_FILES)
def test_missing_catalog_file(data_dir, name):
    (data_dir / name).unlink()
    expect_error(data_dir, name, match="missing")


def test_missing_directory(tmp_path):
    with pytest.raises(DataError, match="not a directory"):
        load(tmp_path / "nowhere")


@pytest.mark.parametrize("name", ["models.csv", "hardware.csv", THROUGHPUT, "new_telemetry.csv"])
def test_empty_file(data_dir, name):
    (data_dir / name).write_bytes(b"")
    expect_error(data_dir, name, match="empty")


@pytest.mark.parametrize("delta", [-1, +1])
def test_ragged_row(data_dir, delta):
    rows = read_rows(data_dir / THROUGHPUT)
    rows[4] = rows[4][:-1] if delta < 0 else rows[4] + ["extra"]
    write_rows(data_dir / THROUGHPUT, rows)
    expect_error(data_dir, THROUGHPUT, row=4, match=r"has \d+ cells; the header has 21")


@pytest.mark.parametrize("name", ["models.csv", THROUGHPUT])
def test_non_utf8_bytes(data_dir, name):
    path = data_dir / name
    raw = path.read_bytes()
    path.write_bytes(raw[:-20] + b"\xff\xfe caf\xe9" + raw[-20:])  # Latin-1 bytes
    expect_error(data_dir, name, match="not UTF-8")


def test_unreadable_csv_is_an_error_not_a_traceback(data_dir):
    (data_dir / "folder.csv").mkdir()
    expect_error(data_dir, "folder.csv", match="cannot be read")


def test_missing_extra_file(data_dir, tmp_path):
    with pytest.raises(DataError) as info:
        load(data_dir, extra=[tmp_path / "absent.csv"])
    check_error(info.value, "absent.csv", None, None, "cannot be read")


# --- bad input: cells -------------------------------------------------------------


@pytest.mark.parametrize(
    "file, row, column, value, match",
    [
        # text in a numeric column
        (THROUGHPUT, 3, "value", "fast", "expected a number"),
        (THROUGHPUT, 7, "output_tokens", "about 500", "expected a number"),
        ("models.csv", 2, "total_params_b", "70B", "expected a number"),
        ("hardware.csv", 1, "node_max_power_kw", "10,2", "expected a number"),
        # not positive
        (THROUGHPUT, 2, "value", "0", "must be positive"),
        (THROUGHPUT, 5, "value", "-12.5", "must be positive"),
        (THROUGHPUT, 6, "uncertainty", "-0.1", "must be positive"),
        (THROUGHPUT, 8, "concurrency", "0", "must be positive"),
        ("models.csv", 4, "active_params_b", "0", "must be positive"),
        ("hardware.csv", 2, "gpu_tdp_w", "-700", "must be positive"),
        ("hardware.csv", 3, "gpus_per_node", "0", "must be positive"),
        # not a whole number
        (THROUGHPUT, 9, "num_gpus", "2.5", "whole number"),
        ("hardware.csv", 1, "gpus_per_node", "8.5", "whole number"),
        # NaN and infinities
        (THROUGHPUT, 1, "value", "nan", "finite"),
        (THROUGHPUT, 1, "value", "NaN", "finite"),
        (THROUGHPUT, 10, "value", "inf", "finite"),
        (THROUGHPUT, 10, "input_tokens", "-inf", "finite"),
        (THROUGHPUT, 11, "output_tokens", "Infinity", "finite"),
        (THROUGHPUT, 12, "value", "1e400", "finite"),
        ("models.csv", 1, "total_params_b", "nan", "finite"),
        ("hardware.csv", 4, "gpus_per_node", "inf", "finite"),
        # a required cell left empty
        (THROUGHPUT, 4, "value", "", "empty"),
        (THROUGHPUT, 4, "source_url", "  ", "empty"),
        ("models.csv", 3, "name", "", "empty"),
        # unknown choices
        (THROUGHPUT, 2, "unit", "furlongs", "unknown value 'furlongs'"),
        (THROUGHPUT, 2, "quantity", "speed", "unknown value 'speed'"),
        (THROUGHPUT, 3, "statistic", "average", "unknown value 'average'"),
        (THROUGHPUT, 3, "statistic", "p50", "unknown value 'p50'"),
        (THROUGHPUT, 4, "scope", "rack", "unknown value 'rack'"),
        (THROUGHPUT, 5, "serving", "offline", "unknown value 'offline'"),
        (THROUGHPUT, 6, "role", "prior", "unknown value 'prior'"),
        (THROUGHPUT, 6, "role", "Likelihood", "unknown value 'Likelihood'"),
        ("models.csv", 5, "architecture", "sparse", "unknown value 'sparse'"),
    ],
)
def test_bad_cell(data_dir, file, row, column, value, match):
    set_cell(data_dir / file, row, column, value)
    expect_error(data_dir, file, row, column, match)


@pytest.mark.parametrize("quantity, unit", [("output_throughput", "Wh"), ("energy_per_query", "W"),
                                             ("gpu_power", "tokens/s"), ("pue", "%")])
def test_unit_does_not_fit_quantity(data_dir, quantity, unit):
    set_cell(data_dir / THROUGHPUT, 7, "quantity", quantity)
    set_cell(data_dir / THROUGHPUT, 7, "unit", unit)
    expected = ", ".join(UNITS[QUANTITIES[quantity]])
    expect_error(data_dir, THROUGHPUT, 7, "unit", f"does not fit quantity '{quantity}'; expected one of {re.escape(expected)}")


@pytest.mark.parametrize("column, value", [("model", "GPT-5"), ("model", "mixtral-8x22b"), ("hardware", "TPUv5")])
def test_unknown_reference(data_dir, column, value):
    set_cell(data_dir / THROUGHPUT, 13, column, value)
    file = "models.csv" if column == "model" else "hardware.csv"
    expect_error(data_dir, THROUGHPUT, 13, column, f"unknown {column} '{value}'; add it to {file}")


def test_empty_reference_is_allowed(data_dir):
    set_cell(data_dir / THROUGHPUT, 13, "model", "")
    set_cell(data_dir / THROUGHPUT, 13, "hardware", "")
    row = load(data_dir).observations[THROUGHPUT].rows[12]
    assert row["model"] is None and row["hardware"] is None


def test_duplicate_id_within_file(data_dir):
    set_cell(data_dir / THROUGHPUT, 6, "id", "PT02")
    expect_error(data_dir, THROUGHPUT, 6, "id", rf"duplicate id 'PT02' \(first in {THROUGHPUT} row 2\)")


@pytest.mark.parametrize("name", ["models.csv", "hardware.csv"])
def test_duplicate_catalog_id(data_dir, name):
    first = read_rows(data_dir / name)[1][0]
    set_cell(data_dir / name, 3, "id", first)
    expect_error(data_dir, name, 3, "id", f"duplicate id '{first}'")


@pytest.mark.parametrize("other", ["a_telemetry.csv", "z_telemetry.csv"])
def test_duplicate_id_across_files(data_dir, other):
    rows = read_rows(data_dir / THROUGHPUT)
    write_rows(data_dir / other, [rows[0], rows[3]])  # PT03 again, as row 1 of the new file
    if other < THROUGHPUT:  # files load in name order: the later one is at fault
        expect_error(data_dir, THROUGHPUT, 3, "id", rf"duplicate id 'PT03' \(first in {other} row 1\)")
    else:
        expect_error(data_dir, other, 1, "id", rf"duplicate id 'PT03' \(first in {THROUGHPUT} row 3\)")


def test_duplicate_id_in_extra_file(data_dir, tmp_path):
    rows = read_rows(data_dir / THROUGHPUT)
    extra = tmp_path / "new.csv"
    write_rows(extra, [rows[0], rows[20]])
    with pytest.raises(DataError) as info:
        load(data_dir, extra=[extra])
    check_error(info.value, "new.csv", 1, "id", "duplicate id 'PT20'")


@pytest.mark.parametrize("name", ["measurements.csv", "models.csv"])
def test_extra_file_named_like_a_loaded_table_is_refused(data_dir, tmp_path, name):
    """Tables are keyed by file name: a new file must not silently replace a shipped one."""
    extra = tmp_path / "elsewhere" / name
    extra.parent.mkdir()
    shutil.copy(Path(__file__).parents[1] / "examples" / "new_telemetry.csv", extra)
    with pytest.raises(DataError, match="same file name") as info:
        load(data_dir, extra=[extra])
    assert str(extra) in str(info.value)


def test_catalog_errors_come_first(data_dir):
    """A bad catalog is reported even when observation tables are bad too."""
    set_cell(data_dir / THROUGHPUT, 1, "value", "x")
    set_cell(data_dir / "hardware.csv", 2, "gpu_tdp_w", "x")
    expect_error(data_dir, "hardware.csv", 2, "gpu_tdp_w")


# --- property tests ------------------------------------------------------------------

SHIPPED_THROUGHPUT_ROWS = read_rows(DEFAULT_DATA_DIR / THROUGHPUT)
OBS_NUMERIC = [c for c in numeric_columns(OBSERVATION_SCHEMA) if c in SHIPPED_THROUGHPUT_ROWS[0]]


def _not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


bad_numbers = st.one_of(
    st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != "" and _not_a_number(s.strip())),
    st.just("0"), st.just("0.0"), st.just("-0"), st.just("0e3"),
    st.floats(max_value=0, allow_nan=False, allow_infinity=False).map(repr),
    st.integers(max_value=0).map(str),
    st.sampled_from(["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e999"]),
)


@HYPOTHESIS
@given(
    row=st.integers(min_value=1, max_value=len(SHIPPED_THROUGHPUT_ROWS) - 1),
    column=st.sampled_from(OBS_NUMERIC),
    bad=bad_numbers,
)
def test_corrupt_numeric_cell_is_refused(row, column, bad):
    """(a) Any one bad cell in a numeric column is refused, at that row and column."""
    rows = [list(r) for r in SHIPPED_THROUGHPUT_ROWS]
    rows[row][rows[0].index(column)] = bad
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for path in SHIPPED:
            shutil.copy(path, directory / path.name)
        write_rows(directory / THROUGHPUT, rows)
        with pytest.raises(DataError) as info:
            load(directory)
    # A line break inside the bad cell (quoted by the writer) pushes the row's last line down.
    check_error(info.value, THROUGHPUT, row, column, line=row + 1 + len(re.findall(r"\r\n|\r|\n", bad)))


CATALOG_IDS = {"model": [r[0] for r in read_rows(DEFAULT_DATA_DIR / "models.csv")[1:]],
               "hardware": [r[0] for r in read_rows(DEFAULT_DATA_DIR / "hardware.csv")[1:]]}

# Free text: anything printable (commas, quotes, non-ASCII), not padded, not empty.
free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"),
    min_size=1, max_size=30,
).map(str.strip).filter(bool)
positive_floats = st.floats(min_value=1e-12, max_value=1e12, allow_nan=False, allow_infinity=False).filter(lambda x: x > 0)


@st.composite
def observation_row(draw, index: int) -> dict:
    quantity = draw(st.sampled_from(sorted(QUANTITIES)))
    row = {}
    for col in OBSERVATION_SCHEMA:
        if col.name == "id":
            value = f"H{index:03d}-" + draw(free_text)
        elif col.name == "quantity":
            value = quantity
        elif col.name == "unit":
            value = draw(st.sampled_from(sorted(UNITS[QUANTITIES[quantity]])))
        elif col.references is not None:
            key = "model" if col.references == "models" else "hardware"
            value = draw(st.sampled_from(CATALOG_IDS[key]))
        elif col.choices is not None:
            value = draw(st.sampled_from(col.choices))
        elif col.kind is int:
            value = draw(st.integers(min_value=1, max_value=10**6))
        elif col.kind is float:
            value = draw(positive_floats)
        else:
            value = draw(free_text)
        if not col.nonempty and draw(st.booleans()):
            value = None
        row[col.name] = value
    return row


@st.composite
def observation_rows(draw) -> list[dict]:
    n = draw(st.integers(min_value=1, max_value=6))
    return [draw(observation_row(i)) for i in range(n)]


def _cell(value) -> str:
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


@HYPOTHESIS
@given(rows=observation_rows(), pad=st.booleans())
def test_valid_rows_round_trip(rows, pad):
    """(b) Rows built from the schema's choices and types read back exactly, typed."""
    names = [c.name for c in OBSERVATION_SCHEMA]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        cells = [_cell(row[n]) for n in names]
        writer.writerow([f" {c} " if pad and c else c for c in cells])  # spaces around a cell are ignored
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for name in CATALOG_FILES:
            shutil.copy(DEFAULT_DATA_DIR / name, directory / name)
        path = directory / "generated.csv"
        path.write_text(buf.getvalue(), encoding="utf-8")
        table = read_table(path)
        data = load(directory)  # the generated rows pass the cross-table checks too
    assert [r["id"] for r in data.observations["generated.csv"].rows] == [r["id"] for r in rows]
    assert len(table.rows) == len(rows)
    for i, (want, got) in enumerate(zip(rows, table.rows), start=1):
        assert got["_row"] == i
        for col in OBSERVATION_SCHEMA:
            value = got[col.name]
            assert value == want[col.name], col.name
            if value is not None:
                assert type(value) is col.kind, col.name
                if col.kind is float:
                    assert math.isfinite(value) and value > 0


# --- the README documents the schema ---------------------------------------------------


def test_readme_documents_every_column():
    text = README.read_text(encoding="utf-8")
    for label, schema in [("models.csv", MODEL_SCHEMA), ("hardware.csv", HARDWARE_SCHEMA),
                          ("observation tables", OBSERVATION_SCHEMA)]:
        for col in schema:
            assert f"`{col.name}`" in text, f"README lacks column {col.name!r} of {label}"


def test_readme_documents_every_choice():
    text = README.read_text(encoding="utf-8")
    values = [*QUANTITIES, *UNIT_DIMENSION, *UNITS, *STATISTICS, *SCOPES, *SERVING, *ROLES, *ARCHITECTURES,
              *WORKLOADS, *COMPONENTS, *DEPLOYMENTS]
    missing = [v for v in values if f"`{v}`" not in text]
    assert not missing, f"README lacks {missing}"


def _readme_table(text: str, heading: str) -> list[list[str]]:
    """The cells of the first Markdown table after ``heading`` (header and rule dropped)."""
    lines = text[text.index(heading):].splitlines()[1:]
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        table.append([c.strip() for c in line.strip().strip("|").split("|")])
    return table


@pytest.mark.parametrize(
    "heading, schema",
    [("## `models.csv`", MODEL_SCHEMA), ("## `hardware.csv`", HARDWARE_SCHEMA),
     ("## Observation tables", OBSERVATION_SCHEMA)],
)
def test_readme_column_tables_match_schema(heading, schema):
    """Each schema's README table lists exactly its columns, in order, with type, presence and rule."""
    kinds = {str: "text", int: "integer", float: "number"}
    table = _readme_table(README.read_text(encoding="utf-8"), heading)
    assert [row[0] for row in table] == [f"`{c.name}`" for c in schema]
    for (name, kind, presence, rule, meaning), col in zip(table, schema):
        assert kind == kinds[col.kind], name
        expected = "optional" if not col.required else "required" if col.nonempty else "may be empty"
        assert presence == expected, name
        assert ("> 0" in rule) == col.positive, name
        if col.choices is not None and len(col.choices) <= 3:
            assert all(f"`{c}`" in rule for c in col.choices), name
        if col.references:
            assert f"`{col.references}.csv`" in rule, name
        assert meaning, name


def test_readme_quantity_table_matches():
    table = _readme_table(README.read_text(encoding="utf-8"), "### Quantities")
    got = {row[0].strip("`"): (row[1], row[2]) for row in table}
    assert got == {q: (dim, ", ".join(f"`{u}`" for u in UNITS[dim])) for q, dim in QUANTITIES.items()}
