use super::*;

#[test]
fn defaults_listen_on_localhost_8080() {
    assert_eq!(
        Settings::default().listen_addr().unwrap().to_string(),
        "127.0.0.1:8080"
    );
}

#[test]
fn links_use_the_public_url_or_else_the_address_listened_on() {
    let bound: SocketAddr = "127.0.0.1:41234".parse().unwrap();
    let mut s = Settings::default();
    assert_eq!(s.origin(bound), "http://127.0.0.1:41234");
    assert_eq!(
        s.origin("0.0.0.0:8080".parse().unwrap()),
        "http://localhost:8080"
    );
    assert_eq!(s.origin("[::1]:8080".parse().unwrap()), "http://[::1]:8080");
    s.public_url = Some("https://id.example.com/".into());
    assert_eq!(s.origin(bound), "https://id.example.com");
}

#[test]
fn a_bad_listen_address_is_refused_with_the_setting_named() {
    let s = Settings {
        listen: "nope".into(),
        ..Settings::default()
    };
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("LATCHKEY_LISTEN")
    );
}

#[test]
fn a_malformed_bootstrap_token_is_refused_with_the_setting_named() {
    let s = Settings {
        bootstrap_token: Some("secret".into()),
        ..Settings::default()
    };
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("LATCHKEY_BOOTSTRAP_TOKEN")
    );
}

#[test]
fn signup_without_smtp_is_refused_with_the_settings_named() {
    let s = Settings {
        signup_enabled: true,
        public_url: Some("https://id.example.com".into()),
        ..Settings::default()
    };
    let err = s.validate().unwrap_err().to_string();
    assert!(
        err.contains("LATCHKEY_SMTP_URL") && err.contains("LATCHKEY_MAIL_FROM"),
        "{err}"
    );
}

#[test]
fn an_smtp_url_of_another_scheme_is_refused() {
    let s = Settings {
        smtp_url: Some("http://mail.example.com".into()),
        ..Settings::default()
    };
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("LATCHKEY_SMTP_URL")
    );
}

#[test]
fn a_sender_that_is_no_address_is_refused() {
    let s = Settings {
        mail_from: Some("Latchkey".into()),
        ..Settings::default()
    };
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("LATCHKEY_MAIL_FROM")
    );
}

fn stripe() -> Settings {
    Settings {
        stripe_secret_key: Some("sk_test_secretvalue123".into()),
        stripe_webhook_secret: Some("whsec_secretvalue456".into()),
        stripe_price_team: Some("price_team".into()),
        stripe_price_enterprise: Some("price_enterprise".into()),
        ..Settings::default()
    }
}

#[test]
fn billing_is_off_by_default_and_on_with_the_full_stripe_settings() {
    assert!(Settings::default().billing().unwrap().is_none());
    let s = stripe();
    s.validate().unwrap();
    assert!(s.billing().unwrap().is_some());
}

#[test]
fn a_partial_stripe_configuration_is_refused_naming_what_is_missing() {
    let s = Settings {
        stripe_price_enterprise: None,
        ..stripe()
    };
    let err = s.validate().unwrap_err().to_string();
    assert!(err.contains("LATCHKEY_STRIPE_PRICE_ENTERPRISE"), "{err}");
    let s = Settings {
        stripe_secret_key: None,
        ..stripe()
    };
    let err = s.validate().unwrap_err().to_string();
    assert!(err.contains("LATCHKEY_STRIPE_SECRET_KEY"), "{err}");
}

#[test]
fn stripe_secrets_are_never_printed() {
    let printed = format!("{:?}", stripe());
    assert!(
        !printed.contains("secretvalue") && printed.contains("price_team"),
        "{printed}"
    );
}

#[test]
fn a_stripe_event_retention_outside_1_to_3650_days_is_refused_with_the_setting_named() {
    for days in [0, 3651] {
        let s = Settings {
            stripe_event_retention_days: days,
            ..Settings::default()
        };
        let err = s.validate().unwrap_err().to_string();
        assert!(
            err.contains("LATCHKEY_STRIPE_EVENT_RETENTION_DAYS"),
            "{days}: {err}"
        );
    }
    let s = Settings {
        stripe_event_retention_days: 3650,
        ..Settings::default()
    };
    s.validate().unwrap();
}

#[test]
fn signup_is_off_by_default() {
    assert!(Settings::default().signup().unwrap().is_none());
}

#[test]
fn a_database_url_that_is_no_url_is_refused() {
    let s = Settings {
        database_url: Some("host=localhost dbname=x".into()),
        ..Settings::default()
    };
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("DATABASE_URL")
    );
}

#[test]
fn an_unknown_key_in_the_config_file_is_refused() {
    let dir = std::env::temp_dir().join(format!("latchkey-config-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latchkey.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nlisten_port = 1\n").unwrap();
    let err = Settings::load(Some(&file)).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(err.contains("listen_port"), "{err}");
}

#[test]
fn a_plan_in_the_config_file_overrides_only_what_it_sets() {
    let dir = std::env::temp_dir().join(format!("latchkey-config-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latchkey.toml");
    std::fs::write(
        &file,
        "[plans.free]\nmax_internal_users = 25\n[plans.team]\nfeatures = [\"audit_export\"]\n",
    )
    .unwrap();
    let s = Settings::load(Some(&file)).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let plans = s.plans().unwrap();
    assert_eq!(plans.get("free").max_internal_users, Some(25));
    assert_eq!(plans.get("team").features, vec!["audit_export".to_owned()]);
    assert_eq!(plans.get("enterprise"), &Plans::defaults()["enterprise"]);
}

#[test]
fn a_plan_naming_an_unknown_feature_is_refused() {
    let dir = std::env::temp_dir().join(format!("latchkey-config-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latchkey.toml");
    std::fs::write(&file, "[plans.team]\nfeatures = [\"sso\"]\n").unwrap();
    let err = Settings::load(Some(&file)).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(err.contains("sso"), "{err}");
}

#[test]
fn a_wrongly_typed_value_in_the_config_file_names_the_key() {
    let dir = std::env::temp_dir().join(format!("latchkey-config-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latchkey.toml");
    std::fs::write(&file, "pool_size = \"many\"\n").unwrap();
    let err = Settings::load(Some(&file)).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(err.contains("pool_size"), "{err}");
}
