//! The diesel schema, identical for both backends (see `migrations/`).

diesel::table! {
    tenants (id) {
        id -> Binary,
        slug -> Text,
        display_name -> Text,
        status -> Text,
        plan -> Text,
        wrapped_data_key -> Nullable<Binary>,
        master_key_id -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        billing_customer_id -> Nullable<Text>,
        billing_subscription_id -> Nullable<Text>,
        billing_plan -> Nullable<Text>,
        billing_status -> Nullable<Text>,
        billing_period_end -> Nullable<Timestamp>,
        billing_cancel_at_period_end -> Bool,
        billing_past_due_since -> Nullable<Timestamp>,
        billing_event_created -> Nullable<BigInt>,
        billing_seats_synced -> Nullable<BigInt>,
        billing_sync_generation -> BigInt,
        billing_sync_attempts -> Integer,
        billing_sync_at -> Nullable<Timestamp>,
        billing_sync_error -> Nullable<Text>,
    }
}

diesel::table! {
    stripe_events (id) {
        id -> Text,
        kind -> Text,
        created -> BigInt,
        applied_to -> Nullable<Binary>,
        outcome -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    platform_tokens (id) {
        id -> Binary,
        name -> Text,
        token_hash -> Binary,
        scopes -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_tokens (tenant_id, id) {
        tenant_id -> Binary,
        id -> Binary,
        name -> Text,
        kind -> Text,
        token_hash -> Binary,
        scopes -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (tenant_id, id) {
        tenant_id -> Binary,
        id -> Binary,
        user_name -> Text,
        user_name_key -> Text,
        external_id -> Nullable<Text>,
        kind -> Text,
        email -> Nullable<Text>,
        display_name -> Nullable<Text>,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_key -> Nullable<Text>,
        display_name_key -> Nullable<Text>,
        given_name_key -> Nullable<Text>,
        family_name_key -> Nullable<Text>,
    }
}

diesel::table! {
    groups (tenant_id, id) {
        tenant_id -> Binary,
        id -> Binary,
        display_name -> Text,
        display_name_key -> Text,
        external_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    group_members (tenant_id, group_id, user_id) {
        tenant_id -> Binary,
        group_id -> Binary,
        user_id -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (tenant_id, id) {
        tenant_id -> Binary,
        id -> Binary,
        occurred_at -> Timestamp,
        actor -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        request_id -> Text,
        detail -> Text,
    }
}

diesel::table! {
    signing_keys (tenant_id, id) {
        tenant_id -> Binary,
        id -> Text,
        alg -> Text,
        state -> Text,
        public_jwk -> Text,
        private_key_sealed -> Binary,
        created_at -> Timestamp,
        activated_at -> Nullable<Timestamp>,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    user_profiles (tenant_id, user_id) {
        tenant_id -> Binary,
        user_id -> Binary,
        name_formatted -> Nullable<Text>,
        middle_name -> Nullable<Text>,
        honorific_prefix -> Nullable<Text>,
        honorific_suffix -> Nullable<Text>,
        nick_name -> Nullable<Text>,
        profile_url -> Nullable<Text>,
        title -> Nullable<Text>,
        user_type -> Nullable<Text>,
        preferred_language -> Nullable<Text>,
        locale -> Nullable<Text>,
        timezone -> Nullable<Text>,
        active_omitted -> Bool,
        password_hash -> Nullable<Text>,
        employee_number -> Nullable<Text>,
        cost_center -> Nullable<Text>,
        organization -> Nullable<Text>,
        division -> Nullable<Text>,
        department -> Nullable<Text>,
        manager_id -> Nullable<Text>,
        manager_ref -> Nullable<Text>,
    }
}

diesel::table! {
    user_values (tenant_id, user_id, attr, position) {
        tenant_id -> Binary,
        user_id -> Binary,
        attr -> Text,
        position -> Integer,
        value -> Nullable<Text>,
        value_key -> Nullable<Text>,
        #[sql_name = "type"]
        kind -> Nullable<Text>,
        is_primary -> Nullable<Bool>,
        display -> Nullable<Text>,
        formatted -> Nullable<Text>,
        street_address -> Nullable<Text>,
        locality -> Nullable<Text>,
        region -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Nullable<Text>,
    }
}

diesel::table! {
    group_subgroups (tenant_id, group_id, member_id) {
        tenant_id -> Binary,
        group_id -> Binary,
        member_id -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scim_requests (tenant_id, id) {
        tenant_id -> Binary,
        id -> Binary,
        occurred_at -> Timestamp,
        token_id -> Text,
        method -> Text,
        path -> Text,
        status -> Integer,
        scim_type -> Nullable<Text>,
        detail -> Nullable<Text>,
        duration_ms -> Integer,
        request_id -> Text,
        request_body -> Nullable<Text>,
    }
}

diesel::table! {
    installation (singleton) {
        singleton -> Integer,
        id -> Binary,
        created_at -> Timestamp,
        over_seats_since -> Nullable<Timestamp>,
    }
}

diesel::table! {
    licenses (id) {
        id -> Text,
        token -> Text,
        installed_at -> Timestamp,
    }
}

diesel::table! {
    key_rotation_schedules (tenant_id) {
        tenant_id -> Binary,
        interval_days -> Integer,
        next_rotation_at -> Timestamp,
        last_rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_webhooks (tenant_id) {
        tenant_id -> Binary,
        url -> Text,
        secret_sealed -> Binary,
        cursor_at -> Timestamp,
        cursor_id -> Nullable<Binary>,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        last_delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    groups,
    group_members,
    user_profiles,
    user_values,
    group_subgroups
);

diesel::table! {
    tenant_admins (tenant_id, id) {
        tenant_id -> Binary,
        id -> Binary,
        email -> Text,
        email_key -> Text,
        password_hash -> Text,
        verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    console_sessions (tenant_id, id) {
        tenant_id -> Binary,
        id -> Binary,
        admin_id -> Binary,
        token_hash -> Binary,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(tenant_admins, console_sessions);

diesel::table! {
    user_sessions (tenant_id, id) {
        tenant_id -> Binary,
        id -> Binary,
        user_id -> Binary,
        token_hash -> Binary,
        amr -> Text,
        auth_time -> Timestamp,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Nullable<Text>,
        address -> Nullable<Text>,
        second_factor_due -> Bool,
    }
}

diesel::table! {
    sign_in_throttles (tenant_id, key) {
        tenant_id -> Binary,
        key -> Text,
        attempts -> Integer,
        window_ends_at -> Timestamp,
    }
}

diesel::table! {
    user_factors (tenant_id, id) {
        tenant_id -> Binary,
        id -> Binary,
        user_id -> Binary,
        kind -> Text,
        name -> Text,
        secret_sealed -> Binary,
        last_used_step -> Nullable<BigInt>,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(user_sessions, users);
diesel::allow_tables_to_appear_in_same_query!(user_sessions, user_profiles);

diesel::table! {
    job_runs (name) {
        name -> Text,
        next_run_at -> Timestamp,
    }
}
