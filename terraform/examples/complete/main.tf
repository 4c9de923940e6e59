# A complete Latchkey tenant as code: the tenant, an admin group with its
# members, a few users, a SCIM token for the HR system, and the URLs to give
# to that system and to relying parties.
#
#   export LATCHKEY_TOKEN=lkp_…        # a platform token
#   terraform init                      # or skip it with dev_overrides
#   terraform apply -var endpoint=http://127.0.0.1:8080

terraform {
  required_providers {
    latchkey = {
      source = "latchkey/latchkey"
    }
  }
}

variable "endpoint" {
  description = "The base URL of the Latchkey server."
  type        = string
}

variable "slug" {
  description = "The tenant's slug: its name in every URL."
  type        = string
  default     = "acme"
}

provider "latchkey" {
  endpoint = var.endpoint
  # token: from LATCHKEY_TOKEN, so that it never sits in a file.
}

resource "latchkey_tenant" "acme" {
  slug         = var.slug
  display_name = "Acme Corporation"
}

locals {
  people = {
    ada   = { given = "Ada", family = "Lovelace", admin = true }
    grace = { given = "Grace", family = "Hopper", admin = true }
    alan  = { given = "Alan", family = "Turing", admin = false }
  }
}

resource "latchkey_user" "people" {
  for_each = local.people

  tenant       = latchkey_tenant.acme.slug
  user_name    = each.key
  email        = "${each.key}@acme.example"
  given_name   = each.value.given
  family_name  = each.value.family
  display_name = "${each.value.given} ${each.value.family}"
}

resource "latchkey_group" "admins" {
  tenant       = latchkey_tenant.acme.slug
  display_name = "admins"
}

resource "latchkey_group_member" "admins" {
  for_each = { for name, person in local.people : name => person if person.admin }

  tenant   = latchkey_tenant.acme.slug
  group_id = latchkey_group.admins.id
  user_id  = latchkey_user.people[each.key].id
}

resource "latchkey_api_token" "scim" {
  tenant = latchkey_tenant.acme.slug
  name   = "hr-provisioning"
  scopes = ["scim"]
}

data "latchkey_jwks" "acme" {
  tenant = latchkey_tenant.acme.slug
}

output "scim_base_url" {
  description = "Give this to the HR or identity system, with the SCIM token."
  value       = "${trimsuffix(var.endpoint, "/")}/t/${latchkey_tenant.acme.slug}/scim/v2"
}

output "scim_token" {
  description = "The SCIM token's secret: `terraform output -raw scim_token`."
  value       = latchkey_api_token.scim.token
  sensitive   = true
}

output "jwks_url" {
  description = "Where relying parties fetch the tenant's signing keys."
  value       = data.latchkey_jwks.acme.url
}
