"""A local, stateful fake of the Google Cloud REST APIs offhours calls.

No emulator exists for Compute Engine, Vertex AI Workbench or Vertex AI endpoints, so this
package answers their documented v1/v2 REST shapes (see ``compute`` and ``rest_apis`` for the
references followed) from an in-memory world. Tests and ``offhours demo`` point the real
client libraries at it::

    with start_gcp_fake() as fake:
        fake.add_instance("demo", "us-central1-a", "dev-1", "e2-standard-4", {"schedule": "x"})
        ...  # clients with api_endpoint=fake.url
        assert fake.instance("demo", "us-central1-a", "dev-1")["status"] == "TERMINATED"

State changes are immediate: every action answers with a finished operation.
"""

from sandbox.gcp_fake.server import GcpFake, route_for, route_names, start_gcp_fake

__all__ = ["GcpFake", "route_for", "route_names", "start_gcp_fake"]
