# The snooze links (docs/snooze.md): an HTTP Cloud Function anyone may call, because the
# HMAC-signed, expiring, single-use token in each link is the authorisation. Its own
# service account holds the custom role in infra/gcp/snooze-role.yaml (read one VM, set its
# labels, read the key) and may write only the snooze prefixes of the ledger bucket.

variable "snooze_links" {
  description = "Serve the one-click snooze links (an HTTP Cloud Function and its signing-key secret)."
  type        = bool
  default     = true
}

variable "snooze_max_hours" {
  description = "The longest a snooze link keeps a resource running, in hours from its confirmation (1-168)."
  type        = number
  default     = 24

  validation {
    condition     = var.snooze_max_hours >= 1 && var.snooze_max_hours <= 168
    error_message = "snooze_max_hours must be between 1 and 168."
  }
}

locals {
  snooze_count    = var.snooze_links ? 1 : 0
  snooze_role     = yamldecode(file("${path.module}/../../gcp/snooze-role.yaml"))
  snooze_projects = var.snooze_links ? toset(local.projects) : toset([])

  snooze_env = {
    LOG_LEVEL                  = var.log_level
    OFFHOURS_PROVIDERS         = "gcp"
    OFFHOURS_LEDGER            = "gs://${local.bucket_name}/offhours"
    OFFHOURS_TAG_KEY           = var.tag_key
    OFFHOURS_DEFAULT_TZ        = var.default_timezone
    OFFHOURS_PROTECTED         = var.protected_tags
    OFFHOURS_GCP_PROJECTS      = join(",", local.projects)
    OFFHOURS_SNOOZE_KEY_SECRET = one(google_secret_manager_secret.snooze_key[*].id)
    OFFHOURS_SNOOZE_MAX_HOURS  = tostring(var.snooze_max_hours)
  }
}

resource "google_project_service" "secretmanager" {
  count              = var.snooze_links && var.enable_apis ? 1 : 0
  project            = var.project_id
  service            = "secretmanager.googleapis.com"
  disable_on_destroy = false
}

# The key's value is added once by the operator (docs/snooze.md), so it never lands in the
# Terraform state: gcloud secrets versions add NAME --data-file=<(openssl rand -base64 48)
resource "google_secret_manager_secret" "snooze_key" {
  count     = local.snooze_count
  project   = var.project_id
  secret_id = "${var.name}-snooze-key"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.secretmanager]
}

resource "google_service_account" "snooze" {
  count        = local.snooze_count
  project      = var.project_id
  account_id   = "${var.name}-snooze"
  display_name = "offhours snooze links"
}

resource "google_project_iam_custom_role" "snooze" {
  count       = local.snooze_count
  project     = var.project_id
  role_id     = replace("${var.name}_snooze", "-", "_")
  title       = local.snooze_role.title
  description = local.snooze_role.description
  stage       = try(local.snooze_role.stage, "GA")
  # The key is granted on its secret alone (below), never project-wide.
  permissions = [for p in local.snooze_role.includedPermissions : p if !startswith(p, "secretmanager.")]
}

resource "google_project_iam_member" "snooze" {
  for_each = local.snooze_projects
  project  = each.value
  role     = google_project_iam_custom_role.snooze[0].id
  member   = "serviceAccount:${google_service_account.snooze[0].email}"
}

resource "google_secret_manager_secret_iam_member" "snooze_key" {
  count     = local.snooze_count
  project   = var.project_id
  secret_id = google_secret_manager_secret.snooze_key[0].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.snooze[0].email}"
}

resource "google_storage_bucket_iam_member" "snooze_objects" {
  count  = local.snooze_count
  bucket = local.bucket_name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.snooze[0].email}"

  condition {
    title      = "snooze-prefixes"
    expression = "resource.name.startsWith(\"projects/_/buckets/${local.bucket_name}/objects/offhours/snooze/\") || resource.name.startsWith(\"projects/_/buckets/${local.bucket_name}/objects/offhours/ledger/\")"
  }
}

resource "google_cloudfunctions2_function" "snooze" {
  #checkov:skip=CKV_GCP_124:the links are opened from anyone's mail client, so ingress is public; the signed token authorises
  count       = local.snooze_count
  project     = var.project_id
  location    = var.region
  name        = "${var.name}-snooze"
  description = "offhours snooze links: keep one VM running, by a signed link"
  labels      = var.labels

  build_config {
    runtime     = "python312"
    entry_point = "snooze_http"

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    # A public URL: cap what a flood of requests can cost.
    max_instance_count               = 2
    min_instance_count               = 0
    available_memory                 = "256M"
    timeout_seconds                  = 30
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.snooze[0].email
    max_instance_request_concurrency = 4
    environment_variables            = local.snooze_env
  }

  depends_on = [google_project_service.apis]
}

# Mail recipients have no Google identity: the signed token is the authorisation.
resource "google_cloud_run_service_iam_member" "snooze_public" {
  #checkov:skip=CKV_GCP_102:the snooze links are public by design; each request carries an HMAC-signed, expiring, single-use token
  count    = local.snooze_count
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.snooze[0].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

output "snooze_url" {
  description = "The base URL of the snooze links (the notices' link maker takes it); empty without snooze_links."
  value       = var.snooze_links ? google_cloudfunctions2_function.snooze[0].service_config[0].uri : ""
}

output "snooze_key_secret" {
  description = "The Secret Manager secret of the snooze signing key (add its value once); empty without snooze_links."
  value       = var.snooze_links ? google_secret_manager_secret.snooze_key[0].id : ""
}
