//! The tenant's directory: users, groups and who is in which group.

pub(crate) mod cascade;
pub(crate) mod groups;
pub mod import;
pub(crate) mod users;

pub use groups::{Group, Groups, Member};
pub use users::{NewUser, User, UserKind, UserPatch, UserQuery, Users};

/// A `LIKE` pattern matching `needle` anywhere, with its wildcards escaped.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The key range holding every lowercased key that starts with `prefix`:
/// `[prefix, prefix with its last character incremented)`. Keys compare
/// bytewise (UTF-8 order is code point order), so the range is exact, and
/// any btree index on the key answers it.
pub(crate) fn prefix_range(prefix: &str) -> (String, String) {
    let from = prefix.to_lowercase();
    let mut chars: Vec<char> = from.chars().collect();
    while let Some(last) = chars.pop() {
        // The next code point, skipping the surrogate gap.
        let next = match last as u32 {
            0xD7FF => Some('\u{E000}'),
            n => char::from_u32(n + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return (from, chars.into_iter().collect());
        }
    }
    // Only U+10FFFF characters: everything from `from` on matches.
    (from, "\u{10FFFF}".repeat(64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_range_holds_exactly_the_keys_with_the_prefix() {
        let (from, to) = prefix_range("Ada");
        assert_eq!((from.as_str(), to.as_str()), ("ada", "adb"));
        for inside in ["ada", "adam", "ada@example.com", "ada\u{10FFFF}"] {
            assert!(inside >= from.as_str() && inside < to.as_str(), "{inside}");
        }
        for outside in ["ad", "adb", "adc", "ab", "bda"] {
            assert!(
                !(outside >= from.as_str() && outside < to.as_str()),
                "{outside}"
            );
        }
    }

    #[test]
    fn a_prefix_ending_in_the_last_code_point_carries_over() {
        let (_, to) = prefix_range("a\u{10FFFF}");
        assert_eq!(to, "b");
    }
}
