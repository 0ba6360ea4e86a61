"""soiree: ingest."""
