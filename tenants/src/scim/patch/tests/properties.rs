//! Properties over generated operations, documents and filter text.

use super::*;
use proptest::prelude::*;
use scim_v2::filter::Filter;
use std::fmt::{Debug, Display};
use std::str::FromStr;

const PATHS: &[&str] = &[
    "userName",
    "USERNAME",
    "name",
    "name.givenName",
    "NAME.GIVENNAME",
    "name.nope",
    "displayName",
    "active",
    "title",
    "id",
    "meta",
    "meta.created",
    "groups",
    "password",
    "externalId",
    "emails",
    "emails.value",
    "emails[type eq \"work\"]",
    "emails[type eq \"work\"].value",
    "emails[type eq \"work\" and primary eq true].value",
    "emails[value co \"@\" or not (type pr)]",
    "emails[primary gt true]",
    "emails[nope eq 1]",
    "phoneNumbers[type eq \"mobile\"].value",
    "addresses[type eq \"work\"].formatted",
    "x509Certificates[value eq \"A\"]",
    "members",
    "members[value eq \"a\"]",
    "members[value eq \"a\" or value eq \"b\"]",
    "members[display eq \"x\"]",
    "members[value eq \"a\"].value",
    "members.value",
    "schemas",
    "manager",
    "department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.$ref",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
    "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
    "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:x:y:z",
    "emails[",
    "]",
    "[]",
    ".",
    "name.",
    "a.b.c",
];

const KEYS: &[&str] = &[
    "value",
    "type",
    "primary",
    "display",
    "displayName",
    "$ref",
    "givenName",
    "members",
    "emails",
    "name.givenName",
    "userName",
    "active",
    "id",
    "schemas",
    "manager",
    "department",
    "nope",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "emails[type eq \"work\"].value",
];

const WORDS: &[&str] = &["work", "home", "a", "b", "True", "false", "", "x@y", "m1"];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let key =
            prop_oneof![4 => prop::sample::select(KEYS).prop_map(String::from), 1 => "\\PC{0,6}"];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn op_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::sample::select(&["add", "Add", "replace", "Replace", "remove", "REMOVE"][..]).prop_map(Value::from),
        1 => prop::sample::select(&["move", "", "copy"][..]).prop_map(Value::from),
        1 => json_value(),
    ]
}

fn path() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::sample::select(PATHS).prop_map(Value::from),
        2 => patch_path_text(false).prop_map(Value::from),
        2 => "\\PC{0,40}".prop_map(Value::from),
        1 => json_value(),
    ]
}

/// Values of the shapes clients send.
fn plausible_value() -> impl Strategy<Value = Value> {
    let word = || prop::sample::select(WORDS).prop_map(Value::from);
    let key = || prop::sample::select(KEYS).prop_map(String::from);
    let scalar = prop_oneof![word(), any::<bool>().prop_map(Value::Bool)];
    let element = (word(), word(), any::<bool>()).prop_map(
        |(value, kind, primary)| json!({"value": value, "type": kind, "primary": primary}),
    );
    prop_oneof![
        scalar.clone(),
        prop::collection::vec(element.clone(), 0..3).prop_map(Value::Array),
        element,
        prop::collection::vec((key(), scalar), 0..3)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
    ]
}

fn operation_object(op: Value, path: Option<Value>, value: Option<Value>, shout: bool) -> Value {
    let mut m = Object::new();
    m.insert(if shout { "OP" } else { "op" }.to_owned(), op);
    if let Some(path) = path {
        m.insert("path".to_owned(), path);
    }
    if let Some(value) = value {
        m.insert("value".to_owned(), value);
    }
    Value::Object(m)
}

fn operation() -> impl Strategy<Value = Value> {
    let valid_op = prop::sample::select(&["add", "Add", "replace", "Replace", "remove"][..])
        .prop_map(Value::from);
    let known_path = prop::sample::select(PATHS).prop_map(Value::from);
    let well_formed = (
        valid_op,
        prop::option::weighted(0.8, known_path),
        prop::option::weighted(0.9, plausible_value()),
        any::<bool>(),
    );
    let wild = (
        op_name(),
        prop::option::of(path()),
        prop::option::of(json_value()),
        any::<bool>(),
    );
    prop_oneof![
        4 => well_formed.prop_map(|(op, path, value, shout)| operation_object(op, path, value, shout)),
        4 => wild.prop_map(|(op, path, value, shout)| operation_object(op, path, value, shout)),
        1 => json_value(),
    ]
}

/// Realistic operations on a user, `{}` standing for a word and
/// `"?"` for a boolean.
const USER_TEMPLATES: &[&str] = &[
    r#"{"op":"add","path":"emails","value":[{"value":"{}","type":"{}","primary":"?"}]}"#,
    r#"{"op":"Replace","path":"emails[type eq \"{}\"].value","value":"{}"}"#,
    r#"{"op":"add","path":"emails[type eq \"{}\"].display","value":"{}"}"#,
    r#"{"op":"replace","path":"emails[value eq \"{}\"].primary","value":"?"}"#,
    r#"{"op":"remove","path":"emails[type eq \"{}\"]"}"#,
    r#"{"op":"remove","path":"emails[value eq \"{}\"].primary"}"#,
    r#"{"op":"remove","path":"emails","value":[{"value":"{}"}]}"#,
    r#"{"op":"replace","path":"emails","value":[{"value":"{}","primary":"?"},{"value":"{}","primary":"?"}]}"#,
    r#"{"op":"Replace","path":"addresses[type eq \"{}\"].formatted","value":"{}"}"#,
    r#"{"op":"replace","path":"NAME.givenName","value":"{}"}"#,
    r#"{"op":"add","path":"name","value":{"familyName":"{}","middleName":null}}"#,
    r#"{"op":"remove","path":"name.familyName"}"#,
    r#"{"op":"replace","value":{"name.familyName":"{}","active":"?","title":"{}"}}"#,
    r#"{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"{}"}"#,
    r#"{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}"#,
    r#"{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"{}"}}}"#,
    r#"{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}"#,
    r#"{"op":"add","path":"title","value":"{}"}"#,
    r#"{"op":"remove","path":"title"}"#,
    r#"{"op":"replace","path":"active","value":"?"}"#,
];

const GROUP_TEMPLATES: &[&str] = &[
    r#"{"op":"Add","path":"members","value":[{"$ref":null,"value":"{}"}]}"#,
    r#"{"op":"remove","path":"members[value eq \"{}\" or value eq \"{}\"]"}"#,
    r#"{"op":"Remove","path":"members","value":[{"value":"{}"}]}"#,
    r#"{"op":"replace","path":"members","value":[{"value":"{}"},{"value":"{}"}]}"#,
    r#"{"op":"remove","path":"members"}"#,
    r#"{"op":"Replace","path":"displayName","value":"{}"}"#,
    r#"{"op":"replace","value":{"id":"g1","displayName":"{}","members":[{"value":"{}"}]}}"#,
    r#"{"op":"add","path":"externalId","value":"{}"}"#,
];

fn from_template(templates: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let words = prop::collection::vec(
        prop::sample::select(&["work", "home", "a", "b", "x@y"][..]),
        4,
    );
    let flags = prop::collection::vec(any::<bool>(), 4);
    (prop::sample::select(templates), words, flags).prop_map(|(template, words, flags)| {
        let mut text = template.to_owned();
        for word in &words {
            text = text.replacen("{}", word, 1);
        }
        for flag in &flags {
            text = text.replacen("\"?\"", if *flag { "true" } else { "false" }, 1);
        }
        serde_json::from_str(&text).unwrap_or(Value::Null)
    })
}

/// What every patched document must look like: attribute names in
/// canonical case, no empty arrays or objects, at most one primary.
fn well_formed(rt: &ResourceType, doc: &Value) -> std::result::Result<(), TestCaseError> {
    let Some(doc) = doc.as_object() else {
        return Err(TestCaseError::fail("not an object"));
    };
    for (key, value) in doc.iter().filter(|(k, _)| *k != "schemas") {
        let (uri, attrs): (_, Vec<(&String, &Value)>) = match rt.extension(key) {
            Some(ext) => {
                prop_assert_eq!(ext.id, key.as_str());
                (
                    Some(ext.id),
                    value
                        .as_object()
                        .map(|o| o.iter().collect())
                        .unwrap_or_default(),
                )
            }
            None => (None, vec![(key, value)]),
        };
        prop_assert!(!attrs.is_empty(), "empty extension {}", key);
        for (name, value) in attrs {
            let Some(resolved) = rt.resolve(uri, name, None) else {
                return Err(TestCaseError::fail(format!("unknown key {name}")));
            };
            let attr = resolved.attribute;
            prop_assert_eq!(attr.name, name.as_str());
            let elements = match value {
                Value::Array(items) if attr.multi_valued => items.iter().collect(),
                other => vec![other],
            };
            prop_assert!(!elements.is_empty(), "empty array {}", name);
            let primaries = elements
                .iter()
                .filter(|e| e.get("primary").and_then(as_bool) == Some(true))
                .count();
            prop_assert!(primaries <= 1, "{} primaries in {}", primaries, name);
            for element in elements.iter().filter_map(|e| e.as_object()) {
                prop_assert!(!element.is_empty(), "empty object in {}", name);
                for sub in element.keys() {
                    prop_assert_eq!(attr.sub(sub).map(|s| s.name), Some(sub.as_str()));
                }
            }
        }
    }
    Ok(())
}

// Filter text, generated from the grammar's structure. `keywords`
// lets attribute names be words the grammar reserves, which may or
// may not parse; without it every generated text must parse.

fn attr_name(keywords: bool) -> BoxedStrategy<String> {
    let plain = "[a-zA-Z][a-zA-Z0-9_-]{0,8}".prop_filter("reserved word", |s| {
        !["not", "true", "false", "null"]
            .iter()
            .any(|k| s.eq_ignore_ascii_case(k))
    });
    if keywords {
        let reserved = prop::sample::select(
            &["and", "or", "not", "pr", "eq", "true", "null", "NOT", "Or"][..],
        );
        prop_oneof![3 => plain, 1 => reserved.prop_map(String::from)].boxed()
    } else {
        plain.boxed()
    }
}

fn attr_path(keywords: bool) -> impl Strategy<Value = String> {
    let uri = prop::option::of(prop::sample::select(
        &[USER, ENT, "urn:x:y", "a:b", "urn:x:2.0:Y"][..],
    ));
    (
        uri,
        attr_name(keywords),
        prop::option::of(attr_name(keywords)),
    )
        .prop_map(|(uri, name, sub)| {
            let uri = uri.map(|u| format!("{u}:")).unwrap_or_default();
            let sub = sub.map(|s| format!(".{s}")).unwrap_or_default();
            format!("{uri}{name}{sub}")
        })
}

fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&[" ", " ", "  ", "\t", " \t "][..])
}

/// A JSON string literal, escaping some characters in the ways JSON allows.
fn string_literal() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => any::<char>().prop_map(|c| {
            let quoted = serde_json::to_string(&c.to_string()).unwrap_or_default();
            quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')).unwrap_or_default().to_owned()
        }),
        1 => any::<char>().prop_filter("BMP, no surrogates", |c| (*c as u32) < 0xD800).prop_map(|c| format!("\\u{:04x}", c as u32)),
        1 => prop::sample::select(&["\\\"", "\\\\", "\\/", "\\n", "\\t", "\\b", "]", "[", ") or (", " and ", "'"][..]).prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

fn comp_value(keywords: bool) -> BoxedStrategy<String> {
    let number = "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,6})?([eE][+-]?[0-9]{1,2})?";
    let safe = prop_oneof![
        prop::sample::select(&["true", "false", "null"][..]).prop_map(String::from),
        number,
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| f.to_string()),
        string_literal(),
    ];
    if keywords {
        prop_oneof![4 => safe, 1 => prop::sample::select(&["True", "1e400", "bare", "\"\\x\""][..]).prop_map(String::from)].boxed()
    } else {
        safe.boxed()
    }
}

fn attr_exp(keywords: bool) -> impl Strategy<Value = String> {
    let op = prop::sample::select(
        &[
            "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Sw",
        ][..],
    );
    prop_oneof![
        (attr_path(keywords), ws()).prop_map(|(p, w)| format!("{p}{w}pr")),
        (attr_path(keywords), ws(), op, ws(), comp_value(keywords))
            .prop_map(|(p, w1, op, w2, v)| format!("{p}{w1}{op}{w2}{v}")),
    ]
}

/// `and`, `or`, `not` and parentheses around `atom`s.
fn combined(atom: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    atom.prop_recursive(4, 24, 3, |inner| {
        let and = prop::sample::select(&["and", "AND", "And"][..]);
        let or = prop::sample::select(&["or", "OR"][..]);
        prop_oneof![
            (inner.clone(), ws(), and, ws(), inner.clone())
                .prop_map(|(a, w1, k, w2, b)| format!("{a}{w1}{k}{w2}{b}")),
            (inner.clone(), ws(), or, ws(), inner.clone())
                .prop_map(|(a, w1, k, w2, b)| format!("{a}{w1}{k}{w2}{b}")),
            (
                prop::sample::select(&["not", "NOT"][..]),
                ws(),
                inner.clone()
            )
                .prop_map(|(k, w, f)| format!("{k}{w}({f})")),
            inner.prop_map(|f| format!("({f})")),
        ]
    })
}

fn val_filter_text(keywords: bool) -> impl Strategy<Value = String> {
    combined(attr_exp(keywords).boxed())
}

fn filter_text(keywords: bool) -> impl Strategy<Value = String> {
    let value_path =
        (attr_path(keywords), val_filter_text(keywords)).prop_map(|(a, f)| format!("{a}[{f}]"));
    combined(prop_oneof![2 => attr_exp(keywords), 1 => value_path].boxed())
}

fn patch_path_text(keywords: bool) -> impl Strategy<Value = String> {
    let sub = prop::option::of(attr_name(keywords));
    prop_oneof![
        attr_path(keywords),
        (attr_path(keywords), val_filter_text(keywords), sub).prop_map(|(a, f, s)| {
            format!("{a}[{f}]{}", s.map(|s| format!(".{s}")).unwrap_or_default())
        }),
    ]
}

/// Generated text with one character deleted, doubled or replaced.
fn mutated(text: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    (text, any::<prop::sample::Index>(), 0..3u8, any::<char>()).prop_map(|(text, at, how, c)| {
        let mut chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            return c.to_string();
        }
        let i = at.index(chars.len());
        match how {
            0 => drop(chars.remove(i)),
            1 => chars.insert(i, chars.get(i).copied().unwrap_or(c)),
            _ => chars.insert(i, c),
        }
        chars.into_iter().collect()
    })
}

/// A filter tree whose number literals can be taken out, so that
/// trees can be compared apart from them.
trait Tree {
    fn take_numbers(&mut self, out: &mut Vec<f64>);
}

impl Tree for Filter {
    fn take_numbers(&mut self, out: &mut Vec<f64>) {
        match self {
            Filter::Attr(exp) => take_number(exp, out),
            Filter::ValuePath(vp) => vp.filter.take_numbers(out),
            Filter::Not(inner) => inner.take_numbers(out),
            Filter::And(items) | Filter::Or(items) => {
                items.iter_mut().for_each(|f| f.take_numbers(out))
            }
        }
    }
}

impl Tree for ValFilter {
    fn take_numbers(&mut self, out: &mut Vec<f64>) {
        match self {
            ValFilter::Attr(exp) => take_number(exp, out),
            ValFilter::Not(inner) => inner.take_numbers(out),
            ValFilter::And(items) | ValFilter::Or(items) => {
                items.iter_mut().for_each(|f| f.take_numbers(out))
            }
        }
    }
}

impl Tree for PatchPath {
    fn take_numbers(&mut self, out: &mut Vec<f64>) {
        if let PatchPath::Value(vp) = self {
            vp.filter.take_numbers(out);
        }
    }
}

/// Replaces a number literal by `null`, keeping its value in `out`.
fn take_number(exp: &mut AttrExp, out: &mut Vec<f64>) {
    if let AttrExp::Comparison(_, _, value) = exp
        && let CompValue::Number(n) = value
    {
        out.push(n.as_f64().unwrap_or(f64::NAN));
        *value = CompValue::Null;
    }
}

/// Whether serde_json parses floats correctly rounded: only with its
/// `float_roundtrip` feature, which this crate does not turn on.
fn serde_json_rounds_floats() -> bool {
    let literal = "1.4974583327867762e243";
    serde_json::from_str::<f64>(literal).ok() == literal.parse::<f64>().ok()
}

/// Floats apart from each other, counted in units in the last place.
fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        0
    } else if a.is_sign_negative() != b.is_sign_negative() {
        u64::MAX
    } else {
        a.to_bits().abs_diff(b.to_bits())
    }
}

/// Whatever parses prints to text that parses to the same tree and
/// prints the same again. Numbers are the exception, as long as
/// serde_json parses floats without correct rounding (see
/// `scim_v2_number_literals_drift_without_correctly_rounded_floats`):
/// then a parse may move a float by up to two units in the last
/// place (by one in 29% of a million random floats, by two in 0.2%,
/// never by more).
fn round_trips<T>(text: &str) -> std::result::Result<(), TestCaseError>
where
    T: Tree + FromStr + Display + PartialEq + Debug,
    T::Err: Display,
{
    let Ok(mut parsed) = text.parse::<T>() else {
        return Ok(());
    };
    let printed = parsed.to_string();
    let mut again = match printed.parse::<T>() {
        Ok(again) => again,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "{text:?} printed as {printed:?}, which does not parse: {e}"
            )));
        }
    };
    let reprinted = again.to_string();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    parsed.take_numbers(&mut before);
    again.take_numbers(&mut after);
    prop_assert_eq!(&again, &parsed, "{:?} printed as {:?}", text, printed);
    prop_assert_eq!(before.len(), after.len());
    let tolerance = if serde_json_rounds_floats() { 0 } else { 2 };
    for (a, b) in before.iter().zip(&after) {
        prop_assert!(
            ulps(*a, *b) <= tolerance,
            "{:?} printed as {:?}: {} became {}",
            text,
            printed,
            a,
            b
        );
    }
    if before == after {
        prop_assert_eq!(reprinted, printed);
    }
    Ok(())
}

#[test]
fn scim_v2_number_literals_drift_without_correctly_rounded_floats() {
    // scim_v2 reads a number with serde_json, whose default float
    // parser can land a unit or two in the last place off. So this
    // literal becomes …764 on the first parse, and …766 when that is
    // printed and parsed again: the round trip is not stable, and
    // the filter does not compare with the number the client wrote.
    // serde_json's `float_roundtrip` feature fixes both; when the
    // dependency graph turns it on, this test expects stability.
    let literal = "1.4974583327867762e243";
    let parsed = format!("a eq {literal}").parse::<Filter>().ok();
    let again = parsed
        .as_ref()
        .and_then(|f| f.to_string().parse::<Filter>().ok());
    assert!(parsed.is_some() && again.is_some());
    assert_eq!(
        parsed == again,
        serde_json_rounds_floats(),
        "{parsed:?} then {again:?}"
    );
}

fn user_with_extension() -> Value {
    let mut doc = user();
    doc[ENT] = json!({"manager": {"value": "m1", "displayName": "Boss"}, "department": "D"});
    doc["addresses"] = json!([{"type": "work", "formatted": "1 Main St", "primary": "True"}]);
    doc
}

fn group_with_members() -> Value {
    let mut doc = group();
    doc["members"] = json!([{"value": "a", "type": "User"}, {"value": "b"}]);
    doc
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn apply_never_panics_and_an_error_changes_nothing(
        operations in prop::collection::vec(operation(), 0..5),
        on_group in any::<bool>(),
        members_apart in any::<bool>(),
    ) {
        let (rt, original) = if on_group {
            (&GROUP_TYPE, group_with_members())
        } else {
            (&USER_TYPE, user_with_extension())
        };
        let mut doc = original.clone();
        match apply(rt, &mut doc, &operations, members_apart) {
            Ok(_) => prop_assert!(doc.is_object()),
            Err(e) => {
                let scim_400 = matches!(&e, Error::Scim { kind, .. } if kind.scim_type().is_some());
                prop_assert!(scim_400, "{:?}", e);
                prop_assert_eq!(doc, original);
            }
        }
    }

    #[test]
    fn realistic_patches_leave_a_well_formed_document(
        on_group in any::<bool>(),
        user_ops in prop::collection::vec(from_template(USER_TEMPLATES), 1..6),
        group_ops in prop::collection::vec(from_template(GROUP_TEMPLATES), 1..6),
        members_apart in any::<bool>(),
    ) {
        let (rt, original, operations) = if on_group {
            (&GROUP_TYPE, group_with_members(), group_ops)
        } else {
            (&USER_TYPE, user_with_extension(), user_ops)
        };
        let mut doc = original.clone();
        match apply(rt, &mut doc, &operations, members_apart) {
            Ok(changes) => {
                well_formed(rt, &doc)?;
                if members_apart {
                    prop_assert_eq!(doc.get("members"), original.get("members"));
                } else {
                    prop_assert!(changes.is_empty());
                }
            }
            Err(_) => prop_assert_eq!(doc, original),
        }
    }

    #[test]
    fn generated_filters_parse(text in filter_text(false)) {
        prop_assert!(text.parse::<Filter>().is_ok(), "{:?} does not parse", text);
    }

    #[test]
    fn filters_round_trip_through_display(text in filter_text(true)) {
        round_trips::<Filter>(&text)?;
    }

    #[test]
    fn mutated_filters_do_not_panic_and_round_trip(text in mutated(filter_text(true))) {
        round_trips::<Filter>(&text)?;
    }

    #[test]
    fn random_strings_do_not_panic_the_filter_parser(text in "\\PC{0,80}") {
        round_trips::<Filter>(&text)?;
    }

    #[test]
    fn generated_patch_paths_parse(text in patch_path_text(false)) {
        prop_assert!(text.parse::<PatchPath>().is_ok(), "{:?} does not parse", text);
    }

    #[test]
    fn patch_paths_round_trip_through_display(text in patch_path_text(true)) {
        round_trips::<PatchPath>(&text)?;
    }

    #[test]
    fn mutated_patch_paths_do_not_panic_and_round_trip(text in mutated(patch_path_text(true))) {
        round_trips::<PatchPath>(&text)?;
    }

    #[test]
    fn random_strings_do_not_panic_the_patch_path_parser(text in "[a-zA-Z0-9:.\\[\\] \"()=-]{0,60}|\\PC{0,60}") {
        round_trips::<PatchPath>(&text)?;
    }
}
