"""soiree: replay."""
