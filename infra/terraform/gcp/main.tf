# offhours on Google Cloud: Cloud Scheduler -> Pub/Sub -> Cloud Function (2nd gen), ledger
# in GCS, a service account holding the custom role from infra/gcp/offhours-role.yaml.

locals {
  role_file = yamldecode(file("${path.module}/../../gcp/offhours-role.yaml"))
  # Storage permissions are granted on the ledger bucket alone (below), never project-wide.
  # resourcemanager.* only work in a role held at folder/organization level.
  role_permissions = [
    for p in local.role_file.includedPermissions : p
    if !startswith(p, "storage.") && (var.role_scope == "folder" || !startswith(p, "resourcemanager."))
  ]

  create_bkt  = var.existing_bucket_name == ""
  bucket_name = local.create_bkt ? google_storage_bucket.ledger[0].name : var.existing_bucket_name
  projects    = length(var.projects) > 0 ? var.projects : [var.project_id]

  schedule = var.schedule_minutes == 60 ? "0 * * * *" : "*/${var.schedule_minutes} * * * *"

  env = {
    LOG_LEVEL                 = var.log_level
    OFFHOURS_PROVIDERS        = "gcp"
    OFFHOURS_LEDGER           = "gs://${local.bucket_name}/offhours"
    OFFHOURS_TAG_KEY          = var.tag_key
    OFFHOURS_DEFAULT_TZ       = var.default_timezone
    OFFHOURS_PROTECTED        = join(",", [for key, values in var.protected_tags : "${key}=${join("|", values)}"])
    OFFHOURS_DRY_RUN          = tostring(var.dry_run)
    OFFHOURS_GCP_PROJECTS     = var.role_scope == "project" ? join(",", local.projects) : ""
    OFFHOURS_GCP_ORGANIZATION = var.role_scope == "folder" ? "folders/${var.folder_id}" : ""
    # functions/clouds/gcp_main.py defers targets it cannot finish within this budget.
    OFFHOURS_TIMEOUT_SECONDS = "540"
  }

  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
  ]
}

resource "google_project_service" "apis" {
  for_each           = var.enable_apis ? toset(local.apis) : toset([])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# ------------------------------------------------------------------ buckets

resource "google_storage_bucket" "ledger" {
  count                       = local.create_bkt ? 1 : 0
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name}-ledger"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  versioning {
    enabled = true
  }

  # Run state is rewritten every run: keep old versions a month for debugging.
  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      days_since_noncurrent_time = 30
      matches_prefix             = ["offhours/state/"]
      with_state                 = "ARCHIVED"
    }
  }
}

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels

  versioning {
    enabled = true
  }
}

resource "google_storage_bucket_object" "source" {
  # The object name carries the artefact's hash, so a new build redeploys the function.
  name   = "offhours-gcp-${filemd5(var.package_path)}.zip"
  bucket = google_storage_bucket.source.name
  source = var.package_path
}

# ------------------------------------------------------------------ identity

resource "google_service_account" "offhours" {
  project      = var.project_id
  account_id   = "${var.name}-scheduler"
  display_name = "offhours scheduler"
}

resource "google_project_iam_custom_role" "offhours" {
  count       = var.role_scope == "project" ? 1 : 0
  project     = var.project_id
  role_id     = replace("${var.name}_scheduler", "-", "_")
  title       = local.role_file.title
  description = local.role_file.description
  stage       = try(local.role_file.stage, "GA")
  permissions = local.role_permissions
}

resource "google_project_iam_member" "offhours" {
  for_each = var.role_scope == "project" ? toset(local.projects) : toset([])
  project  = each.value
  role     = google_project_iam_custom_role.offhours[0].id
  member   = "serviceAccount:${google_service_account.offhours.email}"
}

resource "google_organization_iam_custom_role" "offhours" {
  count       = var.role_scope == "folder" ? 1 : 0
  org_id      = var.organization_id
  role_id     = replace("${var.name}_scheduler", "-", "_")
  title       = local.role_file.title
  description = local.role_file.description
  stage       = try(local.role_file.stage, "GA")
  permissions = local.role_permissions
}

resource "google_folder_iam_member" "offhours" {
  count  = var.role_scope == "folder" ? 1 : 0
  folder = "folders/${var.folder_id}"
  role   = google_organization_iam_custom_role.offhours[0].id
  member = "serviceAccount:${google_service_account.offhours.email}"
}

resource "google_storage_bucket_iam_member" "ledger_objects" {
  bucket = local.bucket_name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.offhours.email}"
}

resource "google_storage_bucket_iam_member" "ledger_bucket" {
  bucket = local.bucket_name
  role   = "roles/storage.legacyBucketReader"
  member = "serviceAccount:${google_service_account.offhours.email}"
}

# ------------------------------------------------------------------ trigger and function

resource "google_pubsub_topic" "run" {
  project                    = var.project_id
  name                       = "${var.name}-run"
  message_retention_duration = "86400s"
  labels                     = var.labels

  depends_on = [google_project_service.apis]
}

resource "google_cloud_scheduler_job" "run" {
  project   = var.project_id
  region    = var.region
  name      = "${var.name}-run"
  schedule  = local.schedule
  time_zone = "Etc/UTC"

  # The function takes `now` from the message's publishTime (kept on redelivery), so a
  # retried delivery is the same run. Cloud Scheduler cannot template the body.
  pubsub_target {
    topic_name = google_pubsub_topic.run.id
    data       = base64encode("{}")
  }

  retry_config {
    retry_count = 1
  }

  depends_on = [google_project_service.apis]
}

# The daily inventory: the same topic and function, a body that names the job.
resource "google_cloud_scheduler_job" "inventory" {
  project   = var.project_id
  region    = var.region
  name      = "${var.name}-inventory"
  schedule  = var.inventory_schedule
  time_zone = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.run.id
    data       = base64encode(jsonencode({ action = "inventory" }))
  }

  retry_config {
    retry_count = 1
  }

  depends_on = [google_project_service.apis]
}

resource "google_cloudfunctions2_function" "offhours" {
  project     = var.project_id
  location    = var.region
  name        = "${var.name}-scheduler"
  description = "offhours scheduler: stop and start schedule-labelled resources"
  labels      = var.labels

  build_config {
    runtime     = "python312"
    entry_point = var.entry_point

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    # One run at a time, like the AWS scheduler's reserved concurrency of 1.
    max_instance_count               = 1
    min_instance_count               = 0
    available_memory                 = "512M"
    timeout_seconds                  = 540
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.offhours.email
    environment_variables            = local.env
    max_instance_request_concurrency = 1
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.run.id
    retry_policy          = "RETRY_POLICY_DO_NOT_RETRY"
    service_account_email = google_service_account.offhours.email
  }

  depends_on = [google_project_service.apis]
}

# Eventarc delivers the Pub/Sub message through the function's Cloud Run service.
resource "google_cloud_run_service_iam_member" "trigger" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.offhours.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.offhours.email}"
}
