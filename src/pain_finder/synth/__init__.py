"""Synthetic practice extracts for demos, tests and benchmarks (`pain-finder synth`).

    from pain_finder.synth import generate, SynthOptions
    folders = generate(SynthOptions(out=Path("synth"), patients=5000, coding="readv2", seed=1))

Modules: options (SynthOptions), population (age/sex, registrations, deaths), codebook (codes from the
project's code lists plus routine noise codes), history (clinical events, prescribing, fit notes), writers
(chunked CSV or Parquet through pain_finder.atomic), generate (the orchestration). See docs/synth.md.
"""

from pain_finder.synth.generate import generate
from pain_finder.synth.options import SynthOptions

__all__ = ["SynthOptions", "generate"]
