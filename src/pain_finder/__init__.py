"""pain_finder: find patients with chronic pain and work-disability signals in GP practice extracts."""

__version__ = "0.1.0"
