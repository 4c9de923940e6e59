use super::format::{mint, parse_token};
use super::{Scope, Scopes, TokenKind};
use crate::error::{AuthFailure, Error};

#[test]
fn a_platform_token_parses_as_platform() {
    let token = mint(TokenKind::Platform, None);
    assert!(token.starts_with("lkp_"));
    let parsed = parse_token(&token).unwrap();
    assert_eq!(parsed.kind, TokenKind::Platform);
    assert_eq!(parsed.tenant, None);
}

#[test]
fn a_tenant_token_carries_its_tenant() {
    let tenant = crate::TenantId::new();
    let parsed = parse_token(&mint(TokenKind::Scim, Some(tenant))).unwrap();
    assert_eq!(parsed.kind, TokenKind::Scim);
    assert_eq!(parsed.tenant, Some(tenant));
}

#[test]
fn two_tokens_never_share_a_secret() {
    assert_ne!(
        mint(TokenKind::Platform, None),
        mint(TokenKind::Platform, None)
    );
}

#[test]
fn a_foreign_or_truncated_token_is_malformed() {
    for bad in ["", "Bearer x", "ghp_abc", "lkp_", "lkp_abc", "lkt_!!!!"] {
        assert!(
            matches!(
                parse_token(bad),
                Err(Error::Unauthenticated(AuthFailure::Malformed))
            ),
            "{bad}"
        );
    }
    let platform_body = mint(TokenKind::Platform, None);
    let as_tenant = platform_body.replacen("lkp_", "lkt_", 1);
    assert!(
        parse_token(&as_tenant).is_err(),
        "a platform-sized body is not a tenant token"
    );
}

#[test]
fn admin_includes_read_but_not_scim() {
    let admin = Scopes::new(vec![Scope::Admin]);
    assert!(admin.allows(Scope::Read));
    assert!(!admin.allows(Scope::Scim));
    assert!(!Scopes::new(vec![Scope::Read]).allows(Scope::Admin));
}
