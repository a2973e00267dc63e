"""Azure: one adapter module per resource kind, plus the connection, store and prices.

``vms`` (deallocate/start), ``scale_sets`` (capacity to 0 and back), ``ml_compute``
(Azure ML compute instances), ``aks`` (cluster stop/start or user node pools to 0),
``blob_store`` (``azblob://`` object store), ``prices`` (bundled VM price table).
Nothing here imports an Azure SDK at import time.
"""
