"""Plumbing every command and loop shares: backoff, cancellation, secrets kept out of logs.

May import :mod:`ingest.model` only.
"""
