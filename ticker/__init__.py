"""soiree: ticker."""
