"""The cloud's own bill against the ledger: ``offhours bill check | opportunities``.

Reads a FOCUS cost export with DuckDB (the ``bill`` extra); never imported by a cloud
function's package.
"""
