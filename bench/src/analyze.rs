//! Standing in for autovacuum's ANALYZE during a long write workload on
//! PostgreSQL. The CI database here runs with `autovacuum = off`; with it
//! on (PostgreSQL's default) the tables a provisioning burst fills are
//! analyzed about once a minute (`autovacuum_naptime`), which also makes
//! the server's cached plans be planned again with the tables' real size.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::server::psql_script;

const TABLES: &str = "users, user_profiles, user_values, audit_events, groups, group_members";

pub struct Analyzer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<usize>>,
}

impl Analyzer {
    /// Analyzes the directory's tables of database `db` every `every`.
    pub fn start(db: String, every: Duration) -> Analyzer {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut runs = 0;
            let mut last = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if last.elapsed() >= every {
                    if let Err(e) = psql_script(&db, &format!("ANALYZE {TABLES};\n")) {
                        eprintln!("ANALYZE failed: {e}");
                    }
                    runs += 1;
                    last = Instant::now();
                }
            }
            runs
        });
        Analyzer {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Analyzer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take()
            && let Ok(runs) = t.join()
        {
            eprintln!("ANALYZE ran {runs} times during the workload");
        }
    }
}
