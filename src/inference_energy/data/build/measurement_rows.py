"""The mapping of each published measurement to calibration rows, by section (A disclosures ... E utilisation).

Data written as code: one call per reference row, each with its units, scope,
role and the note a reader needs.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .common import fmt
from .measurements import (AZURE_TRACE, ESTIMATE_NOTE, GEMINI_SHARES_QUOTE, GOOGLE, OPENAI, SEED_JOULE, SEED_NOTE,
                           SEED_PREPRINT, Measurements)
from .models import MLENERGY_DATE, MLENERGY_SOURCE, MLENERGY_URL, mlenergy_model_id

def add_disclosures(m: Measurements) -> None:
    """A: per-query energy, water and carbon: disclosures, the seed paper's outputs, estimates."""
    google = dict(operator="google", serving="production", workload="chat", source=GOOGLE)
    m.add("A01", quantity="energy_per_query", value="0.24", unit="Wh", statistic="median", scope="facility",
          component="total", role="likelihood", uncertainty="0.05", **google,
          note="Gemini Apps text prompts, May 2025, Google TPU fleet; comprehensive boundary: active accelerators, "
               "host CPU+DRAM, idle reserve machines, data-centre overhead (fleet PUE); excludes training, "
               "networking, end-user devices, image/video prompts; token counts undisclosed; uncertainty 0.05 "
               "covers the rounding of 0.24")
    # The breakdown of the same median prompt (shares as reported; Wh = share x 0.24).
    for suffix, share, component, scope, what in [
        ("a", 0.58, "accelerator", "gpu", "active AI accelerators (Google TPUs)"),
        ("b", 0.25, "host", "node", "active host CPU and DRAM"),
        ("c", 0.10, "idle", "it", "idle (provisioned reserve) machines"),
        ("d", 0.08, "overhead", "facility", "data-centre overhead (cooling, power conversion: the PUE share)"),
    ]:
        extra = "; reference row A05 publishes 0.02 Wh (rounded)" if component == "idle" else ""
        m.add("A05", suffix, quantity="energy_per_query", value=fmt(share * 0.24), unit="Wh", statistic="median",
              scope=scope, component=component, role="likelihood", uncertainty="0.1", **google,
              cite="10%" if component == "idle" else None,
              external=None if component == "idle" else GEMINI_SHARES_QUOTE,
              note=f"component of the 0.24 Wh median Gemini prompt (A01): {what}, share {share:.0%} "
                   f"(Wh = share x 0.24; the four reported shares sum to 101% by rounding){extra}")
    m.add("A07", quantity="carbon_per_query", value="0.03", unit="gCO2e", statistic="median", scope="facility",
          role="comparison", **google,
          note="market-based accounting (includes Google's clean-energy procurement); checks the carbon push-forward")
    m.add("A08", quantity="water_per_query", value="0.26", unit="mL", statistic="median", scope="facility",
          role="comparison", **google,
          note="on-site cooling water only (excludes water used to generate electricity); checks the water push-forward")
    openai = dict(operator="openai", serving="production", workload="chat", source=OPENAI)
    m.add("A10", quantity="energy_per_query", value="0.34", unit="Wh", statistic="mean", scope="facility",
          component="total", role="likelihood", uncertainty="0.5", **openai,
          note="'average query'; scope unstated: treated as facility with wide uncertainty 0.5; model, token "
               "counts and whether image/reasoning queries are included are unstated")
    m.add("A11", quantity="water_per_query", value="0.32", unit="mL", statistic="mean", scope="facility",
          role="comparison", **openai,
          note="stated as 0.000085 US gal per average query; scope unstated (treated as facility); checks the water push-forward")

    seed = dict(role="comparison", serving="production")
    m.add("A16", "a", quantity="energy_per_query", value="0.31", unit="Wh", statistic="median", scope="facility",
          hardware="H100", num_gpus="8", output_tokens="300", workload="chat", source=SEED_JOULE, **seed,
          note=f"typical query of a >200B-parameter model on an 8xH100 node, ~300 output tokens; {SEED_NOTE}")
    for suffix, value, stat in [("b", "0.16", "p25"), ("c", "0.60", "p75")]:
        m.add("A16", suffix, quantity="energy_per_query", value=value, unit="Wh", statistic=stat, scope="facility",
              hardware="H100", num_gpus="8", output_tokens="300", workload="chat", source=SEED_JOULE, **seed,
              cite="IQR 0.16-0.60 Wh", note=f"interquartile bound of A16a; {SEED_NOTE}")
    m.add("A18", quantity="energy_per_query", value="0.7", unit="Wh", statistic="mean", scope="facility",
          workload="chat", source=SEED_JOULE, **seed,
          note=f"0.7 GWh/day for 1 billion conversational queries/day = 0.7 Wh per query on average; {SEED_NOTE}")
    for suffix, value, stat, cite in [("a", "0.34", "median", "0.34"), ("b", "0.18", "p25", "IQR 0.18-0.67 Wh"),
                                      ("c", "0.67", "p75", "IQR 0.18-0.67 Wh")]:
        m.add("A19", suffix, quantity="energy_per_query", value=value, unit="Wh", statistic=stat, scope="facility",
              hardware="H100", input_tokens="500", output_tokens="300", workload="chat", source=SEED_PREPRINT,
              cite=cite, **seed,
              note=f"frontier-scale (>200B) models on an H100 node, traditional chat regime (median 300 output, "
                   f"500 input tokens; the token columns are those medians); {SEED_NOTE}")
    m.add("A20", quantity="energy_per_query", value="4.32", unit="Wh", statistic="median", scope="facility",
          hardware="H100", output_tokens="5000", workload="reasoning", source=SEED_PREPRINT, **seed,
          cite=["4.32", "median 5,000 output tokens"],
          note=f"test-time-scaling regime (median 5,000 output tokens); {SEED_NOTE}")
    m.add("A21", "a", quantity="energy_per_query", value="0.8", unit="Wh", statistic="mean", scope="facility",
          workload="chat", source=SEED_PREPRINT, **seed,
          note=f"0.8 GWh/day for 1 billion queries/day = 0.8 Wh per query on average (no long queries); {SEED_NOTE}")
    m.add("A21", "b", quantity="energy_per_query", value="1.8", unit="Wh", statistic="mean", scope="facility",
          workload="mixed", source=SEED_PREPRINT, **seed, cite="1.8 GWh/day if 10% are long",
          note=f"1.8 GWh/day for 1 billion queries/day if 10 % are long (test-time) queries = 1.8 Wh per query "
               f"on average; {SEED_NOTE}")

    est = dict(role="comparison", serving="production", scope="facility", quantity="energy_per_query", unit="Wh")
    epoch = "Epoch AI (Gradient Updates: how much energy does ChatGPT use)"
    m.add("A23", "a", value="0.3", statistic="point", hardware="H100", output_tokens="500", operator="openai",
          workload="chat", source=epoch, **est,
          note=f"typical GPT-4o query (0.301 Wh in the model): 100 B active parameters assumed, 500 output tokens, "
               f"H100 at 10 % FLOP utilisation, PUE 1.2 (hardware assumed by the estimate); {ESTIMATE_NOTE}")
    m.add("A23", "b", value="0.90", statistic="point", hardware="H100", output_tokens="1500", operator="openai",
          workload="chat", source=epoch, cite="0.90 (1,500 output tok)", **est,
          note=f"scenario of A23a with 1,500 output tokens; {ESTIMATE_NOTE}")
    m.add("A24", "a", value="2.5", statistic="point", input_tokens="10000", operator="openai", workload="chat",
          source=epoch, cite=["2.5", "~10,000 input tokens"], **est,
          note=f"GPT-4o query with ~10,000 input tokens (a short paper); figures via eurekascoop.com; {ESTIMATE_NOTE}")
    m.add("A24", "b", value="40", statistic="point", input_tokens="100000", operator="openai", workload="chat",
          source=epoch, cite="~40 Wh at 100k input tokens", **est,
          note=f"GPT-4o query with ~100k input tokens; {ESTIMATE_NOTE}")
    jegham = "Jegham et al., 'How Hungry is AI?' (arXiv 2505.09598)"
    for suffix, value, version in [("a", "0.43", "v2"), ("b", "0.42", "v6")]:
        m.add("A25", suffix, value=value, statistic="point", operator="openai", workload="chat", source=jegham,
              cite=f"{value} ({version})", **est,
              note=f"GPT-4o, single short prompt (paper {version}); hardware inferred from API speed; {ESTIMATE_NOTE}")
    for suffix, value, size in [("a", "0.84", "short"), ("b", "2.78", "medium"), ("c", "5.52", "long")]:
        m.add("A27", suffix, value=value, statistic="point", operator="anthropic", workload="chat", source=jegham,
              **est, note=f"Claude 3.7 Sonnet (thinking off; not in the catalog), {size} prompt class; numbers "
                          f"via tokenoffset.com (tertiary); {ESTIMATE_NOTE}")
    uri = "URI AI lab dashboard (Jegham group), as reported by sipoch.com"
    m.add("A28", "a", value="18.35", statistic="mean", output_tokens="1000", operator="openai", workload="unknown",
          source=uri, **est,
          note=f"GPT-5 (not in the catalog), medium response of ~1,000 tokens; DGX H100/H200 on Azure assumed; "
               f"{ESTIMATE_NOTE}")
    for suffix, value, who, model, operator in [("b", "2.12", "GPT-4", "", "openai"), ("c", "25.35", "o3", "", "openai"),
                                                ("d", "20.90", "DeepSeek-R1", "DeepSeek-R1", "")]:
        m.add("A28", suffix, value=value, statistic="point", model=model, operator=operator, workload="unknown",
              source=uri, cite=f"{who}: {value} Wh", **est,
              note=f"{who} on the same dashboard (conditions as A28a, statistic not stated); {ESTIMATE_NOTE}")
    m.add("A29", quantity="energy_per_query", value="8.5", unit="Wh", statistic="mean", scope="gpu",
          model="gpt-oss-120b", hardware="H100", serving="unknown", workload="reasoning", role="comparison",
          source="Hugging Face AI Energy Score (v2 leaderboard)", cite="8.5 Wh/query",
          note="8.50 kWh per 1,000 queries = 8.5 Wh per query; GPU energy only; standardised prompts, Optimum + "
               "CodeCarbon, batch-1-style benchmark (not production batching); reasoning class C")
    m.add("A30", value="2.9", statistic="point", workload="chat", source="IEA Electricity 2024 (quoted by readsignal.io)",
          **est, note=f"ChatGPT-style query; early-2023 A100-era estimate (de Vries 2023 lineage), superseded; "
                      f"{ESTIMATE_NOTE}")


def add_power(m: Measurements) -> None:
    """B: measured energy and power that mlenergy_v3.csv does not already hold."""
    for suffix, value, version in [("a", "0.20", "v2: vLLM 0.5.4, Sep 2024"), ("b", "0.12", "v3: vLLM 0.11.1, Dec 2025")]:
        m.add("B18", suffix, quantity="energy_per_output_token", value=value, unit="J", statistic="mean", scope="gpu",
              model="Llama-3.1-8B", hardware="H100", concurrency="64", serving="steady_state", workload="chat",
              role="comparison", source="ML.ENERGY blog (longitudinal analysis, v2 vs v3)", cite="0.20 -> 0.12",
              note=f"GPU energy per output token at batch 64, leaderboard {version}; the software-only change "
                   f"between leaderboard versions")
    for suffix, hardware, cite in [("a", "H100", "10.2"), ("b", "H200", "DGX H200 also listed at 10.2 kW max")]:
        m.add("B21", suffix, quantity="node_power", value="10.2", unit="kW", statistic="point", scope="node",
              hardware=hardware, num_gpus="8", serving="unknown", role="comparison",
              source="NVIDIA DGX H100 datasheet", cite=cite,
              note=f"vendor spec: DGX {hardware} maximum system power ('System power usage ~10.2kW max'); a maximum, "
                   f"not typical; the hardware.csv node_max_power_kw")
    for suffix, value, state in [("a", "71.8", "bare (no CUDA context)"), ("b", "121.7", "with a CUDA context (model loaded, 0 % utilisation)")]:
        m.add("B23", suffix, quantity="gpu_power", value=value, unit="W", statistic="point", scope="gpu",
              hardware="H100", num_gpus="1", serving="unknown", role="comparison",
              source="arXiv:2605.23918, as quoted in SGLang issue #27567",
              note=f"H100 idle power, {state}: idle, not serving; the same source gives A100 53.7/80.0 W and "
                   f"L40S 35.6/102.1 W")
    m.add("B30", "a", quantity="gpu_power", value="516.9", unit="W", statistic="point", scope="gpu", hardware="H200",
          num_gpus="1", concurrency="128", serving="vendor_benchmark", role="comparison",
          source="Serial Alice benchmark page (vendor marketing)", cite="H200 Phi-3-mini batch 128: 516.9 W",
          note="Phi-3-mini (not in the catalog) on one H200 under vLLM at batch 128; the page's power ranges "
               "(H100 267-680 W, H200 80-593 W, B200 452-943 W) are not single figures and are left out")


def add_throughput_and_tokens(m: Measurements) -> None:
    """C: throughput beyond ML.ENERGY, and token lengths."""
    m.add("C06", quantity="output_throughput", value="10000", unit="tokens/s", statistic="point", scope="gpu",
          model="DeepSeek-R1", hardware="GB200", num_gpus="1", replica_gpus="72", concurrency="200", input_tokens="8192",
          output_tokens="1024", serving="production_disaggregated", workload="fixed", role="comparison",
          uncertainty="0.3", source="NVIDIA technical blog on the SemiAnalysis InferenceMAX v1 benchmark",
          cite=["~10,000", "at 50 tok/s per user", "8K in/1K out"],
          note="~10,000 output tokens/s per GPU read from a vendor blog; GB200 NVL72 (Grace-Blackwell rack); "
               "concurrency 200 = 10,000 tok/s per GPU / 50 tok/s per user (users in flight per GPU, derived here); "
               "8K in / 1K out nominal, actual lengths 80-100 % of these; TensorRT-LLM/Dynamo; precision not stated; "
               "replica: the NVL72 rack (72 GPUs, wide expert parallelism; the prefill/decode split is not given); "
               "a comparison: the blog does not say whether 'per GPU' counts the prefill GPUs or 'tokens' the "
               "8K input, and the serving law puts 8K-token prefill on all 72 GPUs at ~1.8k output tokens/s "
               "per GPU, so the reading decides a factor of up to 9")
    m.add("C09", quantity="output_throughput", value="865000", unit="tokens/s", statistic="point", scope="gpu",
          model="Llama-2-70B", hardware="GB200", num_gpus="72", serving="vendor_max_benchmark", workload="fixed",
          role="comparison", uncertainty="0.2", source="Microsoft Azure HPC blog (ND GB200 v6)", cite="865,000",
          note="one GB200 NVL72 rack (72 GPUs, 18 VMs), total over the 72 GPUs; MLPerf v4.1 Llama-2-70B workload "
               "(its token lengths are not given here), unverified submission; precision not stated: a comparison, "
               "since the serving law needs the lengths")
    mlperf = dict(quantity="output_throughput", unit="tokens/s", statistic="point", serving="vendor_max_benchmark",
                  workload="fixed", source="NVIDIA MLPerf Inference v5.1 highlights (summary by ainews247.org)")
    mlperf_note = "MLPerf Inference v5.1 closed division, FP4/FP8 TensorRT-LLM (per-row precision not given)"
    mlperf_note += "; a comparison: the summary gives neither token lengths nor precision, which the serving law needs"
    m.add("C10", "a", value="103000", scope="node", model="Llama-2-70B", hardware="B200", num_gpus="8",
          role="comparison", uncertainty="0.2", cite="Llama-2-70B ~103k tok/s on 8xB200 (offline)", **mlperf,
          note=f"~103k tok/s on one 8xB200 system, offline scenario; {mlperf_note}")
    m.add("C10", "b", value="16000", scope="gpu", model="Llama-3.1-405B", hardware="GB300", num_gpus="72",
          role="comparison", cite="Llama-3.1-405B ~16k tok/s on 72xGB300", **mlperf,
          note=f"~16k tok/s on 72xGB300; {mlperf_note}")
    m.add("C10", "c", value="420000", scope="gpu", model="DeepSeek-R1", hardware="GB300", num_gpus="72",
          role="comparison", cite="DeepSeek-R1 ~420k tok/s on 72xGB300", **mlperf,
          note=f"~420k tok/s on 72xGB300; {mlperf_note}")
    m.add("C10", "d", value="147000", scope="node", model="Llama-3.1-8B", hardware="B200", num_gpus="8",
          role="comparison", uncertainty="0.2", cite="Llama-3.1-8B ~147k tok/s on 8xB200", **mlperf,
          note=f"~147k tok/s on one 8xB200 system (scenario not stated in the summary); {mlperf_note}")

    trace = dict(unit="tokens", scope="workload", operator="microsoft", serving="production", role="likelihood",
                 uncertainty="0.02", source=AZURE_TRACE)
    trace_note = ("statistic computed from the full trace CSV (AzureLLMInferenceTrace_{}.csv, commit b469a11; "
                  "{} requests, Nov 2023); uncertainty 0.02")
    for ref_id, quantity, service, n, stats in [
        ("C28", "input_tokens", "conv", "19,366",
         [("p10", "207"), ("p25", "396"), ("median", "1,020"), ("p75", "1,189"), ("p90", "2,734"), ("mean", "1,155")]),
        ("C29", "output_tokens", "conv", "19,366",
         [("p10", "54"), ("p25", "85"), ("median", "129"), ("p75", "395"), ("p90", "424"), ("mean", "211")]),
    ]:
        for i, (stat, value) in enumerate(stats):
            m.add(ref_id, "abcdef"[i], quantity=quantity, value=value.replace(",", ""), statistic=stat, workload="chat",
                  cite=value if stat == "median" else f"{stat} {value}", **trace,
                  note=f"conversation service, {quantity.replace('_', ' ')} per request; " + trace_note.format(service, n))
    code = [("input_tokens", "p25", "578", "input p25 578"), ("input_tokens", "median", "1469", "1,469 / 13"),
            ("input_tokens", "p75", "2744", "p75 2,744"), ("input_tokens", "mean", "2048", "mean 2,048"),
            ("output_tokens", "p25", "9", "output p25 9"), ("output_tokens", "median", "13", "1,469 / 13"),
            ("output_tokens", "p75", "24", "p75 24"), ("output_tokens", "p90", "55", "p90 55"),
            ("output_tokens", "mean", "28", "mean 28")]
    for i, (quantity, stat, value, cite) in enumerate(code):
        m.add("C30", "abcdefghi"[i], quantity=quantity, value=value, statistic=stat, workload="code", cite=cite,
              **trace, note=f"coding (code-completion) service, {quantity.replace('_', ' ')} per request; "
                            + trace_note.format("code", "8,819"))

    agent = dict(quantity="output_tokens", unit="tokens", scope="workload", serving="production", workload="mixed",
                 role="comparison", source="UW TraceLab token-length distribution (SyFI public pool)")
    for suffix, value, stat, who, operator, cite in [
        ("a", "252", "median", "Claude", "anthropic", "252 / 184"), ("b", "1671", "p90", "Claude", "anthropic", "p90 1,671"),
        ("c", "6571", "p99", "Claude", "anthropic", "p99 6,571"), ("d", "184", "median", "Codex", "openai", "252 / 184"),
    ]:
        m.add("C31", suffix, value=value, statistic=stat, operator=operator, cite=cite, **agent,
              note=f"agentic coding ({who}): output tokens per model call (agent step), 357,161 steps; agentic, not chat")

    prior = dict(quantity="output_tokens", unit="tokens", scope="workload", serving="unknown", role="comparison",
                 source=SEED_PREPRINT)
    prior_note = "the seed paper's token-length prior (an assumption, exponential distributions): never calibration data"
    for suffix, value, stat, workload, cite in [
        ("a", "300", "median", "chat", "traditional: L_out median 300"), ("b", "129", "p25", "chat", "IQR 129-618"),
        ("c", "618", "p75", "chat", "IQR 129-618"), ("d", "5000", "median", "reasoning", "test-time: median 5,000"),
        ("e", "2040", "p25", "reasoning", "IQR 2,040-9,717"), ("f", "9717", "p75", "reasoning", "IQR 2,040-9,717"),
    ]:
        m.add("C32", suffix, value=value, statistic=stat, workload=workload, cite=cite, **prior,
              note=f"{'traditional' if workload == 'chat' else 'test-time'} regime; {prior_note}")
    m.add("C32", "g", **{**prior, "quantity": "input_tokens"}, value="500", statistic="point", workload="chat",
          cite="L_in fixed 500", note=f"input length fixed at 500 tokens; {prior_note}")


def add_reasoning_lengths(m_rows: list[dict[str, str]], configs: list[dict[str, str]]) -> None:
    """RL: mean output tokens of each model's reasoning (GPQA) configurations."""
    per_model: dict[str, list[float]] = defaultdict(list)
    for c in configs:
        if c["task"] == "gpqa":
            per_model[mlenergy_model_id(c["model_id"])].append(float(c["avg_output_tokens"]))
    for i, (model, lengths) in enumerate(per_model.items(), start=1):
        m_rows.append({
            **Measurements.DEFAULTS, "id": f"RL{i:02d}", "quantity": "output_tokens",
            "value": f"{sum(lengths) / len(lengths):.1f}", "unit": "tokens", "statistic": "mean", "scope": "workload",
            "model": model, "serving": "steady_state", "workload": "reasoning", "uncertainty": "0.1",
            "role": "likelihood", "source": MLENERGY_SOURCE, "source_url": MLENERGY_URL, "date": MLENERGY_DATE,
            "evidence": f"computed here from the leaderboard configurations (mean over {len(lengths)} configs)",
            "note": "GPQA (reasoning on): mean of the configurations' average output tokens, over every precision "
                    "and GPU of the model (mlenergy_v3.csv rows with workload reasoning)",
        })


def add_facilities(m: Measurements) -> None:
    """D: PUE and WUE."""
    pue = dict(quantity="pue", unit="ratio", statistic="mean", scope="facility", serving="production")
    hyper = dict(deployment="hyperscale")
    m.add("D01", value="1.10", operator="google", role="likelihood", uncertainty="0.02", **pue, **hyper,
          source="Google 2024 Environmental Report", note="fleet average annual PUE 2023, Google-owned and -operated data centres")
    m.add("D02", value="1.09", operator="google", role="likelihood", uncertainty="0.02", **pue, **hyper,
          source="Google 2025 Environmental Report",
          note="fleet average annual PUE 2024; 1.09 implied by the report's '84% less overhead energy than the "
               "industry average' (0.09/0.56) and seen in secondary documents")
    m.add("D04", value="1.12", operator="microsoft", role="comparison", **{**pue, "statistic": "point"}, **hyper,
          source="Microsoft (Azure blog, Apr 2022, via Windows Central)",
          note="design PUE of the newest-generation data centres: a design target, not a measured average")
    m.add("D05", value="1.18", operator="microsoft", role="likelihood", uncertainty="0.05", **pue, **hyper,
          cite="~1.18", source="DatacenterDynamics (summary of Microsoft's figures)",
          note="global facility-average PUE (~1.18) as summarised by DCD; secondary, approximate")
    m.add("D07", value="1.08", operator="meta", role="likelihood", uncertainty="0.02", **pue, **hyper,
          source="Meta 2024 sustainability report (as summarised by DCD / hyperscalers.news)",
          note="data-centre fleet PUE 2023 (stable vs 2022)")
    m.add("D08", "a", value="1.09", operator="meta", role="comparison", **pue, **hyper, cite="PUE 1.09",
          source="Meta sustainability: data centers", note="PUE of the buildings completed in 2021 only (not the fleet)")
    m.add("D09", value="1.15", operator="aws", role="likelihood", uncertainty="0.02", **pue, **hyper,
          source="AWS (first disclosure, re:Invent 2024, via DCD)", note="global PUE 2023")
    m.add("D10", value="1.15", operator="aws", role="likelihood", uncertainty="0.02", **pue, **hyper,
          source="AWS sustainability: data centers", note="global PUE 2024 (ISO-based methodology)")
    m.add("D11", value="1.14", operator="aws", role="likelihood", uncertainty="0.02", **pue, **hyper,
          source="Amazon sustainability: the cloud", note="global PUE 2025")
    m.add("D13", value="1.56", operator="uptime-survey", deployment="typical", role="likelihood", uncertainty="0.05",
          **pue, source="Uptime Institute global data-centre survey (Statista figure for 2024)",
          note="survey average annual PUE 2024; respondents report their largest data centre; self-reported, "
               "skews to older enterprise/colocation sites")
    m.add("D15", "a", value="1.4", operator="us-average", deployment="typical", role="likelihood", uncertainty="0.05",
          **pue, cite="just above 1.4 (2023)", source="LBNL 2024 US Data Center Energy Usage Report (secondary reading)",
          note="US average PUE 2023, 'just above 1.4' (value 1.4); weighted by server share across space types; "
               "secondary/tertiary reading of the LBNL figures")
    m.add("D16", "a", value="1.05", operator="", role="comparison", **{**pue, "statistic": "p5"}, **hyper,
          cite="P5-P95 1.05-1.40", source=SEED_PREPRINT,
          note="the seed paper's PUE prior for AI data centres (lognormal; an assumption), 5th percentile")
    m.add("D16", "b", value="1.40", operator="", role="comparison", **{**pue, "statistic": "p95"}, **hyper,
          cite="P5-P95 1.05-1.40", source=SEED_PREPRINT,
          note="the seed paper's PUE prior for AI data centres (lognormal; an assumption), 95th percentile")
    m.add("D17", value="1.2", role="comparison", **{**pue, "statistic": "point"}, **hyper,
          source="Epoch AI (Gradient Updates: how much energy does ChatGPT use)",
          note="PUE assumed by Epoch AI for AI data centres (1.1-1.3 'per SemiAnalysis'): an assumption")

    wue = dict(quantity="wue", unit="L/kWh", statistic="mean", scope="facility", serving="production", role="comparison")
    m.add("D06", value="0.30", operator="microsoft", **wue, **hyper, source="Microsoft (quoted by Redmond Magazine)",
          note="fleet WUE FY2023 (cooling + humidification water per IT kWh); 0.49 L/kWh in 2021; a cited default")
    m.add("D08", "b", value="0.26", operator="meta", **wue, **hyper, cite="WUE 0.26",
          source="Meta sustainability: data centers", note="WUE of the buildings completed in 2021 only; a cited default")
    for suffix, value, year, where in [("a", "0.12", "2025", "humanprogress.org"), ("b", "0.15", "2024", "siliconflash.com"),
                                       ("c", "0.25", "2021", "phuketimes.com GreenBiz reprint")]:
        m.add("D12", suffix, value=value, operator="aws", **wue, **hyper, cite=f"{value} ({year})",
              source=f"AWS global WUE (reported by {where})",
              note=f"AWS global WUE {year} (figure via {where}); a cited default")
    m.add("D15", "b", value="0.38", operator="us-average", deployment="typical", **wue, cite="0.38 L/kWh",
          source="LBNL 2024 US Data Center Energy Usage Report (secondary reading)",
          note="US average WUE (0.36 -> 0.38 L/kWh); secondary/tertiary reading; a cited default")
    for suffix, value, operator, url, what in [
        ("a", "1.08", "google", "https://arxiv.org/abs/2508.15734", "Gemini: 0.26 mL / 0.24 Wh (A08 / A01)"),
        ("b", "0.95", "openai", "https://blog.samaltman.com/the-gentle-singularity", "ChatGPT: 0.32 mL / 0.34 Wh (A11 / A10)"),
    ]:
        m.add("D18", suffix, value=value, operator=operator, **wue, source_url=url, date="2025",
              cite=value, source="derived from the disclosures (reference row D18)",
              note=f"implied water intensity {what}: litres per kWh of facility energy, not per IT kWh like the "
                   f"fleet WUEs; a derived consistency check")


def add_utilisation(m: Measurements) -> None:
    """E: utilisation and idle share."""
    for ref_id, hardware in [("E01", "H100"), ("E02", "B200")]:
        ref = m.refs[ref_id]
        median = ref["value"].split()[0]
        stats = [("median", median, median)] + [
            (stat, value, f"{stat} {value}")
            for stat, value in re.findall(r"(p\d+) (\d\.\d+)", ref["uncertainty_range"])
        ]
        for i, (stat, value, cite) in enumerate(stats):
            m.add(ref_id, "abcde"[i], quantity="gpu_power_fraction", value=value, unit="fraction", statistic=stat,
                  scope="gpu", hardware=hardware, serving="steady_state", role="comparison", cite=cite,
                  source="computed from the ML.ENERGY leaderboard v3 data",
                  note=f"GPU power as a fraction of TDP across the {hardware} configurations (derived from the "
                       f"rows in mlenergy_v3.csv): a measured conditional at a full batch, not a production time-average")
    m.add("E07", quantity="idle_share", value="0.10", unit="fraction", statistic="median", scope="it",
          operator="google", serving="production", workload="chat", component="idle", role="comparison",
          cite="~10%", source=GOOGLE,
          note="~10 % of the median Gemini prompt's (facility-boundary) energy is idle provisioned machines; "
               "duplicates the A05c component")
    nrp = dict(statistic="point", scope="gpu", serving="production", role="comparison",
               source="NRP Nautilus shared academic cluster (boettiger-lab/nrp-carbon-api issue #3)")
    for suffix, quantity, value, unit, cite, model, hardware, n, what in [
        ("a", "gpu_power", "783", "W", "783 W", "", "A100", "8", "Qwen3.5-397B (not in the catalog) on 8xA100"),
        ("b", "output_throughput", "18", "tokens/s", "18 tok/s", "", "A100", "8", "Qwen3.5-397B (not in the catalog) on 8xA100"),
        ("c", "energy_per_output_token", "43.5", "J", "43.5 J/tok", "", "A100", "8", "Qwen3.5-397B (not in the catalog) on 8xA100"),
        ("d", "gpu_power", "597", "W", "597 W", "gpt-oss-120b", "", "2", "gpt-oss-120b on 2xA6000 (A6000 not in the catalog)"),
        ("e", "output_throughput", "2341", "tokens/s", "2,341 tok/s", "gpt-oss-120b", "", "2", "gpt-oss-120b on 2xA6000 (A6000 not in the catalog)"),
        ("f", "energy_per_output_token", "0.26", "J", "0.26 J/tok", "gpt-oss-120b", "", "2", "gpt-oss-120b on 2xA6000 (A6000 not in the catalog)"),
    ]:
        m.add("E10", suffix, quantity=quantity, value=value, unit=unit, model=model, hardware=hardware, num_gpus=n,
              cite=cite, **nrp,
              note=f"{what}: live low-traffic serving snapshot (deployment figure as reported); illustrates the "
                   f"idle floor at low utilisation")


