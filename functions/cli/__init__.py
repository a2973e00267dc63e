"""The ``offhours`` command: ``main`` dispatches to one module per subcommand
(run, digest, ledger, schedule, demo, inventory); ``display`` prints their reports."""
