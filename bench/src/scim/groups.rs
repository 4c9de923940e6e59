//! The group workload: one member added and removed at a time, in a large
//! group and a small one.

use anyhow::{Result, bail};
use reqwest::Method;
use serde_json::Value;

use super::client::one_by_one;
use super::report::{Report, Row};
use super::{Endpoint, SMALL_GROUP, ScimArgs};
use crate::{people, seed};

pub(super) async fn group_changes(
    ep: &Endpoint,
    backend: &str,
    a: &ScimArgs,
    base_millis: u64,
    report: &mut Report,
) -> Result<()> {
    let n = a.scim_seed_users;
    let samples = a.scim_samples.min(1000);
    for (k, members) in [a.scim_group_members, SMALL_GROUP].into_iter().enumerate() {
        let group = people::hyphenate(&seed::group_hex(base_millis, n, k as u64));
        let (_, s, _) = ep
            .timed(
                Method::GET,
                ep.url(
                    &format!("/Groups/{group}"),
                    &[("excludedAttributes", "members")],
                )?,
                None,
            )
            .await?;
        if s != 200 {
            bail!("the seeded group {group} answered {s}");
        }
        // Users from the end of the directory, in no group: added, then
        // removed. As Entra sends it; then asking for an answer without the
        // members, which leaves only the change itself.
        let user = |j: usize| people::seeded_id(base_millis, n - 1 - j as u64);
        let changed = |_: usize, s: u16, _: &Value| s == 200 || s == 204;
        for (variant, query) in [
            ("", &[][..]),
            (
                ", `excludedAttributes=members`",
                &[("excludedAttributes", "members")][..],
            ),
        ] {
            let url = ep.url(&format!("/Groups/{group}"), query)?;
            let mut add = Vec::with_capacity(samples);
            let mut remove = Vec::with_capacity(samples);
            for j in 0..samples {
                for (op, out) in [("Add", &mut add), ("Remove", &mut remove)] {
                    let body = people::member_patch(op, &user(j)).to_string();
                    out.extend(
                        one_by_one(
                            ep,
                            "group PATCH",
                            1,
                            |_| {
                                let (url, body) = (url.clone(), body.clone());
                                async move { Ok((Method::PATCH, url, Some(body))) }
                            },
                            changed,
                        )
                        .await,
                    );
                }
            }
            for (op, rows) in [("add 1 member", &add), ("remove 1 member", &remove)] {
                report.groups.push(Row::new(
                    backend,
                    format!("{op}, group of {members}{variant}"),
                    rows,
                ));
            }
        }
    }
    Ok(())
}
