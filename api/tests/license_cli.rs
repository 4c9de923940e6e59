//! `latchkey license …` as the real binary runs it: the vendor's `keygen`
//! and `issue`, the operator's `install`, `status` and `remove`; and
//! `tenant plan`. The binary trusts only the vendor's compiled-in key, so
//! licences made here with a fresh key are refused by it; that a licence
//! file installs is shown through the same code with a test-trusted key.

mod common;
use common::*;

use std::path::PathBuf;
use std::process::{Command, Output};

use latchkey_tenants::licensing::{SigningKeyPair, TrustedKeys};
use latchkey_tenants::testing::TestDb;

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let dir = std::env::temp_dir().join(format!(
            "latchkey-license-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        // As the first `latchkey serve` leaves it: commands never make the key.
        std::fs::write(
            dir.join("master.key"),
            latchkey_tenants::keys::sealing::MasterKey::generate().to_base64(),
        )
        .unwrap();
        Dir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .args(args)
            .env("LATCHKEY_DATA_DIR", &self.0)
            .env_remove("DATABASE_URL")
            .env_remove("LATCHKEY_MASTER_KEY")
            .env_remove("LATCHKEY_LICENSE_FILE")
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn keygen(dir: &Dir) -> (PathBuf, String) {
    let key = dir.path("vendor.pem");
    let out = dir.ok(&["license", "keygen", "--out", key.to_str().unwrap()]);
    (key, out)
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_can_read_and_prints_the_public_key() {
    let dir = Dir::new();
    let (key, out) = keygen(&dir);
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let public = SigningKeyPair::from_pem(&pem).unwrap().public();
    assert_eq!(
        out.trim(),
        format!("(\"{}\", \"{}\"),", public.kid, public.x)
    );
}

/// The key file is for the vendor's own tooling too: OpenSSL must read it
/// and derive the same public key the binary prints.
#[test]
fn openssl_reads_the_key_keygen_writes_and_derives_the_same_public_key() {
    let dir = Dir::new();
    let (key, out) = keygen(&dir);
    let der = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(&key)
        .output()
        .expect("openssl (the CI installs it)");
    assert!(
        der.status.success(),
        "{}",
        String::from_utf8_lossy(&der.stderr)
    );
    // An Ed25519 SubjectPublicKeyInfo ends with the 32-byte raw key.
    let raw = &der.stdout[der.stdout.len() - 32..];
    use base64::Engine;
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    assert!(out.contains(&format!("\"{x}\"")), "{out}");
}

#[test]
fn keygen_never_overwrites_a_key() {
    let dir = Dir::new();
    let (key, _) = keygen(&dir);
    let before = std::fs::read(&key).unwrap();
    let out = dir.run(&["license", "keygen", "--out", key.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("never overwritten"));
    assert_eq!(std::fs::read(&key).unwrap(), before);
}

#[test]
fn issue_signs_a_licence_with_the_claims_given() {
    let dir = Dir::new();
    let (key, _) = keygen(&dir);
    let installation = uuid::Uuid::now_v7().to_string();
    let licence = dir.ok(&[
        "license",
        "issue",
        "--signing-key",
        key.to_str().unwrap(),
        "--licensee",
        "Acme Corp",
        "--seats",
        "250",
        "--features",
        "audit_export,scheduled_key_rotation",
        "--days",
        "30",
        "--installation",
        &installation,
        "--id",
        "acme-2027",
    ]);
    let public = SigningKeyPair::from_pem(&std::fs::read_to_string(&key).unwrap())
        .unwrap()
        .public();
    let l = TrustedKeys::for_tests(&[public])
        .verify(
            licence.trim(),
            installation.parse().unwrap(),
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    assert_eq!(
        (l.id.as_str(), l.licensee.as_str(), l.seats),
        ("acme-2027", "Acme Corp", 250)
    );
    assert_eq!(l.features, ["audit_export", "scheduled_key_rotation"]);
    assert_eq!((l.expires_at - l.not_before).whole_days(), 30);
}

#[test]
fn issue_refuses_an_unknown_feature_naming_it() {
    let dir = Dir::new();
    let (key, _) = keygen(&dir);
    let out = dir.run(&[
        "license",
        "issue",
        "--signing-key",
        key.to_str().unwrap(),
        "--licensee",
        "Acme",
        "--seats",
        "5",
        "--features",
        "teleportation",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("teleportation"));
}

#[test]
fn the_binary_refuses_a_licence_not_signed_by_the_vendor_and_says_why() {
    let dir = Dir::new();
    let (key, _) = keygen(&dir);
    let file = dir.path("licence.jwt");
    dir.ok(&[
        "license",
        "issue",
        "--signing-key",
        key.to_str().unwrap(),
        "--licensee",
        "Acme",
        "--seats",
        "5",
        "--out",
        file.to_str().unwrap(),
    ]);
    let out = dir.run(&["license", "install", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not trust"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = dir.ok(&["license", "status"]);
    assert!(status.contains("status:        none"), "{status}");
    assert!(status.contains("installation:  "), "{status}");
}

#[test]
fn the_installation_id_is_the_same_on_every_run() {
    let dir = Dir::new();
    let id = |s: String| {
        s.lines()
            .find(|l| l.starts_with("installation:"))
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        id(dir.ok(&["license", "status"])),
        id(dir.ok(&["license", "status"]))
    );
}

#[test]
fn tenant_plan_puts_a_tenant_on_a_plan() {
    let dir = Dir::new();
    dir.ok(&["tenant", "create", "acme"]);
    assert!(
        dir.ok(&["tenant", "plan", "acme", "team"])
            .contains("acme is on the team plan")
    );
    let out = dir.run(&["tenant", "plan", "acme", "gold"]);
    assert!(!out.status.success());
}

both_backends! {
    async fn a_licence_file_installs_as_latchkey_license_file_does_on_start(db: TestDb) {
        let lab = common::license::lab(db).await;
        let dir = Dir::new();
        let file = dir.path("licence.jwt");
        std::fs::write(&file, format!("{}\n", lab.license("file-1", 12, 365, &["audit_export"]))).unwrap();
        let summary = latchkey_api::license_cli::install_file(&lab.app.store, &file).await.unwrap();
        assert!(summary.contains("licence file-1 installed") && summary.contains("12 seat(s)"), "{summary}");
        assert_eq!(lab.status().await["seats"]["licensed"], 12);
        // Installing it again (every start) replaces it: still one licence.
        latchkey_api::license_cli::install_file(&lab.app.store, &file).await.unwrap();
        assert_eq!(lab.status().await["licenses"].as_array().unwrap().len(), 1);
    }
}
