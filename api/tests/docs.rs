//! The guides' shell examples, run in order in one shell session against the
//! `latchkey` binary, as a reader follows them, and compared with what the
//! guides show. The runner is prysk (a cram fork, from PyPI); this file turns
//! the guides' fenced blocks into one prysk test. Why prysk and not trycmd,
//! and the rules the guides follow for it: docs/architecture.md, "Testing"
//! and "Decisions".
//!
//! The rules, in short:
//! - A `sh` block's commands run; what the last one prints is the output
//!   block that follows it directly (a fence without a language, or `text` or
//!   `json`, with only blank lines between). The other commands print nothing.
//! - A `console` block: `$ ` starts a command, the lines up to the next one are
//!   what it prints (trailing blank lines are spacing).
//! - In what is shown, `…` stands for anything within the line; a value cut
//!   short with `…` (`01a224f0-d579-…`, `lkt_AaIk…`) for any such value; and
//!   ids, times and tokens written out in full for any id, time or token.
//! - An output that starts with `latchkey: ` (the command line's errors)
//!   comes with exit status 1.
//! - An assignment of a value cut short (`T=lkp_…`) stands for a value the
//!   reader pastes: it is not run. A hidden line before the block,
//!   `<!-- docs test: T=… -->`, sets it instead.
//! - A block whose first line is `# not run in CI: <why>` is not run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use regex::Regex;

/// The guides, in the order a reader follows them: one shell session, one
/// server, so each guide starts where the one before ended.
const GUIDES: &[&str] = &[
    "README.md",
    "docs/getting-started.md",
    "docs/scim.md",
    "docs/tenancy-and-keys.md",
    "docs/configuration.md",
    "docs/sign-in.md",
];

/// The marker of a block that does not run in CI.
const NOT_RUN: &str = "# not run in CI:";
/// A line of a guide that only the docs test runs.
const HIDDEN: &str = "<!-- docs test:";

#[test]
fn the_guides_print_what_they_show() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut test = String::new();
    let mut places = Vec::new();
    let port = latchkey_testkit::free_port();
    preamble(&mut test);
    for guide in GUIDES {
        let text = std::fs::read_to_string(root.join(guide))
            .unwrap_or_else(|e| panic!("cannot read {guide}: {e}"));
        let blocks = parse(&text).unwrap_or_else(|e| panic!("{guide}: {e}"));
        convert(guide, &blocks, port, &mut test, &mut places).unwrap_or_else(|e| panic!("{e}"));
    }
    test.push_str("The server the guides started stops.\n  $ docs_stop_server\n");

    let work = latchkey_testkit::target_dir().join("docs-test");
    let _ = std::fs::remove_dir_all(&work);
    let home = work.join("checkout");
    let bin = work.join("bin");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_latchkey"), bin.join("latchkey")).unwrap();
    let file = work.join("guides.t");
    std::fs::write(&file, &test).unwrap();

    let outcome = run_prysk(&file, &work, &home, &bin, port);
    if !outcome.passed {
        panic!(
            "the guides do not print what they show (first difference near {}).\n\
             The test the guides became: {}\n\n{}",
            first_difference(&outcome.report, &places),
            file.display(),
            outcome.report
        );
    }
}

struct Outcome {
    passed: bool,
    report: String,
}

/// Runs prysk on `file` with a clean environment: a developer's own
/// `DATABASE_URL`, `LATCHKEY_*` or `RUST_LOG` must not change what the
/// guides print.
fn run_prysk(file: &Path, work: &Path, home: &Path, bin: &Path, port: u16) -> Outcome {
    let python = latchkey_testkit::python_venv("prysk-venv", "prysk==0.20.0", "prysk");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let shell = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docs/shell.sh");
    let child = Command::new(python)
        .args([
            "-m",
            "prysk",
            "--shell",
            "/bin/bash",
            "--dos2unix",
            "--color",
            "never",
        ])
        .arg(file)
        .current_dir(work)
        .env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("TMPDIR", work)
        .env("DOCS_SHELL", shell)
        .env("DOCS_HOME", home)
        .env("DOCS_DIR", work)
        .env("DOCS_PORT", port.to_string())
        .env("LATCHKEY_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prysk starts");
    let _server = ServerGuard(work.join("server.pid"));
    let (passed, report) = wait_with_deadline(child, Duration::from_secs(300));
    Outcome { passed, report }
}

/// Stops a server the guides left running when the test fails halfway.
struct ServerGuard(PathBuf);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = Command::new("kill").args(["-TERM", pid.trim()]).status();
        }
    }
}

fn wait_with_deadline(mut child: Child, deadline: Duration) -> (bool, String) {
    use std::io::Read;
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let report = format!("{}{}", out.join().unwrap(), err.join().unwrap());
    match status {
        Some(status) => (status.success(), report),
        None => (
            false,
            format!("prysk did not finish within {deadline:?}\n{report}"),
        ),
    }
}

fn preamble(test: &mut String) {
    test.push_str(
        "The guides' examples, in the order a reader follows them (generated by api/tests/docs.rs).\n\
         The shell gets what a reader's terminals do (api/tests/fixtures/docs/shell.sh), and starts\n\
         in an empty folder, as in a fresh checkout; LATCHKEY_LISTEN is the test's port.\n\
         \x20 $ . \"$DOCS_SHELL\"\n\
         \x20 $ cd \"$DOCS_HOME\"\n",
    );
}

/// Names the guide and line of the first difference in prysk's diff: the
/// place of the last command at or before the first line it changes.
fn first_difference(report: &str, places: &[(usize, String)]) -> String {
    let mut lines = report.lines();
    let Some(mut old) = lines
        .find_map(|l| l.strip_prefix("@@ -"))
        .and_then(|rest| rest.split([',', ' ']).next())
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return "an unknown line".into();
    };
    for line in lines {
        if line.starts_with('-') || line.starts_with('+') {
            break;
        }
        old += 1;
    }
    places
        .iter()
        .rev()
        .find(|(line, _)| *line <= old)
        .map(|(_, place)| place.clone())
        .unwrap_or_else(|| "the preamble".into())
}

/// A fenced block of a guide.
#[derive(Debug, Clone, PartialEq)]
struct Block {
    lang: String,
    /// The line of the opening fence (1-based).
    line: usize,
    lines: Vec<String>,
    /// `<!-- docs test: … -->` lines since the previous block.
    hidden: Vec<String>,
    /// Only blank lines separate it from the previous block.
    directly_after_previous: bool,
}

fn parse(text: &str) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, Block)> = None;
    let mut hidden = Vec::new();
    let mut blank_since_block = false;
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        let indent = raw.len() - trimmed.len();
        match &mut open {
            Some((fence_indent, block)) => {
                if trimmed.trim_end() == "```" {
                    blocks.push(open.take().unwrap().1);
                    blank_since_block = true;
                } else {
                    let strip = raw
                        .char_indices()
                        .take_while(|(n, c)| *n < *fence_indent && *c == ' ')
                        .count();
                    block.lines.push(raw[strip..].to_owned());
                }
            }
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some((
                        indent,
                        Block {
                            lang: info.split_whitespace().next().unwrap_or("").to_owned(),
                            line: i + 1,
                            lines: Vec::new(),
                            hidden: std::mem::take(&mut hidden),
                            directly_after_previous: blank_since_block,
                        },
                    ));
                } else if let Some(rest) = trimmed.strip_prefix(HIDDEN) {
                    let command = rest
                        .trim_end()
                        .strip_suffix("-->")
                        .ok_or_else(|| format!("line {}: a hidden line ends with -->", i + 1))?;
                    hidden.push(command.trim().to_owned());
                    blank_since_block = false;
                } else if !trimmed.is_empty() {
                    blank_since_block = false;
                }
            }
        }
    }
    if let Some((_, block)) = open {
        return Err(format!("the block at line {} is not closed", block.line));
    }
    if !hidden.is_empty() {
        return Err(format!("hidden lines after the last block: {hidden:?}"));
    }
    Ok(blocks)
}

fn is_shell(lang: &str) -> bool {
    matches!(lang, "sh" | "bash" | "shell" | "console")
}

fn is_output(lang: &str) -> bool {
    matches!(lang, "" | "text" | "json")
}

/// One command and what the guide shows it printing.
struct Step {
    line: usize,
    command: Vec<String>,
    shown: Vec<String>,
}

/// Appends the prysk form of a guide's blocks to `test`, and to `places` the
/// test line each command starts at with the guide's line it comes from.
fn convert(
    guide: &str,
    blocks: &[Block],
    port: u16,
    test: &mut String,
    places: &mut Vec<(usize, String)>,
) -> Result<(), String> {
    let _ = writeln!(test, "\n{guide}");
    let mut i = 0;
    while i < blocks.len() {
        let block = &blocks[i];
        let at = |line: usize| format!("{guide}:{line}");
        if !is_shell(&block.lang) {
            if !block.hidden.is_empty() {
                return Err(format!(
                    "{}: hidden lines stand before a block that does not run",
                    at(block.line)
                ));
            }
            i += 1;
            continue;
        }
        let output = blocks
            .get(i + 1)
            .filter(|next| next.directly_after_previous && is_output(&next.lang));
        i += if output.is_some() { 2 } else { 1 };
        if let Some(reason) = block
            .lines
            .first()
            .and_then(|l| l.trim_start_matches("$ ").strip_prefix(NOT_RUN))
        {
            if reason.trim().is_empty() {
                return Err(format!("{}: say why it is not run", at(block.line)));
            }
            if !block.hidden.is_empty() {
                return Err(format!(
                    "{}: hidden lines stand before a block that is not run",
                    at(block.line)
                ));
            }
            let _ = writeln!(test, "{}: not run in CI:{reason}", at(block.line));
            continue;
        }
        for hidden in &block.hidden {
            push_step(
                test,
                places,
                &at(block.line),
                port,
                &Step {
                    line: block.line,
                    command: vec![hidden.clone()],
                    shown: Vec::new(),
                },
            );
        }
        if block.lang == "console" && output.is_some() {
            return Err(format!(
                "{}: a console block shows its output itself",
                at(block.line)
            ));
        }
        let steps = if block.lang == "console" {
            console_steps(block)?
        } else {
            sh_steps(block, output.map(|o| o.lines.as_slice()))?
        };
        for step in steps {
            if is_placeholder(&step.command) {
                if !step.shown.is_empty() {
                    return Err(format!("{}: a pasted value prints nothing", at(step.line)));
                }
                let _ = writeln!(
                    test,
                    "{}: pasted, not run: {}",
                    at(step.line),
                    step.command[0]
                );
                continue;
            }
            push_step(test, places, &at(step.line), port, &step);
        }
    }
    Ok(())
}

fn push_step(
    test: &mut String,
    places: &mut Vec<(usize, String)>,
    place: &str,
    port: u16,
    step: &Step,
) {
    let _ = writeln!(test, "{place}");
    places.push((test.lines().count() + 1, place.to_owned()));
    for (n, line) in step.command.iter().enumerate() {
        let _ = writeln!(test, "  {} {line}", if n == 0 { '$' } else { '>' });
    }
    for line in &step.shown {
        let _ = writeln!(test, "{}", expected(line, port));
    }
    if step
        .shown
        .first()
        .is_some_and(|l| l.starts_with("latchkey: "))
    {
        test.push_str("  [1]\n");
    }
}

/// The prysk line for a line the guide shows: a regular expression in
/// which the guide's samples match what they stand for.
fn expected(shown: &str, port: u16) -> String {
    if shown.trim().is_empty() {
        return "  ".into();
    }
    format!("  {} (re)", pattern(shown.trim_end(), port))
}

static SAMPLES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<cut_token>lk[pts])_[A-Za-z0-9_-]*…",
        r"|(?P<token>lk[pts])_(?P<secret>[A-Za-z0-9_-]{20,})",
        r"|(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        r"|(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)",
        r"|(?P<cut>[A-Za-z0-9][A-Za-z0-9_+/=-]*…)",
        r"|(?P<any>…)",
        r"|(?P<port>:8080/)",
    ))
    .unwrap()
});

fn pattern(shown: &str, port: u16) -> String {
    let mut out = String::new();
    let mut last = 0;
    for m in SAMPLES.captures_iter(shown) {
        let whole = m.get(0).unwrap();
        out.push_str(&escape(&shown[last..whole.start()]));
        last = whole.end();
        if let Some(kind) = m.name("cut_token") {
            let _ = write!(out, "{}_[A-Za-z0-9_-]+", kind.as_str());
        } else if let Some(kind) = m.name("token") {
            let len = m.name("secret").unwrap().as_str().len();
            let _ = write!(out, "{}_[A-Za-z0-9_-]{{{len}}}", kind.as_str());
        } else if m.name("uuid").is_some() {
            out.push_str("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        } else if m.name("time").is_some() {
            out.push_str(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z");
        } else if m.name("cut").is_some() {
            out.push_str("[A-Za-z0-9_+/=-]+");
        } else if m.name("any").is_some() {
            out.push_str(".*");
        } else {
            let _ = write!(out, ":{port}/");
        }
    }
    out.push_str(&escape(&shown[last..]));
    // Neither trailing spaces (invisible on the page) nor a missing final
    // newline (curl's JSON answers) are differences.
    out.push_str(r"[ \t]*(?: \(no-eol\))?");
    out
}

/// Escapes what Python's `re` treats specially.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.^$*+?{}[]|()".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `sh` block: its commands; the output block shows what the last prints.
fn sh_steps(block: &Block, output: Option<&[String]>) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut lines = block.lines.iter().enumerate().peekable();
    while let Some((n, first)) = lines.next() {
        if first.trim().is_empty() {
            continue;
        }
        let mut command = vec![first.clone()];
        let mut state = Scan::default();
        while state.scan(command.last().unwrap()) {
            let (_, next) = lines.next().ok_or_else(|| {
                format!("line {}: the command is not finished", block.line + 1 + n)
            })?;
            command.push(next.clone());
        }
        steps.push(Step {
            line: block.line + 1 + n,
            command,
            shown: Vec::new(),
        });
    }
    if let Some(shown) = output {
        let last = steps
            .last_mut()
            .ok_or_else(|| format!("line {}: output of no command", block.line))?;
        last.shown = trim_blank(shown);
    }
    Ok(steps)
}

/// A `console` block: `$ ` commands, each followed by what it prints.
fn console_steps(block: &Block) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    let mut lines = block.lines.iter().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(first) = line.strip_prefix("$ ") else {
            match steps.last_mut() {
                Some(step) => step.shown.push(line.clone()),
                None if line.trim().is_empty() => {}
                None => {
                    return Err(format!(
                        "line {}: a console block starts with `$ `",
                        block.line + 1 + n
                    ));
                }
            }
            continue;
        };
        let mut command = vec![first.to_owned()];
        let mut state = Scan::default();
        while state.scan(command.last().unwrap()) {
            let (_, next) = lines.next().ok_or_else(|| {
                format!("line {}: the command is not finished", block.line + 1 + n)
            })?;
            command.push(next.clone());
        }
        steps.push(Step {
            line: block.line + 1 + n,
            command,
            shown: Vec::new(),
        });
    }
    for step in &mut steps {
        step.shown = trim_blank(&step.shown);
    }
    Ok(steps)
}

fn trim_blank(lines: &[String]) -> Vec<String> {
    let mut lines = lines.to_vec();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines
}

/// Where a shell command stands at the end of a line: inside quotes, or
/// continued by a backslash.
#[derive(Default)]
struct Scan {
    single: bool,
    double: bool,
}

impl Scan {
    /// Reads one line; true when the command goes on on the next.
    fn scan(&mut self, line: &str) -> bool {
        let mut chars = line.chars();
        let mut word_start = true;
        // A backslash escapes the next character; at the end of the line, the
        // newline (outside single quotes).
        let mut escaped_newline = false;
        while let Some(c) = chars.next() {
            if self.single {
                self.single = c != '\'';
            } else if c == '\\' {
                escaped_newline = chars.next().is_none();
            } else if self.double {
                self.double = c != '"';
            } else {
                match c {
                    '\'' => self.single = true,
                    '"' => self.double = true,
                    '#' if word_start => break,
                    _ => {}
                }
            }
            word_start = c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(');
        }
        self.single || self.double || escaped_newline
    }
}

/// An assignment of a value cut short (`T=lkp_…`): the reader pastes a value
/// printed elsewhere; a hidden line sets it for the test.
fn is_placeholder(command: &[String]) -> bool {
    static ASSIGNMENTS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:export\s+)?(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s*)+(?:#.*)?$").unwrap()
    });
    let [line] = command else { return false };
    let code = line.split(" #").next().unwrap_or(line);
    ASSIGNMENTS.is_match(line.trim()) && code.contains('…')
}

#[cfg(test)]
mod rules {
    use super::*;

    fn py_match(pattern: &str, line: &str) -> bool {
        // The test compiles the pattern as Python's `re` would read it; the
        // syntax used here (escapes, classes, counted repeats, groups) is
        // the same in Rust's regex.
        Regex::new(&format!("^(?:{pattern})$"))
            .unwrap()
            .is_match(line)
    }

    #[test]
    fn samples_match_what_they_stand_for_and_nothing_else() {
        let shown = r#"{"id":"01a224f0-d579-…","created_at":"2026-11-29T01:34:52.793064Z","token":"lkt_AaIk8…"}"#;
        let p = pattern(shown, 4321);
        assert!(py_match(
            &p,
            r#"{"id":"01a24e82-f9bb-71de-925e-3560451f908d","created_at":"2026-12-07T03:18:56.1872Z","token":"lkt_x-Y_z"}"#
        ));
        assert!(!py_match(
            &p,
            r#"{"id":"01a24e82-f9bb","created_at":"2026-12-07T03:18:56.1872Z","token":"lkp_x"}"#
        ));
        assert!(!py_match(
            &p,
            r#"{"id":"01a24e82","created_at":"yesterday","token":"lkt_x"}"#
        ));
    }

    #[test]
    fn a_full_token_matches_a_token_of_its_kind_and_length() {
        let p = pattern("lkp_NsMMXhba56JlUUpPtLK3TxjmaGUrs6JZjn_ui_Y6Eh0", 1);
        assert!(py_match(
            &p,
            "lkp_5Nx-fyj9AF0FK9Y_cE83xoQRbD_UEfoN2OmQeaAxsl8"
        ));
        assert!(!py_match(
            &p,
            "lkt_5Nx-fyj9AF0FK9Y_cE83xoQRbD_UEfoN2OmQeaAxsl8"
        ));
        assert!(!py_match(
            &p,
            "lkp_5Nx-fyj9AF0FK9Y_cE83xoQRbD_UEfoN2OmQeaAxsl"
        ));
    }

    #[test]
    fn the_guides_port_is_the_test_servers_and_the_rest_is_literal() {
        let p = pattern(
            "API docs: http://127.0.0.1:8080/api/docs (200 OK) [x]*",
            4321,
        );
        assert!(py_match(
            &p,
            "API docs: http://127.0.0.1:4321/api/docs (200 OK) [x]*"
        ));
        assert!(!py_match(
            &p,
            "API docs: http://127.0.0.1:8080/api/docs (200 OK) [x]*"
        ));
        assert!(!py_match(
            &p,
            "API docs: http://127.0.0.1:4321/api/docs (200 OK) [x]"
        ));
        // Only a URL's port is the server's: an address in a message is text.
        let p = pattern("an address like 127.0.0.1:8080, not `nope`", 4321);
        assert!(py_match(&p, "an address like 127.0.0.1:8080, not `nope`"));
    }

    #[test]
    fn a_sh_block_and_the_output_block_right_after_it_become_one_step() {
        let guide = "```sh\nexport B=http://x\ncurl -X POST $B/t \\\n  -d '{\n  \"a\": 1}'\n```\n\n```json\n{\"ok\":true}\n```\n\nText.\n\n```\nnot an output\n```\n";
        let blocks = parse(guide).unwrap();
        let mut test = String::new();
        convert("g.md", &blocks, 1, &mut test, &mut Vec::new()).unwrap();
        assert!(test.contains("  $ export B=http://x\n"), "{test}");
        assert!(
            test.contains(
                "  $ curl -X POST $B/t \\\n  >   -d '{\n  >   \"a\": 1}'\n  \\{\"ok\":true\\}"
            ),
            "{test}"
        );
        assert!(!test.contains("not an output"), "{test}");
    }

    #[test]
    fn console_commands_show_their_output_and_errors_exit_1() {
        let guide = "```console\n$ latchkey tenant create admin\nlatchkey: slug: is reserved\n\n$ latchkey migrate\n0 migration(s) applied\n```\n";
        let mut test = String::new();
        convert(
            "g.md",
            &parse(guide).unwrap(),
            1,
            &mut test,
            &mut Vec::new(),
        )
        .unwrap();
        assert!(
            test.contains(
                "  $ latchkey tenant create admin\n  latchkey: slug: is reserved[ \\t]*(?: \\(no-eol\\))? (re)\n  [1]\n"
            ),
            "{test}"
        );
        assert!(
            test.contains("  [1]\ng.md:5\n  $ latchkey migrate\n"),
            "{test}"
        );
    }

    #[test]
    fn pasted_values_are_set_by_hidden_lines_and_marked_blocks_do_not_run() {
        let guide = "<!-- docs test: T=$DOCS_PRINTED_TOKEN -->\n```sh\nexport T=lkp_…   # the token printed above\ncurl $B -H \"Authorization: Bearer $T\"\n```\n\n```sh\n# not run in CI: it needs a database server named db\nDATABASE_URL=postgres://db/x latchkey migrate\n```\n";
        let mut test = String::new();
        convert(
            "g.md",
            &parse(guide).unwrap(),
            1,
            &mut test,
            &mut Vec::new(),
        )
        .unwrap();
        assert!(test.contains("  $ T=$DOCS_PRINTED_TOKEN\n"), "{test}");
        assert!(!test.contains("  $ export T=lkp_"), "{test}");
        assert!(test.contains("  $ curl $B"), "{test}");
        assert!(!test.contains("latchkey migrate\n"), "{test}");
        assert!(test.contains("not run in CI: it needs a database server named db"));
    }

    #[test]
    fn a_block_marked_without_a_reason_is_refused() {
        let guide = "```sh\n# not run in CI:\nrm -rf /\n```\n";
        let mut test = String::new();
        assert!(
            convert(
                "g.md",
                &parse(guide).unwrap(),
                1,
                &mut test,
                &mut Vec::new()
            )
            .is_err()
        );
    }

    /// The point of it all: a guide that shows something else than what runs
    /// fails, and the failure names the guide's line.
    #[test]
    fn a_guide_that_drifted_fails_naming_its_line() {
        let guide = "Intro.\n\n```sh\necho hello\n```\n\n```\nhello\n```\n\n```console\n$ echo 'it is 1 o'\"'\"'clock'\nit is 2 o'clock\n```\n";
        let work = latchkey_testkit::target_dir().join("docs-test-rules");
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(work.join("bin")).unwrap();
        let mut test = String::new();
        let mut places = Vec::new();
        convert(
            "drift.md",
            &parse(guide).unwrap(),
            1,
            &mut test,
            &mut places,
        )
        .unwrap();
        let file = work.join("drift.t");
        std::fs::write(&file, &test).unwrap();
        let outcome = run_prysk(&file, &work, &work, &work.join("bin"), 1);
        assert!(!outcome.passed, "{}", outcome.report);
        assert!(
            outcome.report.contains("+  it is 1 o'clock"),
            "{}",
            outcome.report
        );
        assert_eq!(first_difference(&outcome.report, &places), "drift.md:12");
    }
}
