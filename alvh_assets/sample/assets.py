"""Dagster asset for the embedded sample market (thin: the work is in ``generate``)."""

import datetime as dt
from collections import Counter
from pathlib import Path

import dagster as dg

from alvh_assets.dagster_support import AlvhSettings
from alvh_assets.sample.generate import generate_sample_market
from alvh_assets.sample.manifest import read_manifest, sha256_file
from alvh_assets.sample.real_data import real_data_dir

SAMPLE_MARKET = dg.AssetKey(["landing", "sample_market"])


class SampleMarketRun(dg.Config):
    """Per-run overrides of the sample range (ISO dates) and seed; empty = config defaults."""

    start: str | None = None
    end: str | None = None
    seed: int | None = None
    zip_chains: bool = False


@dg.asset(
    key=SAMPLE_MARKET,
    group_name="landing",
    owners=["team:alvh-data"],
    kinds={"python", "csv"},
    description=(
        "The embedded SAMPLE market written as vendor landing files (Cboe DataShop option EOD, "
        "CFE VX settlements, Cboe index history, NYSE breadth, FRED, release calendars, "
        "valuation). Real series are copied or reformatted; option chains, breadth, release "
        "dates and VX futures outside 2004-2014 are MODELLED. manifest.json says which is which."
    ),
)
def sample_market(
    context: dg.AssetExecutionContext, config: SampleMarketRun, alvh: AlvhSettings
) -> dg.MaterializeResult:
    cfg = alvh.load()
    start = dt.date.fromisoformat(config.start) if config.start else cfg.sample_start
    end = dt.date.fromisoformat(config.end) if config.end else cfg.sample_end
    seed = cfg.sample_seed if config.seed is None else config.seed
    out = alvh.landing()
    last: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        step = max(total // 10, 1)
        if done == total or done - last.get(stage, 0) >= step:
            last[stage] = done
            context.log.info(f"{stage}: {done}/{total}")

    manifest_path = generate_sample_market(
        start, end, out, seed=seed, zip_chains=config.zip_chains, on_progress=progress
    )
    manifest = read_manifest(out)
    files = manifest["files"]
    by_kind = Counter(f["kind"] for f in files)
    by_prov = Counter(f["provenance"] for f in files)
    table = "\n".join(
        ["| kind | files | rows |", "|---|---|---|"]
        + [
            f"| {k} | {n} | {sum(f['rows'] for f in files if f['kind'] == k):,} |"
            for k, n in sorted(by_kind.items())
        ]
    )
    return dg.MaterializeResult(
        metadata={
            "landing_dir": dg.MetadataValue.path(str(out)),
            "manifest": dg.MetadataValue.path(str(manifest_path)),
            "range": f"{start} .. {end}",
            "seed": seed,
            "files": len(files),
            "dagster/row_count": sum(f["rows"] for f in files),
            "files_real": by_prov.get("real", 0),
            "files_real_reformatted": by_prov.get("real_reformatted", 0),
            "files_modelled": by_prov.get("modelled", 0),
            "files_by_kind": dg.MetadataValue.md(table),
        }
    )


@dg.asset_check(
    asset=SAMPLE_MARKET,
    blocking=True,
    description="Every manifest file exists and its bytes match the recorded SHA-256.",
)
def sample_manifest_matches_files(alvh: AlvhSettings) -> dg.AssetCheckResult:
    root = alvh.landing()
    files = read_manifest(root)["files"]
    bad = [
        f["path"]
        for f in files
        if not (root / f["path"]).is_file() or sha256_file(root / f["path"]) != f["sha256"]
    ]
    return dg.AssetCheckResult(
        passed=not bad, metadata={"files_checked": len(files), "mismatched": ", ".join(bad[:20])}
    )


@dg.asset_check(
    asset=SAMPLE_MARKET,
    blocking=True,
    description="Every file marked real is the "
    "packaged vendor file's bytes, whole or cut at a row (rows after the range end).",
)
def sample_real_files_are_untouched(alvh: AlvhSettings) -> dg.AssetCheckResult:
    root = alvh.landing()
    sources = [p.read_bytes() for p in Path(real_data_dir()).rglob("*.csv")]
    real = [f for f in read_manifest(root)["files"] if f["provenance"] == "real"]
    bad = []
    for f in real:
        data = (root / f["path"]).read_bytes()
        if not any(
            src.startswith(data) and (len(src) == len(data) or data.endswith(b"\n"))
            for src in sources
        ):
            bad.append(f["path"])
    return dg.AssetCheckResult(
        passed=not bad, metadata={"real_files": len(real), "not_identical": ", ".join(bad[:20])}
    )
