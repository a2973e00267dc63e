"""What runs: the scheduling run (``reconcile`` over targets, ``target_run`` per
target, ``planner`` deciding, ``bookings`` booking), the digest, the notices, the
snooze service and the inventory. No argument parsing and no cloud entry point here."""
