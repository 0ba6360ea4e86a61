"""The commands of the bottom layer: ``soiree ingest``, ``dump``, ``redis``, ``bench``.

Each is a thin shell over the other packages of :mod:`ingest`; the options every stream-touching
command shares are :mod:`ingest.commands.stream_options`. Never imported by a library module.
"""
