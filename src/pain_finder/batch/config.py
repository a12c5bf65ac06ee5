"""The batch configuration (`pain-finder batch CONFIG.toml`): which extracts, which search, where outputs go.

Every field is documented below (the descriptions are what docs/batch.md lists). Unknown fields are refused,
so a misspelt setting is an error rather than silently ignored. Relative paths are read relative to the folder
holding the config file, so a config works the same from cron, a systemd timer or an interactive shell.

The search definition is the `[search]` table, the file named by `search_config`, or both (the inline table is
laid over the file, key by key); with neither, the default search definition is used. It is parsed by the same
code as `pain-finder search --config` (`config.parse_config`), so both commands accept exactly the same
settings.

Precedence for the two settings the command line can override (`--workers`): command line > TOML > default.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pain_finder.config import SearchConfig, parse_config
from pain_finder.disclosure import DisclosurePolicy
from pain_finder.errors import ConfigError

_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


class AsOfRule(BaseModel):
    """Which date each practice's search is run "as of"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: Literal["extract_date", "fixed"] = Field(
        "extract_date",
        description="'extract_date': each extract's own extract_date (from its extract.json; today when it "
        "has none); 'fixed': the same date for every practice, given in `date`",
    )
    date: dt.date | None = Field(None, description="the as-of date (YYYY-MM-DD) when rule = 'fixed'")

    @model_validator(mode="after")
    def _date_matches_rule(self) -> AsOfRule:
        if self.rule == "fixed" and self.date is None:
            raise ValueError("rule = 'fixed' needs a date (YYYY-MM-DD)")
        if self.rule == "extract_date" and self.date is not None:
            raise ValueError("a date is only used with rule = 'fixed'")
        return self


class BatchConfig(BaseModel):
    """A batch run: many practice extracts searched with one search definition into one output root."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    extracts_dir: Path | None = Field(
        None,
        description="a folder holding one extract folder per practice (each sub-folder not starting with "
        "'.' is one practice, named by its folder name); give this or `extracts`",
    )
    extracts: list[Path] | None = Field(
        None,
        description="an explicit list of extract folders, one per practice (their folder names must "
        "differ); give this or `extracts_dir`",
    )
    output_root: Path = Field(
        description="where everything is written: practices/<practice>/ (each practice's search outputs), "
        "network/ (the merged, suppressed counts), batch_status.json, logs/, state/"
    )
    format: str | None = Field(
        None,
        description="the format of the practices' folders when they are not canonical extracts: one of the "
        "`pain-finder import` formats (opensafely, ukb, fhir, report, cprd_aurum, cprd_gold); each is "
        "converted on the fly into the spill directory and deleted after its search (default: canonical)",
    )
    mapping: Path | None = Field(
        None,
        description="with `format`: the mapping file (report) or dictionary folder (cprd_aurum, cprd_gold) "
        "that `pain-finder import --mapping` takes",
    )
    search_config: Path | None = Field(
        None,
        description="a search definition TOML file (the same format as `pain-finder search --config`); an "
        "inline [search] table is laid over it",
    )
    search: dict | None = Field(
        None,
        description="the search definition inline, as a [search] table (see docs/search.md for its fields)",
    )
    as_of: AsOfRule = Field(default_factory=AsOfRule, description="the as-of date rule, as an [as_of] table")
    workers: int | None = Field(
        None,
        ge=1,
        le=256,
        description="practices searched at once, each in its own process (default: the machine's CPU "
        "cores; never more than the practices to run); `--workers` overrides it",
    )
    threads_per_worker: int | None = Field(
        None,
        ge=1,
        le=256,
        description="DuckDB threads for each practice's search (default: CPU cores divided by workers, at "
        "least 1)",
    )
    memory_limit: str | None = Field(
        None,
        description="DuckDB memory limit for each practice's search, e.g. '2GB' (default: three quarters "
        "of the machine's memory divided by workers); beyond it DuckDB spills to `spill_directory`",
    )
    spill_directory: Path | None = Field(
        None,
        description="where DuckDB may write temporary files when a search needs more than memory_limit "
        "(default: <output_root>/.spill); each search uses its own sub-folder, removed afterwards",
    )
    disclosure: DisclosurePolicy = Field(
        default_factory=DisclosurePolicy,
        description="disclosure control for the network summary, as a [disclosure] table (default: counts "
        "1-7 suppressed, others rounded to the nearest 5)",
    )

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, v: str | None) -> str | None:
        if v is not None and not _MEMORY.match(v):
            raise ValueError("must be a size such as '512MB', '2GB' or '1.5GiB'")
        return v.replace(" ", "") if v else v

    @field_validator("format")
    @classmethod
    def _format(cls, v: str | None) -> str | None:
        from pain_finder.import_formats import FORMAT_DESCRIPTIONS as FORMATS  # noqa: PLC0415

        if v is not None and v not in FORMATS:
            raise ValueError(f"unknown format {v!r}: expected one of {', '.join(FORMATS)}")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> BatchConfig:
        if (self.extracts_dir is None) == (self.extracts is None):
            raise ValueError(
                "give exactly one of `extracts_dir` (a folder of extract folders) or `extracts` (a list)"
            )
        return self

    # Derived settings --------------------------------------------------------------------------------------
    def worker_count(self, override: int | None = None, practices: int | None = None) -> int:
        n = override or self.workers or os.cpu_count() or 1
        return max(1, min(n, practices)) if practices else max(1, n)

    def threads(self, workers: int) -> int:
        return self.threads_per_worker or max(1, (os.cpu_count() or 1) // workers)

    def memory(self, workers: int) -> str | None:
        if self.memory_limit:
            return self.memory_limit
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return None  # DuckDB's own default
        return f"{max(256, int(total * 0.75 / workers / (1 << 20)))}MB"

    def spill(self) -> Path:
        return self.spill_directory or self.output_root / ".spill"


class LoadedBatchConfig(BaseModel):
    """A batch config with its search definition parsed and every path made absolute."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config_file: Path | None = None
    batch: BatchConfig
    search: SearchConfig

    def with_source_format(self, fmt: str | None, mapping: Path | None) -> LoadedBatchConfig:
        """The config with `format`/`mapping` replaced (the CLI's --format and --mapping), checked again."""
        if fmt is None and mapping is None:
            return self
        data = self.batch.model_dump()
        data["format"] = fmt if fmt is not None else data["format"]
        data["mapping"] = Path(mapping).resolve() if mapping is not None else data["mapping"]
        try:
            batch = BatchConfig.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"--format/--mapping:\n{_bullets(exc)}") from exc
        return self.model_copy(update={"batch": batch})


def _bullets(exc: ValidationError) -> str:
    lines = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown setting (check the spelling; docs/batch.md lists every setting)"
        lines.append(f"  - {where}: {msg}")
    return "\n".join(lines)


def _read_toml(path: Path, what: str) -> dict:
    if not path.is_file():
        raise ConfigError(f"{what} {path} does not exist")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc


def _overlay(base: dict, top: dict) -> dict:
    out = dict(base)
    for key, value in top.items():
        out[key] = (
            _overlay(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def _absolute_search_paths(data: dict, folder: Path) -> dict:
    """Make the search definition's file paths absolute, relative to the file they were written in."""
    data = _overlay({}, data)
    if isinstance(data.get("code_lists_dir"), str):
        data["code_lists_dir"] = str(folder / data["code_lists_dir"])
    exclusions = data.get("exclusions")
    if isinstance(exclusions, dict) and isinstance(exclusions.get("declined_patient_ids_file"), str):
        exclusions["declined_patient_ids_file"] = str(folder / exclusions["declined_patient_ids_file"])
    return data


def parse_batch_config(
    data: dict, *, base: Path, source: str = "batch config", config_file: Path | None = None
) -> LoadedBatchConfig:
    """Validate `data` (a parsed TOML document); relative paths are taken relative to `base`."""
    try:
        batch = BatchConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: invalid batch configuration:\n{_bullets(exc)}") from exc

    def absolute(p: Path | None) -> Path | None:
        return None if p is None else (base / p.expanduser()).resolve()

    search_data: dict = {}
    if batch.search_config is not None:
        search_path = absolute(batch.search_config)
        assert search_path is not None
        loaded = _read_toml(search_path, "search_config file")
        search_data = _absolute_search_paths(loaded.get("search", loaded), search_path.parent)
    if batch.search is not None:
        search_data = _overlay(search_data, _absolute_search_paths(batch.search, base))
    search = parse_config({"search": search_data}, source=source)

    batch = batch.model_copy(
        update={
            "extracts_dir": absolute(batch.extracts_dir),
            "extracts": [absolute(p) for p in batch.extracts] if batch.extracts is not None else None,
            "output_root": absolute(batch.output_root),
            "search_config": absolute(batch.search_config),
            "spill_directory": absolute(batch.spill_directory),
            "mapping": absolute(batch.mapping),
        }
    )
    return LoadedBatchConfig(config_file=config_file, batch=batch, search=search)


def load_batch_config(path: Path) -> LoadedBatchConfig:
    """Read and validate a batch config file. Raises ConfigError listing every invalid field, one per line."""
    path = Path(path)
    data = _read_toml(path, "batch config file")
    return parse_batch_config(data, base=path.resolve().parent, source=path.name, config_file=path.resolve())
