"""The commands of the middle layer: ``soiree serve`` and ``soiree ticker``."""
