//! The second step of signing in, for a user with a second factor: the
//! session the password opened is proved with a code and replaced by a new
//! one (a new secret: the half-signed-in one is worthless afterwards).

use diesel::prelude::*;
use serde_json::json;

use super::sessions::{self, OpenedSession};
use super::{AuthMethod, Client, Lifetimes, SignIn};
use crate::db::schema::user_sessions;
use crate::error::{AuthFailure, Error, Result};

impl SignIn<'_> {
    /// Proves the session `secret` names (opened by a password, waiting for
    /// its second factor) with a TOTP code; returns the session that
    /// replaces it.
    pub async fn with_totp(
        &self,
        secret: &str,
        code: &str,
        client: &Client,
        lifetimes: Lifetimes,
    ) -> Result<OpenedSession> {
        let pending = self.scope.sessions().awaiting_second_factor(secret).await?;
        let user = pending.user_id;
        match self.scope.factors().verify_totp(user, code).await {
            Ok(factor) => {
                let client = client.clone();
                self.scope
                    .write(move |tx| {
                        let replaced = diesel::delete(
                            user_sessions::table
                                .find((tx.tenant, pending.id))
                                .filter(user_sessions::second_factor_due.eq(true)),
                        )
                        .execute(tx.conn)?;
                        // Proved twice at once: only one gets a session.
                        if replaced == 0 {
                            return Err(Error::Unauthenticated(AuthFailure::Session));
                        }
                        let methods = [AuthMethod::Password, AuthMethod::OneTimeCode];
                        let opened = sessions::open(
                            tx,
                            (user, pending.user_name.clone()),
                            &methods,
                            &client,
                            lifetimes,
                        )?;
                        tx.audit_by_user(
                            user,
                            "user.sign_in",
                            json!({
                                "session": opened.session.id.to_string(),
                                "amr": opened.session.amr,
                                "factor": factor.to_string(),
                                "address": client.address.map(|a| a.to_string()),
                            }),
                        )?;
                        Ok(opened)
                    })
                    .await
            }
            Err(e @ Error::Unauthenticated(AuthFailure::Code)) => {
                self.scope
                    .write(move |tx| {
                        tx.audit(
                            "user.sign_in_failed",
                            "user",
                            &user.to_string(),
                            json!({ "reason": "wrong_code" }),
                        )
                    })
                    .await?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}
