//! Versions as entity tags, for REST and SCIM alike. The REST API sends
//! strong tags (`"3"`); SCIM sends weak ones (`W/"3"`), as RFC 7644 §3.14
//! shows them. Both accept either form back, and `*`.

/// What an `If-Match` value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// `*`: whatever version is current.
    Any,
    Version(i64),
}

/// Reads `"3"`, `W/"3"` or a bare `3`; `None` when it names no version
/// this server could have issued.
pub fn parse(value: &str) -> Option<Named> {
    let tag = value.trim().trim_start_matches("W/").trim_matches('"');
    if tag == "*" {
        return Some(Named::Any);
    }
    tag.parse().ok().map(Named::Version)
}

/// An `If-Match` that names no version this server issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoVersion;

/// The version an `If-Match` header asks for: `Ok(None)` when there is no
/// header or it names any version.
pub fn expected_version(if_match: Option<&str>) -> Result<Option<i64>, NoVersion> {
    match if_match.map(parse) {
        None | Some(Some(Named::Any)) => Ok(None),
        Some(Some(Named::Version(v))) => Ok(Some(v)),
        Some(None) => Err(NoVersion),
    }
}

/// Whether an `If-None-Match` list names `current` (or `*`), comparing
/// weakly (RFC 9110 §13.1.2): `"1"` matches `W/"1"`.
pub fn none_match_hits(if_none_match: &str, current: i64) -> bool {
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || parse(t) == Some(Named::Version(current)))
}

/// The REST API's tag for a version.
pub fn strong(version: i64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_weak_and_bare_tags_name_the_same_version() {
        for tag in ["\"3\"", "W/\"3\"", "3", " W/\"3\" "] {
            assert_eq!(parse(tag), Some(Named::Version(3)), "{tag}");
        }
        assert_eq!(parse("*"), Some(Named::Any));
        assert_eq!(parse("\"abc\""), None);
    }

    #[test]
    fn an_if_match_that_names_no_version_is_an_error() {
        assert_eq!(expected_version(None), Ok(None));
        assert_eq!(expected_version(Some("*")), Ok(None));
        assert_eq!(expected_version(Some("W/\"7\"")), Ok(Some(7)));
        assert_eq!(expected_version(Some("nope")), Err(NoVersion));
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_any() {
        assert!(none_match_hits("\"1\"", 1));
        assert!(none_match_hits("W/\"2\", W/\"1\"", 1));
        assert!(none_match_hits("*", 9));
        assert!(!none_match_hits("W/\"2\"", 1));
    }
}
