"""One-click snooze: signed links that keep one resource running past its stop.

``tokens`` signs and verifies the links, ``until`` turns an action into the override's
instant, ``pages`` renders what the browser shows, ``handler`` is the HTTP logic shared
by every cloud's entry point, ``links`` builds the links a notice carries and
``booking`` writes the snooze's ledger row. Nothing here knows a cloud: the resource is
read and tagged through a ``Desk`` each cloud provides.
"""
