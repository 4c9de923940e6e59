//! `terraform/package.sh` builds a zip that Terraform installs offline from
//! a filesystem mirror with `terraform init`, and takes relative paths from
//! the directory it is run in.

mod common;
use common::*;

use std::path::Path;
use std::process::Command;

#[test]
fn the_packaged_provider_installs_from_a_filesystem_mirror() {
    let server = Server::start(latchkey_tenants::testing::TestDb::sqlite());
    let tf = Tf::new(&server);
    let mirror = tf.dir().join("mirror");
    let version = env!("CARGO_PKG_VERSION");
    let packaged = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("package.sh"))
        .args([
            "--binary",
            env!("CARGO_BIN_EXE_terraform-provider-latchkey"),
        ])
        .arg("--out")
        .arg(&mirror)
        .args(["--version", version])
        .output()
        .expect("package.sh runs");
    assert!(
        packaged.status.success(),
        "{}",
        String::from_utf8_lossy(&packaged.stderr)
    );
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let zip = mirror.join(format!(
        "registry.terraform.io/latchkey/latchkey/terraform-provider-latchkey_{version}_{}_{arch}.zip",
        std::env::consts::OS
    ));
    assert!(zip.exists(), "{} is built", zip.display());

    // Only the mirror: no dev_overrides, no network.
    tf.cli_config(&format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n    include = [\"registry.terraform.io/latchkey/latchkey\"]\n  }}\n}}\n",
        mirror.display()
    ));
    tf.config(&format!(
        "resource \"latchkey_tenant\" \"t\" {{\n  slug = \"mirrored\"\n  display_name = \"From the mirror\"\n}}\n# version {version}"
    ));
    let init = tf.ok(&["init", "-no-color"]);
    assert!(
        init.contains(&format!("Installed latchkey/latchkey v{version}")),
        "{init}"
    );
    tf.apply();
    assert_eq!(server.get("/api/v1/tenants/mirrored").status, 200);
    tf.destroy();
    assert_eq!(server.get("/api/v1/tenants/mirrored").status, 404);
}

#[test]
fn relative_paths_are_taken_from_the_callers_directory() {
    let caller =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("package-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&caller);
    std::fs::create_dir_all(&caller).expect("a caller's directory");
    // A link to the built provider, so that --binary can be relative too.
    std::fs::hard_link(
        env!("CARGO_BIN_EXE_terraform-provider-latchkey"),
        caller.join("provider"),
    )
    .expect("link the provider");
    let out = format!("mirror-{}", std::process::id());
    let packaged = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("package.sh"))
        .args(["--binary", "provider", "--out", &out, "--version", "1.2.3"])
        .current_dir(&caller)
        .output()
        .expect("package.sh runs");
    let stderr = String::from_utf8_lossy(&packaged.stderr).into_owned();
    let printed = String::from_utf8_lossy(&packaged.stdout).trim().to_owned();
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let landed_in_repository = repository.join(&out).exists();
    let zip_exists = Path::new(&printed).is_file();
    let _ = std::fs::remove_dir_all(&caller);
    if landed_in_repository {
        let _ = std::fs::remove_dir_all(repository.join(&out));
    }
    assert!(packaged.status.success(), "{stderr}");
    assert!(
        printed.starts_with(&caller.join(&out).display().to_string()) && zip_exists,
        "the zip is under the caller's directory: {printed}"
    );
    assert!(
        !landed_in_repository,
        "nothing is written under the repository root"
    );
}
