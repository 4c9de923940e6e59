//! A slug suggested from an organization's name.

use crate::tenant::validate_slug;

/// `"Café Zürich GmbH"` → `"cafe-zurich-gmbh"`: Latin letters folded to
/// ASCII, everything else a hyphen, cut to a valid length, and nudged away
/// from reserved words. Always a valid slug.
pub fn from_name(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = fold(c);
        if folded.is_empty() {
            if !slug.ends_with('-') {
                slug.push('-');
            }
        } else {
            slug.push_str(folded);
        }
    }
    let mut slug = slug
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        slug.insert_str(0, "org-");
    }
    truncate(&mut slug, 63);
    if slug.len() < 3 || validate_slug(&slug).is_err() {
        truncate(&mut slug, 59);
        slug.push_str("-org");
    }
    if validate_slug(&slug).is_err() {
        slug = "my-org".into();
    }
    slug
}

/// Appends `-n`, keeping the slug within 63 characters.
pub fn numbered(base: &str, n: u32) -> String {
    let suffix = format!("-{n}");
    let mut slug = base.to_owned();
    truncate(&mut slug, 63 - suffix.len());
    slug.push_str(&suffix);
    slug
}

fn truncate(slug: &mut String, max: usize) {
    if slug.len() > max {
        slug.truncate(max);
    }
    while slug.ends_with('-') {
        slug.pop();
    }
}

fn fold(c: char) -> &'static str {
    const PLAIN: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    if c.is_ascii_lowercase() || c.is_ascii_digit() {
        let i = PLAIN.find(c).unwrap_or(0);
        return &PLAIN[i..i + 1];
    }
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ť' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        '&' => "-and-",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_becomes_a_lowercase_hyphenated_slug() {
        assert_eq!(from_name("Acme Corp, Inc."), "acme-corp-inc");
        assert_eq!(from_name("  Café Zürich GmbH "), "cafe-zurich-gmbh");
        assert_eq!(from_name("Smith & Sons"), "smith-and-sons");
    }

    #[test]
    fn suggestions_are_always_valid_slugs() {
        for name in [
            "42",
            "X",
            "Admin",
            "日本",
            "",
            &"Long name ".repeat(20),
            "a--b",
        ] {
            let slug = from_name(name);
            assert!(validate_slug(&slug).is_ok(), "{name:?} -> {slug}");
        }
        assert_eq!(from_name("42 Labs"), "org-42-labs");
        assert_eq!(from_name("Admin"), "admin-org");
    }

    #[test]
    fn numbering_keeps_the_slug_short_enough() {
        assert_eq!(numbered("acme", 2), "acme-2");
        assert_eq!(numbered(&"x".repeat(63), 12).len(), 63);
    }
}
