"""A local, stateful fake of the Google Cloud REST APIs offhours calls.

No emulator exists for Compute Engine, Vertex AI Workbench or Vertex AI endpoints, so this
package answers their documented v1/v2 REST shapes (see ``compute`` and ``rest_apis`` for the
references followed) from an in-memory world. Tests and ``offhours demo`` point the real
client libraries at it::

    with start_gcp_fake() as fake:
        fake.add_instance("demo", "us-central1-a", "dev-1", "e2-standard-4", {"schedule": "x"})
        os.environ.update(fake.credential_env(tmp_dir))  # ADC: the fake's service account
        ...  # connect(ProviderConfig(endpoint_url=fake.url))
        assert fake.instance("demo", "us-central1-a", "dev-1")["status"] == "TERMINATED"

Every action answers with an operation that is ``PENDING``, ``RUNNING`` at its next read and
``DONE`` at the one after (``fail_operation``: done with ``error``; ``hold_operation``:
running until ``settle()``); the resource changes state when its operation is done.
"""

from sandbox.gcp_fake.server import GcpFake, route_for, route_names, start_gcp_fake

__all__ = ["GcpFake", "route_for", "route_names", "start_gcp_fake"]
