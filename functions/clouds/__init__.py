"""The cloud entry points: the AWS Lambda handlers, the GCP Cloud Functions and
the Azure Function App. Each turns its platform's event into Settings and calls a job
from ``functions.jobs``; ``entry`` is what they share."""
