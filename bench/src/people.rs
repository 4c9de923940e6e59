//! The benchmark's directory of people: user `i`'s names, email, external
//! id, department and id, as the SCIM body Entra ID sends to create it. The
//! seeded users are these bodies too (see `seed`): the SCIM queries look
//! them up by the values computed here.

use serde_json::{Value, json};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub const GIVEN: [&str; 40] = [
    "Ada",
    "Ahmed",
    "Aiko",
    "Alejandro",
    "Amara",
    "Anna",
    "Ben",
    "Carlos",
    "Chen",
    "Chloe",
    "Daniel",
    "Dmitri",
    "Elena",
    "Emma",
    "Fatima",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Isaac",
    "Jamal",
    "Julia",
    "Kenji",
    "Lars",
    "Leila",
    "Lucas",
    "Maria",
    "Mateo",
    "Mei",
    "Nadia",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Rafael",
    "Sara",
    "Sven",
    "Tariq",
    "Yuki",
    "Zoe",
];

pub const FAMILY: [&str; 125] = [
    "Abbott",
    "Adeyemi",
    "Alvarez",
    "Andersen",
    "Bauer",
    "Becker",
    "Bianchi",
    "Brennan",
    "Castillo",
    "Chatterjee",
    "Costa",
    "Dubois",
    "Duarte",
    "Eriksson",
    "Esposito",
    "Fischer",
    "Fitzgerald",
    "Fontaine",
    "Garcia",
    "Gonzaga",
    "Gupta",
    "Haddad",
    "Hansen",
    "Hoffmann",
    "Horvath",
    "Ibrahim",
    "Iyer",
    "Jansen",
    "Jovanovic",
    "Kaminski",
    "Kapoor",
    "Kowalski",
    "Kruger",
    "Larsen",
    "Laurent",
    "Lindqvist",
    "Lombardi",
    "Marino",
    "Martins",
    "Mensah",
    "Moreau",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Nowak",
    "Okafor",
    "Olsen",
    "Oyelaran",
    "Papadopoulos",
    "Pereira",
    "Petrov",
    "Quinn",
    "Rahman",
    "Ramirez",
    "Reyes",
    "Ricci",
    "Rossi",
    "Sato",
    "Schmidt",
    "Schneider",
    "Silva",
    "Sokolov",
    "Suzuki",
    "Takahashi",
    "Tanaka",
    "Torres",
    "Ueda",
    "Vargas",
    "Vasquez",
    "Vogel",
    "Wagner",
    "Walsh",
    "Weber",
    "Yamamoto",
    "Yilmaz",
    "Zhang",
    "Zimmermann",
    "Achterberg",
    "Bergstrom",
    "Cavanagh",
    "Delgado",
    "Eze",
    "Figueroa",
    "Grunewald",
    "Halvorsen",
    "Ivanova",
    "Jablonski",
    "Kuznetsov",
    "Lachance",
    "Mbeki",
    "Nordin",
    "Oduya",
    "Pham",
    "Quispe",
    "Rasmussen",
    "Szabo",
    "Tkachenko",
    "Uribe",
    "Valdivia",
    "Wojcik",
    "Xu",
    "Yoshida",
    "Zapata",
    "Abdi",
    "Brandt",
    "Cruz",
    "Dlamini",
    "Engel",
    "Farouk",
    "Gallagher",
    "Holm",
    "Haugen",
    "Kim",
    "Lopes",
    "Mwangi",
    "Nilsen",
    "Obi",
    "Park",
    "Reddy",
    "Santos",
    "Toivonen",
    "Ulloa",
    "Wong",
    "Yeo",
];

pub const DEPARTMENTS: [&str; 10] = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Legal",
    "Operations",
    "Customer Support",
    "Research",
    "Facilities",
];

pub const DOMAIN: &str = "contoso.com";

fn at(i: u64, len: usize) -> usize {
    (i % len as u64) as usize
}

pub fn given(i: u64) -> &'static str {
    GIVEN[at(i, GIVEN.len())]
}

pub fn family_index(i: u64) -> usize {
    at(i / GIVEN.len() as u64, FAMILY.len())
}

pub fn family(i: u64) -> &'static str {
    FAMILY[family_index(i)]
}

pub fn department(i: u64) -> &'static str {
    DEPARTMENTS[at(i, DEPARTMENTS.len())]
}

/// `Ada.Okafor1234@contoso.com`: a user principal name, mixed case as Entra
/// sends it; also the user's work email.
pub fn user_name(i: u64) -> String {
    format!("{}.{}{i}@{DOMAIN}", given(i), family(i))
}

/// Shaped like the object id Entra sends as `externalId`.
pub fn external_id(i: u64) -> String {
    format!(
        "{:08x}-0000-4000-8000-{:012x}",
        (i * 2_654_435_761) % (1 << 32),
        i
    )
}

/// The 16 bytes of a UUIDv7 in hex: 48 bits of Unix milliseconds, version
/// 7, variant 10, then bits that differ per `n`.
pub fn v7_hex(millis: u64, n: u64) -> String {
    format!("{millis:012x}70008{:015x}", (n * 2_654_435_761) % (1 << 60))
}

/// The id of seeded user `i`, as SCIM shows it.
pub fn seeded_id(base_millis: u64, i: u64) -> String {
    hyphenate(&v7_hex(base_millis + i, i))
}

pub fn hyphenate(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The body of `POST /Users` for user `i`, in the shape of Entra ID's
/// (Microsoft's "Create User" example, with a department).
pub fn body(i: u64) -> Value {
    let (given, family) = (given(i), family(i));
    let user_name = user_name(i);
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "externalId": external_id(i),
        "userName": user_name,
        "active": true,
        "displayName": format!("{given} {family}"),
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": format!("{given} {family}"),
            "familyName": family,
            "givenName": given,
        },
        ENTERPRISE_SCHEMA: {"department": department(i)},
    })
}

/// Entra's PATCH of a group's members (`Add` or `Remove`, one user).
pub fn member_patch(op: &str, user: &str) -> Value {
    json!({
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": op, "path": "members", "value": [{"value": user}]}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `userName co "<family name>"` matches exactly the users of that
    /// family: no family name is inside another name or the domain.
    #[test]
    fn family_names_are_inside_no_other_name() {
        let lower = |s: &&str| s.to_lowercase();
        let family: Vec<String> = FAMILY.iter().map(lower).collect();
        let others: Vec<String> = GIVEN.iter().map(lower).chain([DOMAIN.into()]).collect();
        for (a, f) in family.iter().enumerate() {
            for (b, g) in family.iter().enumerate() {
                assert!(a == b || !g.contains(f.as_str()), "{f} is inside {g}");
            }
            for g in &others {
                assert!(!g.contains(f.as_str()), "{f} is inside {g}");
            }
        }
    }

    #[test]
    fn ids_are_uuid_v7() {
        let id: uuid_like::Parsed = uuid_like::parse(&seeded_id(1_764_000_000_000, 42));
        assert_eq!(id.version, 7);
        assert_eq!(id.variant_bits, 0b10);
        assert_eq!(id.millis, 1_764_000_000_042);
    }

    /// Just enough UUID parsing for the test, without a dependency.
    mod uuid_like {
        pub struct Parsed {
            pub version: u8,
            pub variant_bits: u8,
            pub millis: u64,
        }
        pub fn parse(s: &str) -> Parsed {
            let hex: String = s.chars().filter(|c| *c != '-').collect();
            assert_eq!(hex.len(), 32);
            let byte = |i: usize| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
            Parsed {
                version: byte(6) >> 4,
                variant_bits: byte(8) >> 6,
                millis: u64::from_str_radix(&hex[0..12], 16).unwrap(),
            }
        }
    }

    #[test]
    fn bodies_carry_what_entra_sends() {
        let b = body(7);
        assert_eq!(b["userName"], "Carlos.Abbott7@contoso.com");
        assert_eq!(b[ENTERPRISE_SCHEMA]["department"], department(7));
        assert_eq!(b["emails"][0]["value"], b["userName"]);
    }
}
