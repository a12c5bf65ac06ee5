#!/bin/sh
# Regenerate the bundled sample practices from the current code lists (run from the repository root):
#   sh sample_data/regenerate.sh
# Each line is an ordinary `pain-finder synth` run; the same code lists give byte-identical files.
set -eu
PF="${PF:-.venv/bin/pain-finder}"
$PF synth sample_data/practice_a --patients 2000 --coding readv2 --seed 101 --noise-scale 0.05 --extract-date 2026-09-30
$PF synth sample_data/practice_b --patients 2000 --coding snomedct --seed 102 --noise-scale 0.05 --extract-date 2026-09-30
$PF synth sample_data/practice_c --patients 1000 --coding ctv3 --seed 103 --noise-scale 0.05 --extract-date 2026-09-30
