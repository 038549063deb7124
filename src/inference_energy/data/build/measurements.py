"""Published measurements (``published_measurements.csv``) -> ``measurements.csv``.

Every figure written is checked against the text of its reference row, so a
typing slip fails the build instead of inventing a number; every reference row
is either mapped (``measurement_rows.py``) or listed in ``SKIPPED`` with the
reason.
"""

from __future__ import annotations

from .common import EXTENDED_COLUMNS, BuildError, clean_date, first_url

# --- published measurements -----------------------------------------------------------

GOOGLE = "Google (Gemini Apps inference footprint paper, arXiv 2508.15734)"
OPENAI = "OpenAI (Sam Altman, 'The Gentle Singularity')"
SEED_JOULE = "Microsoft / Oviedo et al., Joule 2026 (the seed paper's own output)"
SEED_PREPRINT = "Microsoft / Oviedo et al., arXiv 2509.20241 (the seed paper's own output)"
SEED_NOTE = "the seed paper's own model output: a target for the paper presets, never calibration data (circular)"
ESTIMATE_NOTE = "a third party's modelled estimate, not a measurement"
AZURE_TRACE = "Microsoft Azure LLM inference trace 2023 (AzurePublicDataset)"
GEMINI_SHARES_QUOTE = (
    "particle.news (cited by reference row A05 for the shares): 'The methodology attributes about 58% of "
    "per-prompt energy to TPUs, 25% to host CPU and memory, 10% to idle backup machines, and 8% to "
    "data-center overhead such as cooling and power conversion.'"
)

#: Reference rows not written to measurements.csv, and why.
SKIPPED = {
    "A09": "a ratio (33x reduction over a year): no quantity in the schema",
    "A12": "lifecycle boundary (includes embodied emissions): no lifecycle scope in the schema, and the "
           "README forbids comparing across boundaries",
    "A13": "lifecycle boundary (includes supply-chain water): no lifecycle scope in the schema",
    "A14": "resource depletion (mg Sb eq): no quantity or unit in the schema",
    "A15": "aggregate training + use totals: no quantity in the schema",
    "A17": "a range 0-0.067 mL with a zero lower bound: no single value or statistic",
    "A22": "a ratio (4-20x): no quantity in the schema",
    "A26": "lower bounds only (>33 / >29 Wh): no value or statistic",
    **{f"B{i:02d}": "summarises an ML.ENERGY v3 configuration already in mlenergy_v3.csv"
       for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16)},
    "B17": "a ratio (energy per response, reasoning vs chat): no quantity in the schema",
    "B19": "a range (~3-4 J/token) for LLaMA-65B (not in the catalog) on a pre-continuous-batching stack",
    "B20": "a percentage reduction: no quantity in the schema",
    "B22": "GPU TDP specs: already in hardware.csv (gpu_tdp_w)",
    "B24": "an analyst's assumption (provisioned all-in power per GPU): shapes priors, never data; "
           "facility-per-GPU provisioned power has no quantity in the schema",
    "B25": "the seed paper's node-power prior: an assumption (shapes priors and presets), never data",
    "B26": "a percentage saving: no quantity in the schema",
    "B27": "throughput and cost ratios: no quantity in the schema",
    "B29": "derived (facility MW / GPU count), provisioned: no quantity in the schema",
    "C07": "a ratio (tokens/s per MW gain): no quantity in the schema",
    "C08": "a ratio (rack-scale vs H100): no quantity in the schema",
    "C11": "benchmark latency constraints (TTFT/TPOT) and a ratio: no quantity in the schema",
    **{f"C{i:02d}": "summarises an ML.ENERGY v3 configuration already in mlenergy_v3.csv"
       for i in (12, 13, 14, 15, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27)},
    "D03": "Google 2021 quarterly trailing PUE (1.10) and a 2008 figure: historical, covered by the "
           "annual fleet figures D01 and D02",
    "D14": "national electricity (TWh/yr): no quantity in the schema",
    "E03": "an assumption (average-to-peak factor of rated server power): no node power-fraction quantity",
    "E04": "an assumption (FLOP utilisation): no quantity in the schema",
    "E05": "a share of additional servers: no quantity in the schema",
    "E08": "a share of GPUs serving a share of requests: no quantity in the schema",
    "E09": "a range (30-60 % of designed power budget) of general-purpose clusters: no statistic and "
           "no cluster power-fraction quantity",
    "E11": "consultancy assumptions for an unspecified server type (LOW reliability): shapes priors, never data",
}


class Measurements:
    """Rows of measurements.csv, each checked against the text of its reference row."""

    DEFAULTS = {c: "" for c in EXTENDED_COLUMNS}

    def __init__(self, refs: dict[str, dict[str, str]]):
        self.refs = refs
        self.rows: list[dict[str, str]] = []
        self.mapped: set[str] = set()

    def add(self, ref_id: str, suffix: str = "", *, cite: str | list[str] | None = None,
            external: str | None = None, note: str = "", **cols: str) -> None:
        ref = self.refs[ref_id]
        text = " | ".join(ref[k] for k in ("quantity", "value", "unit", "uncertainty_range", "conditions"))
        pieces = [cite] if isinstance(cite, str) else (cite if cite is not None else [cols["value"]])
        if external is None:
            for piece in pieces:
                if piece not in text:
                    raise BuildError(f"{ref_id}{suffix}: {piece!r} is not in the reference row's text")
        evidence = f"{ref['evidence']} (reference row {ref_id})"
        if external is not None:
            evidence = f"{evidence}; figure from {external}"
        notes = [note, f"reliability: {ref['reliability']}"]
        row = {**self.DEFAULTS, "id": f"{ref_id}{suffix}", "evidence": evidence,
               "note": "; ".join(n for n in notes if n)}
        row.update(cols)
        row["source_url"] = row["source_url"] or first_url(ref["source_url"])
        row["date"] = row["date"] or clean_date(ref["date"])
        self.rows.append(row)
        self.mapped.add(ref_id)


