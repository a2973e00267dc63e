# offhours on Azure: a Linux Python Function App (timer trigger) with a system-assigned
# managed identity that holds the custom role from infra/azure/offhours-role.json on each
# scheduled subscription, and writes the ledger to a private blob container.

data "azurerm_client_config" "current" {}

locals {
  role_file     = jsondecode(file("${path.module}/../../azure/offhours-role.json"))
  subscriptions = length(var.subscription_ids) > 0 ? var.subscription_ids : [data.azurerm_client_config.current.subscription_id]
  scopes        = [for s in local.subscriptions : "/subscriptions/${s}"]
  # With action_scopes, the role file splits in two: its reads on each subscription (so
  # discovery sees everything), its changes on those resource groups only.
  scoped_changes = length(var.action_scopes) > 0
  read_actions   = [for a in local.role_file.Actions : a if endswith(lower(a), "/read")]
  change_actions = [for a in local.role_file.Actions : a if !endswith(lower(a), "/read")]

  # Storage account names: 3-24 lowercase letters and digits, globally unique.
  storage_name = substr("${replace(var.name, "-", "")}${md5("${data.azurerm_client_config.current.subscription_id}/${var.resource_group_name}")}", 0, 24)

  app_settings = {
    LOG_LEVEL = var.log_level
    # Timer binding expressions (functions/clouds/azure_function_app.py: %OFFHOURS_CRON%, ...).
    OFFHOURS_CRON                                     = var.schedule_minutes == 60 ? "0 0 * * * *" : "0 */${var.schedule_minutes} * * * *"
    OFFHOURS_RUN_INTERVAL_MINUTES                     = tostring(var.schedule_minutes)
    OFFHOURS_DIGEST_CRON                              = var.digest_cron
    OFFHOURS_INVENTORY_CRON                           = var.inventory_cron
    OFFHOURS_PROVIDERS                                = "azure"
    OFFHOURS_LEDGER                                   = "azblob://${azurerm_storage_account.offhours.name}/${azurerm_storage_container.ledger.name}/offhours"
    OFFHOURS_AZURE_SUBSCRIPTIONS                      = join(",", local.subscriptions)
    OFFHOURS_TAG_KEY                                  = var.tag_key
    OFFHOURS_DEFAULT_TZ                               = var.default_timezone
    OFFHOURS_PROTECTED                                = join(",", [for key, values in var.protected_tags : "${key}=${join("|", values)}"])
    OFFHOURS_DRY_RUN                                  = tostring(var.dry_run)
    OFFHOURS_SNOOZE_KEY_SECRET                        = var.snooze_key_secret_url
    AzureFunctionsJobHost__logging__logLevel__default = var.log_level == "DEBUG" ? "Debug" : "Information"
    # Weekly digest over SMTP (the one SMTP server of the digest and the notices); the
    # password is a Key Vault reference, never a literal.
    OFFHOURS_DIGEST_TRANSPORT = "smtp"
    OFFHOURS_DIGEST_TZ        = var.default_timezone
    OFFHOURS_DIGEST_TO        = join(",", var.digest_to)
    OFFHOURS_DIGEST_SENDER    = var.digest_sender
    OFFHOURS_SMTP_HOST        = var.smtp_host
    OFFHOURS_SMTP_PORT        = tostring(var.smtp_port)
    OFFHOURS_SMTP_USERNAME    = var.smtp_username
    OFFHOURS_SMTP_PASSWORD    = var.smtp_password_reference
  }
}

resource "azurerm_resource_group" "offhours" {
  name     = var.resource_group_name
  location = var.location
  tags     = var.tags
}

# ------------------------------------------------------------------ storage

resource "azurerm_storage_account" "offhours" {
  name                            = local.storage_name
  resource_group_name             = azurerm_resource_group.offhours.name
  location                        = azurerm_resource_group.offhours.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  # The Functions host needs shared keys (AzureWebJobsStorage); SAS tokens expire in a day.
  shared_access_key_enabled = true
  tags                      = var.tags

  sas_policy {
    expiration_period = "1.00:00:00"
    expiration_action = "Log"
  }

  blob_properties {
    versioning_enabled = true

    delete_retention_policy {
      days = 7
    }

    container_delete_retention_policy {
      days = 7
    }
  }
}

resource "azurerm_storage_container" "ledger" {
  name                  = "offhours-ledger"
  storage_account_id    = azurerm_storage_account.offhours.id
  container_access_type = "private"
}

# Linux Consumption runs a zip only from a URL (WEBSITE_RUN_FROM_PACKAGE=<URL>): the package
# is a blob named by its hash (a new build is a new blob, and the app restarts onto it),
# read through a read-only SAS on its private container. The zip vendors its dependencies,
# so no remote build is needed (and none is configured).
resource "azurerm_storage_container" "packages" {
  count                 = var.plan == "consumption" ? 1 : 0
  name                  = "offhours-packages"
  storage_account_id    = azurerm_storage_account.offhours.id
  container_access_type = "private"
}

resource "azurerm_storage_blob" "package" {
  count                  = var.plan == "consumption" ? 1 : 0
  name                   = "offhours-azure-${filesha256(var.package_path)}.zip"
  storage_account_name   = azurerm_storage_account.offhours.name
  storage_container_name = azurerm_storage_container.packages[0].name
  type                   = "Block"
  source                 = var.package_path
  content_md5            = filemd5(var.package_path)
}

data "azurerm_storage_account_blob_container_sas" "package" {
  count             = var.plan == "consumption" ? 1 : 0
  connection_string = azurerm_storage_account.offhours.primary_connection_string
  container_name    = azurerm_storage_container.packages[0].name
  https_only        = true
  start             = var.package_url_start
  expiry            = var.package_url_expiry

  permissions {
    read   = true
    add    = false
    create = false
    write  = false
    delete = false
    list   = false
  }
}

resource "azurerm_storage_container" "deployments" {
  count                 = var.plan == "flex" ? 1 : 0
  name                  = "offhours-deployments"
  storage_account_id    = azurerm_storage_account.offhours.id
  container_access_type = "private"
}

# Run state is rewritten every run: keep old versions a month for debugging.
resource "azurerm_storage_management_policy" "ledger" {
  storage_account_id = azurerm_storage_account.offhours.id

  rule {
    name    = "expire-old-state-versions"
    enabled = true

    filters {
      blob_types   = ["blockBlob"]
      prefix_match = ["${azurerm_storage_container.ledger.name}/offhours/state/"]
    }

    actions {
      version {
        delete_after_days_since_creation = 30
      }
    }
  }
}

# ------------------------------------------------------------------ logs

resource "azurerm_log_analytics_workspace" "offhours" {
  name                = "${var.name}-logs"
  resource_group_name = azurerm_resource_group.offhours.name
  location            = azurerm_resource_group.offhours.location
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = var.tags
}

resource "azurerm_application_insights" "offhours" {
  name                = "${var.name}-insights"
  resource_group_name = azurerm_resource_group.offhours.name
  location            = azurerm_resource_group.offhours.location
  workspace_id        = azurerm_log_analytics_workspace.offhours.id
  application_type    = "other"
  tags                = var.tags
}

# ------------------------------------------------------------------ function app

resource "azurerm_service_plan" "offhours" {
  name                = "${var.name}-plan"
  resource_group_name = azurerm_resource_group.offhours.name
  location            = azurerm_resource_group.offhours.location
  os_type             = "Linux"
  sku_name            = var.plan == "flex" ? "FC1" : "Y1"
  tags                = var.tags
}

resource "azurerm_linux_function_app" "offhours" {
  count                       = var.plan == "consumption" ? 1 : 0
  name                        = "${var.name}-${substr(local.storage_name, length(replace(var.name, "-", "")), 8)}"
  resource_group_name         = azurerm_resource_group.offhours.name
  location                    = azurerm_resource_group.offhours.location
  service_plan_id             = azurerm_service_plan.offhours.id
  storage_account_name        = azurerm_storage_account.offhours.name
  storage_account_access_key  = azurerm_storage_account.offhours.primary_access_key
  functions_extension_version = "~4"
  https_only                  = true
  app_settings = merge(local.app_settings, {
    WEBSITE_RUN_FROM_PACKAGE = "${azurerm_storage_blob.package[0].url}${data.azurerm_storage_account_blob_container_sas.package[0].sas}"
  })
  tags = var.tags

  identity {
    type = "SystemAssigned"
  }

  site_config {
    application_insights_connection_string = azurerm_application_insights.offhours.connection_string
    ftps_state                             = "Disabled"
    minimum_tls_version                    = "1.2"
    http2_enabled                          = true

    application_stack {
      python_version = var.python_version
    }
  }
}

resource "azurerm_function_app_flex_consumption" "offhours" {
  count                       = var.plan == "flex" ? 1 : 0
  name                        = "${var.name}-${substr(local.storage_name, length(replace(var.name, "-", "")), 8)}"
  resource_group_name         = azurerm_resource_group.offhours.name
  location                    = azurerm_resource_group.offhours.location
  service_plan_id             = azurerm_service_plan.offhours.id
  storage_container_type      = "blobContainer"
  storage_container_endpoint  = "${azurerm_storage_account.offhours.primary_blob_endpoint}${azurerm_storage_container.deployments[0].name}"
  storage_authentication_type = "StorageAccountConnectionString"
  storage_access_key          = azurerm_storage_account.offhours.primary_access_key
  runtime_name                = "python"
  runtime_version             = var.python_version
  https_only                  = true
  app_settings                = local.app_settings
  tags                        = var.tags

  identity {
    type = "SystemAssigned"
  }

  site_config {
    application_insights_connection_string = azurerm_application_insights.offhours.connection_string
    minimum_tls_version                    = "1.2"
    http2_enabled                          = true
  }
}

locals {
  principal_id = one(concat(
    azurerm_linux_function_app.offhours[*].identity[0].principal_id,
    azurerm_function_app_flex_consumption.offhours[*].identity[0].principal_id,
  ))
  function_app_name = one(concat(
    azurerm_linux_function_app.offhours[*].name,
    azurerm_function_app_flex_consumption.offhours[*].name,
  ))
}

# ------------------------------------------------------------------ permissions

resource "azurerm_role_definition" "offhours" {
  name              = "${local.role_file.Name} (${var.name})"
  scope             = local.scopes[0]
  description       = local.role_file.Description
  assignable_scopes = local.scopes

  permissions {
    actions          = local.scoped_changes ? local.read_actions : local.role_file.Actions
    not_actions      = try(local.role_file.NotActions, [])
    data_actions     = try(local.role_file.DataActions, [])
    not_data_actions = try(local.role_file.NotDataActions, [])
  }
}

# The role file's changes (deallocate, start, stop, scale writes), held on the resource
# groups of var.action_scopes only. Resource groups of the scheduled subscriptions are
# inside the assignable scopes.
resource "azurerm_role_definition" "offhours_changes" {
  count             = local.scoped_changes ? 1 : 0
  name              = "${local.role_file.Name} changes (${var.name})"
  scope             = local.scopes[0]
  description       = "The changes of the offhours scheduler role, granted on chosen resource groups."
  assignable_scopes = local.scopes

  permissions {
    actions = local.change_actions
  }
}

resource "azurerm_role_assignment" "offhours_changes" {
  for_each           = local.scoped_changes ? toset(var.action_scopes) : toset([])
  scope              = each.value
  role_definition_id = azurerm_role_definition.offhours_changes[0].role_definition_resource_id
  principal_id       = local.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "offhours" {
  for_each           = toset(local.scopes)
  scope              = each.value
  role_definition_id = azurerm_role_definition.offhours.role_definition_resource_id
  principal_id       = local.principal_id
  principal_type     = "ServicePrincipal"
}

# The ledger: read and write blobs in its own container only.
resource "azurerm_role_assignment" "ledger" {
  scope                = azurerm_storage_container.ledger.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}
