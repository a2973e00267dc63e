"""The product's code paths, grouped by who calls them.

``functions/jobs/``: what runs (the scheduling run, the digest, notices, snooze, the
inventory); ``functions/cli/``: the ``offhours`` command; ``functions/clouds/``: the cloud
entry points. The modules here (settings, wiring, errors, mail, the read-only store) are
shared by all three.
"""
