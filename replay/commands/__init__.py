"""The commands of the top layer: ``soiree replay``, ``soiree sources`` and ``soiree demo``."""
