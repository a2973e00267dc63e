# The snooze links (docs/snooze.md): the Function App's anonymous `snooze` HTTP trigger,
# authorised by the HMAC-signed, expiring, single-use token in each link. The key lives in
# a Key Vault secret of the operator's (its value never passes through Terraform); the
# app's identity may read that secret, read VMs and read/write tags, nothing more.

variable "snooze_key_secret_url" {
  description = "Key Vault secret holding the snooze signing key (https://VAULT.vault.azure.net/secrets/NAME). Empty = snooze links off (the trigger answers 503)."
  type        = string
  default     = ""

  validation {
    condition     = var.snooze_key_secret_url == "" || can(regex("^https://[^/]+/secrets/[^/]+", var.snooze_key_secret_url))
    error_message = "snooze_key_secret_url: https://VAULT.vault.azure.net/secrets/NAME, or empty."
  }
}

variable "snooze_key_vault_id" {
  description = "Resource id of the Key Vault that holds the snooze key; the app's identity gets Key Vault Secrets User on it. Empty = grant it yourself."
  type        = string
  default     = ""
}

locals {
  snooze_on = var.snooze_key_secret_url != ""
}

resource "azurerm_role_definition" "snooze" {
  count             = local.snooze_on ? 1 : 0
  name              = "offhours snooze links (${var.name})"
  scope             = local.scopes[0]
  description       = "Read one resource and merge its schedule-override tag (offhours snooze links)."
  assignable_scopes = local.scopes

  permissions {
    actions = [
      "Microsoft.Compute/virtualMachines/read",
      "Microsoft.Resources/tags/read",
      "Microsoft.Resources/tags/write",
    ]
  }
}

resource "azurerm_role_assignment" "snooze" {
  for_each           = local.snooze_on ? toset(local.scopes) : toset([])
  scope              = each.value
  role_definition_id = azurerm_role_definition.snooze[0].role_definition_resource_id
  principal_id       = local.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_assignment" "snooze_key" {
  count                = local.snooze_on && var.snooze_key_vault_id != "" ? 1 : 0
  scope                = var.snooze_key_vault_id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = local.principal_id
  principal_type       = "ServicePrincipal"
}

output "snooze_url" {
  description = "The base URL of the snooze links (the notices' link maker takes it); empty without snooze_key_secret_url."
  value = local.snooze_on ? "https://${one(concat(
    azurerm_linux_function_app.offhours[*].default_hostname,
    azurerm_function_app_flex_consumption.offhours[*].default_hostname,
  ))}/api/snooze" : ""
}
