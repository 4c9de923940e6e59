//! Filters as SQL: the shapes that matter for the indexes, and any filter
//! text translated or refused, never a panic.

use proptest::prelude::*;

use super::*;
use crate::scim::schema::{ENTERPRISE_USER, GROUP_TYPE, USER_TYPE};

fn translate(rt: &'static ResourceType, backend: Backend, text: &str) -> Result<Sql> {
    let f = parse(text)?;
    let mut sql = Sql::new(backend);
    Translator::new(rt, backend).filter(&mut sql, &f)?;
    Ok(sql)
}

fn placeholders(sql: &Sql) -> usize {
    let sigil = if sql.backend == Backend::Postgres {
        '$'
    } else {
        '?'
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut chars = sql.text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == sigil {
            let mut n = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n.push(*d);
                chars.next();
            }
            seen.insert(n);
        }
    }
    seen.len()
}

#[test]
fn a_user_name_lookup_is_one_comparison_of_the_key_column() {
    let sql = translate(&USER_TYPE, Backend::Postgres, r#"userName eq "Ada""#).unwrap();
    assert_eq!(sql.text, "(r.user_name_key = $1)");
    assert_eq!(sql.binds, vec![Bind::Text("ada".into())]);
}

#[test]
fn a_value_path_is_one_exists_over_the_same_value_row() {
    let sql = translate(
        &USER_TYPE,
        Backend::Sqlite,
        r#"emails[type eq "work" and value co "@Example.com"]"#,
    )
    .unwrap();
    assert!(sql.text.starts_with("EXISTS (SELECT 1 FROM user_values v"));
    assert_eq!(sql.text.matches("EXISTS").count(), 1);
    assert!(sql.binds.contains(&Bind::Text("%@example.com%".into())));
}

#[test]
fn user_name_containment_on_postgres_takes_the_ids_from_the_trigram_view() {
    let sql = translate(&USER_TYPE, Backend::Postgres, r#"userName co "Ada""#).unwrap();
    assert_eq!(
        sql.text,
        "(r.id = ANY (ARRAY(SELECT s.id FROM user_name_search s \
         WHERE s.user_name_key LIKE $1 ESCAPE '\\')))"
    );
    assert_eq!(sql.binds, vec![Bind::Text("%ada%".into())]);
}

#[test]
fn a_user_name_ending_on_sqlite_takes_the_rowids_from_the_trigram_table() {
    let sql = translate(&USER_TYPE, Backend::Sqlite, r#"userName ew "Smith""#).unwrap();
    assert_eq!(
        sql.text,
        "(r.rowid IN (SELECT rowid FROM user_name_search WHERE user_name_search MATCH ?1) \
         AND r.user_name_key LIKE ?2 ESCAPE '\\')"
    );
    assert_eq!(
        sql.binds,
        vec![Bind::Text("\"smith\"".into()), Bind::Text("%smith".into())]
    );
}

#[test]
fn a_double_quote_in_a_user_name_search_stays_inside_the_fts5_phrase() {
    let sql = translate(&USER_TYPE, Backend::Sqlite, r#"userName co "a\"b OR c""#).unwrap();
    assert_eq!(sql.binds[0], Bind::Text(r#""a""b or c""#.into()));
}

#[test]
fn a_user_name_too_short_for_a_trigram_is_tested_name_by_name() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let sql = translate(&USER_TYPE, backend, r#"userName co "ad""#).unwrap();
        assert!(
            sql.text.starts_with("(r.user_name_key LIKE "),
            "{}",
            sql.text
        );
    }
}

#[test]
fn like_wildcards_in_a_user_name_search_are_escaped_for_the_trigram_index() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let sql = translate(&USER_TYPE, backend, r#"userName co "n_s%\\""#).unwrap();
        assert!(sql.text.contains("user_name_search"), "{}", sql.text);
        assert!(
            sql.binds.contains(&Bind::Text(r"%n\_s\%\\%".into())),
            "{:?}",
            sql.binds
        );
    }
}

#[test]
fn case_exact_containment_on_sqlite_uses_glob() {
    let sql = translate(&USER_TYPE, Backend::Sqlite, r#"externalId co "A*b""#).unwrap();
    assert!(sql.text.contains("GLOB"), "{}", sql.text);
    assert_eq!(sql.binds, vec![Bind::Text("*A[*]b*".into())]);
}

#[test]
fn enterprise_attributes_need_their_urn() {
    let with = format!(r#"{ENTERPRISE_USER}:department eq "Math""#);
    assert!(translate(&USER_TYPE, Backend::Postgres, &with).is_ok());
    let without = translate(&USER_TYPE, Backend::Postgres, r#"department eq "Math""#);
    assert!(matches!(
        without,
        Err(Error::Scim {
            kind: ScimError::InvalidFilter,
            ..
        })
    ));
}

#[test]
fn a_boolean_cannot_be_ordered() {
    let r = translate(&USER_TYPE, Backend::Postgres, "active gt true");
    assert!(matches!(
        r,
        Err(Error::Scim {
            kind: ScimError::InvalidFilter,
            ..
        })
    ));
}

#[test]
fn a_negation_counts_a_missing_attribute_as_not_matching() {
    let sql = translate(&USER_TYPE, Backend::Postgres, r#"not (title eq "x")"#).unwrap();
    assert!(sql.text.starts_with("NOT COALESCE(("), "{}", sql.text);
}

fn attribute() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "id",
            "externalId",
            "userName",
            "displayName",
            "name.givenName",
            "name.familyName",
            "name.formatted",
            "title",
            "active",
            "emails",
            "emails.value",
            "emails.type",
            "emails.primary",
            "addresses.locality",
            "phoneNumbers.value",
            "x509Certificates.value",
            "groups",
            "groups.value",
            "meta.created",
            "meta.lastModified",
            "meta.resourceType",
            "members",
            "members.value",
            "password",
            "name",
            "shoeSize",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        ][..],
    )
    .prop_map(String::from)
}

fn comparison() -> impl Strategy<Value = String> {
    let op = prop::sample::select(&["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"][..]);
    let value = prop_oneof![
        Just("true".to_owned()),
        Just("null".to_owned()),
        Just("42".to_owned()),
        Just("\"2026-01-01T00:00:00Z\"".to_owned()),
        Just("\"01a2256b-a290-737d-b7bd-9c3ccfb1358d\"".to_owned()),
        "[a-zA-Z%_*?\\[ ]{0,6}".prop_map(|s| format!("\"{s}\"")),
    ];
    prop_oneof![
        attribute().prop_map(|a| format!("{a} pr")),
        (attribute(), op, value).prop_map(|(a, o, v)| format!("{a} {o} {v}")),
        (
            prop::sample::select(&["emails", "addresses", "members", "groups"][..]),
            attribute(),
            value_only()
        )
            .prop_map(|(a, s, v)| format!(
                "{a}[{} eq {v}]",
                s.rsplit('.').next().unwrap_or("value")
            )),
    ]
}

fn value_only() -> impl Strategy<Value = String> {
    "[a-z]{0,4}".prop_map(|s| format!("\"{s}\""))
}

fn filter() -> impl Strategy<Value = String> {
    comparison().prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|f| format!("not ({f})")),
        ]
    })
}

proptest! {
    /// Any filter either becomes SQL whose every placeholder is bound and
    /// whose parentheses balance, or a SCIM 400; never a panic.
    #[test]
    fn every_parsed_filter_becomes_well_formed_sql_or_a_scim_error(text in filter()) {
        for rt in [&USER_TYPE, &GROUP_TYPE] {
            for backend in [Backend::Postgres, Backend::Sqlite] {
                match translate(rt, backend, &text) {
                    Ok(sql) => {
                        prop_assert_eq!(placeholders(&sql), sql.binds.len(), "{}", sql.text);
                        let opens = sql.text.matches('(').count();
                        let closes = sql.text.matches(')').count();
                        prop_assert_eq!(opens, closes, "{}", sql.text);
                    }
                    Err(Error::Scim { kind, .. }) if kind.scim_type().is_some() => {}
                    Err(other) => prop_assert!(false, "{text}: {other:?}"),
                }
            }
        }
    }

    /// Arbitrary text never panics the parser or the translator.
    #[test]
    fn arbitrary_text_is_a_filter_or_an_invalid_filter(text in "\\PC{0,40}") {
        let r = translate(&USER_TYPE, Backend::Postgres, &text);
        let fine = r.is_ok() || matches!(&r, Err(Error::Scim { kind, .. }) if kind.scim_type().is_some());
        prop_assert!(fine);
    }
}
