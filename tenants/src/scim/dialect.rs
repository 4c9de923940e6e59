//! Filters as real clients write them where RFC 7644's grammar does not
//! allow it, rewritten into the grammar. Only a filter the grammar refused
//! comes here, so a valid filter is never reinterpreted.
//!
//! - A bare word as a comparison value is a string: `externalId eq jyoung`
//!   (Microsoft's provisioning guide writes it so; authentik's SCIM client
//!   sends `userName eq akadmin`). `true`, `false`, `null` and JSON numbers
//!   keep their meaning. A bare word followed by anything but `and`, `or`,
//!   `)` or `]` cannot be told apart from a value with spaces, and is
//!   refused with words saying so.
//! - A value path with a sub-attribute compares inside its brackets:
//!   `emails[type eq "work"].value eq "a@b"` is
//!   `emails[(type eq "work") and value eq "a@b"]`.

/// What the lenient reading made of a filter the grammar refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reading {
    /// The filter in RFC 7644 syntax.
    Rewritten(String),
    /// No leniency applies: the grammar's own error stands.
    Unchanged,
    /// A bare value whose end cannot be told; the words say why.
    Ambiguous(String),
}

const COMPARISONS: [&str; 9] = ["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Space(String),
    Word(String),
    /// A JSON string literal, quotes included.
    Str(String),
    Punct(char),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Space(s) | Tok::Word(s) | Tok::Str(s) => s.clone(),
            Tok::Punct(c) => c.to_string(),
        }
    }

    fn is_word(&self, any_of: &[&str]) -> bool {
        matches!(self, Tok::Word(w) if any_of.iter().any(|k| w.eq_ignore_ascii_case(k)))
    }
}

pub(crate) fn read(text: &str) -> Reading {
    let Some(mut toks) = tokens(text) else {
        return Reading::Unchanged;
    };
    let mut changed = match quote_bare_values(&mut toks) {
        Ok(changed) => changed,
        Err(why) => return Reading::Ambiguous(why),
    };
    while let Some(moved) = sub_attribute_into_brackets(&toks) {
        toks = moved;
        changed = true;
    }
    if changed {
        Reading::Rewritten(toks.iter().map(Tok::text).collect())
    } else {
        Reading::Unchanged
    }
}

/// The filter as tokens; `None` when a string literal is left open.
fn tokens(text: &str) -> Option<Vec<Tok>> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        let mut take_while = |keep: &dyn Fn(char) -> bool| {
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if !keep(c) {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            text[start..end].to_owned()
        };
        if c.is_whitespace() {
            toks.push(Tok::Space(take_while(&char::is_whitespace)));
        } else if matches!(c, '(' | ')' | '[' | ']') {
            chars.next();
            toks.push(Tok::Punct(c));
        } else if c == '"' {
            chars.next();
            let mut escaped = false;
            let end = loop {
                let (i, c) = chars.next()?;
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => break i + 1,
                    _ => escaped = false,
                }
            };
            toks.push(Tok::Str(text[start..end].to_owned()));
        } else {
            toks.push(Tok::Word(take_while(&|c: char| {
                !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '"')
            })));
        }
    }
    Some(toks)
}

/// Whether `w` is a comparison value the grammar already reads.
fn is_literal(w: &str) -> bool {
    matches!(w, "true" | "false" | "null") || is_json_number(w)
}

fn is_json_number(w: &str) -> bool {
    let w = w.strip_prefix('-').unwrap_or(w);
    let (mantissa, exponent) = match w.find(['e', 'E']) {
        Some(i) => (&w[..i], Some(&w[i + 1..])),
        None => (w, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int)
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(digits)
        && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// Quotes each bare comparison value; whether any was.
fn quote_bare_values(toks: &mut [Tok]) -> Result<bool, String> {
    let mut changed = false;
    for i in 2..toks.len().saturating_sub(2) {
        let attribute = matches!(&toks[i - 2], Tok::Word(_) | Tok::Punct(']'));
        if !attribute
            || !matches!(toks[i - 1], Tok::Space(_))
            || !toks[i].is_word(&COMPARISONS)
            || !matches!(toks[i + 1], Tok::Space(_))
        {
            continue;
        }
        let Tok::Word(value) = &toks[i + 2] else {
            continue;
        };
        if is_literal(value) {
            continue;
        }
        if value.starts_with('\'') {
            return Err(format!(
                "the value {value} is in single quotes: SCIM strings take double quotes, as in {op} \"{}\"",
                value.trim_matches('\''),
                op = toks[i].text(),
            ));
        }
        let after = &toks[i + 3..];
        let next = after.iter().find(|t| !matches!(t, Tok::Space(_)));
        let spaced = matches!(after.first(), Some(Tok::Space(_)));
        let ends = match next {
            None | Some(Tok::Punct(')' | ']')) => true,
            Some(t) => spaced && t.is_word(&["and", "or"]),
        };
        if !ends {
            let follower = next.map(Tok::text).unwrap_or_default();
            return Err(format!(
                "the value `{value}` after `{op}` is not in double quotes, and `{follower}` follows it, \
                 so where the value ends is unclear: quote the whole value, as in {op} \"{value}…\"",
                op = toks[i].text(),
            ));
        }
        toks[i + 2] = Tok::Str(serde_json::Value::String(value.clone()).to_string());
        changed = true;
    }
    Ok(changed)
}

/// The first `attr[filter].sub op value` with the comparison moved inside
/// the brackets, if there is one.
fn sub_attribute_into_brackets(toks: &[Tok]) -> Option<Vec<Tok>> {
    let close = (0..toks.len()).find(|&j| {
        toks[j] == Tok::Punct(']')
            && matches!(toks.get(j + 1), Some(Tok::Word(w)) if w.starts_with('.') && w.len() > 1)
    })?;
    let mut depth = 0usize;
    let open = (0..close).rev().find(|&o| {
        match toks[o] {
            Tok::Punct(']') => depth += 1,
            Tok::Punct('[') if depth == 0 => return true,
            Tok::Punct('[') => depth -= 1,
            _ => {}
        }
        false
    })?;
    let Tok::Word(sub) = &toks[close + 1] else {
        return None;
    };
    let sub = Tok::Word(sub[1..].to_owned());
    let space = || Tok::Space(" ".into());
    let (comparison, end) = match (toks.get(close + 2), toks.get(close + 3)) {
        (Some(Tok::Space(_)), Some(op)) if op.is_word(&["pr"]) => {
            (vec![sub, space(), op.clone()], close + 3)
        }
        (Some(Tok::Space(_)), Some(op)) if op.is_word(&COMPARISONS) => {
            match (toks.get(close + 4), toks.get(close + 5)) {
                (Some(Tok::Space(_)), Some(v @ (Tok::Str(_) | Tok::Word(_)))) => (
                    vec![sub, space(), op.clone(), space(), v.clone()],
                    close + 5,
                ),
                _ => return None,
            }
        }
        _ => return None,
    };
    let mut out = toks[..=open].to_vec();
    out.push(Tok::Punct('('));
    out.extend_from_slice(&toks[open + 1..close]);
    out.push(Tok::Punct(')'));
    out.extend([space(), Tok::Word("and".into()), space()]);
    out.extend(comparison);
    out.push(Tok::Punct(']'));
    out.extend_from_slice(&toks[end + 1..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str) -> String {
        match read(text) {
            Reading::Rewritten(t) => t,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn ambiguous(text: &str) -> String {
        match read(text) {
            Reading::Ambiguous(why) => why,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn a_bare_word_value_is_a_string() {
        assert_eq!(
            rewritten("externalId eq jyoung"),
            r#"externalId eq "jyoung""#
        );
        assert_eq!(rewritten("userName Eq akadmin"), r#"userName Eq "akadmin""#);
    }

    #[test]
    fn a_bare_word_may_hold_what_a_user_name_holds() {
        assert_eq!(
            rewritten("userName eq ada.lovelace+x@example.com"),
            r#"userName eq "ada.lovelace+x@example.com""#
        );
    }

    #[test]
    fn literals_keep_their_meaning_and_other_words_become_strings() {
        assert_eq!(read("active eq true"), Reading::Unchanged);
        assert_eq!(
            rewritten("active eq True and employeeNumber eq 007 and x eq 1.5"),
            r#"active eq "True" and employeeNumber eq "007" and x eq 1.5"#
        );
    }

    #[test]
    fn bare_values_end_at_and_or_and_brackets() {
        assert_eq!(
            rewritten("(userName eq a or userName eq b) and emails[type eq work]"),
            r#"(userName eq "a" or userName eq "b") and emails[type eq "work"]"#
        );
    }

    #[test]
    fn quoted_values_are_left_as_they_are() {
        assert_eq!(
            rewritten(r#"displayName eq "x eq y" and title eq boss"#),
            r#"displayName eq "x eq y" and title eq "boss""#
        );
    }

    #[test]
    fn a_bare_value_followed_by_another_word_is_ambiguous() {
        let why = ambiguous("displayName eq Sales Team");
        assert!(why.contains("`Sales`") && why.contains("`Team`"), "{why}");
    }

    #[test]
    fn a_bare_value_running_into_a_quote_is_ambiguous() {
        ambiguous(r#"displayName eq Sales"Team""#);
    }

    #[test]
    fn a_single_quoted_value_is_refused_with_the_double_quoted_form() {
        let why = ambiguous("userName eq 'ada'");
        assert!(why.contains(r#"eq "ada""#), "{why}");
        assert_eq!(
            rewritten("familyName eq O'Brien"),
            r#"familyName eq "O'Brien""#
        );
    }

    #[test]
    fn a_value_path_sub_attribute_compares_inside_the_brackets() {
        assert_eq!(
            rewritten(r#"emails[type eq "work"].value eq "a@example.com""#),
            r#"emails[(type eq "work") and value eq "a@example.com"]"#
        );
        assert_eq!(
            rewritten(r#"emails[type eq "work"].value pr and userName eq x"#),
            r#"emails[(type eq "work") and value pr] and userName eq "x""#
        );
    }

    #[test]
    fn an_open_string_is_left_to_the_grammar() {
        assert_eq!(read(r#"userName eq "x"#), Reading::Unchanged);
    }

    #[test]
    fn json_numbers_are_told_from_words() {
        for n in ["0", "-1", "12", "1.5", "1e9", "2E-3", "-0.5e+2"] {
            assert!(is_json_number(n), "{n}");
        }
        for w in ["007", "1.", ".5", "1e", "x1", "-", "1-2"] {
            assert!(!is_json_number(w), "{w}");
        }
    }
}
