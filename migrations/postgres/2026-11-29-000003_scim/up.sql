-- SCIM: the rest of the core User schema and the EnterpriseUser extension.
-- Single-valued attributes live in one row per user beside `users`, so the
-- REST API's users stay lean; multi-valued ones (emails, addresses …) get a
-- row per value, so a filter on them is an indexed EXISTS, never a scan of
-- stored documents.
CREATE TABLE user_profiles (
    tenant_id BYTEA NOT NULL,
    user_id BYTEA NOT NULL,
    name_formatted TEXT,
    middle_name TEXT,
    honorific_prefix TEXT,
    honorific_suffix TEXT,
    nick_name TEXT,
    profile_url TEXT,
    title TEXT,
    user_type TEXT,
    preferred_language TEXT,
    locale TEXT,
    timezone TEXT,
    -- The client removed `active` (or never sent it): SCIM shows none,
    -- the directory treats the user as active.
    active_omitted BOOLEAN NOT NULL DEFAULT FALSE,
    -- An argon2 PHC string; the password itself is never stored.
    password_hash TEXT,
    employee_number TEXT,
    cost_center TEXT,
    organization TEXT,
    division TEXT,
    department TEXT,
    -- The manager's id as the client sent it (Entra may name a manager it
    -- provisions later); deleting that user clears it in the same transaction.
    manager_id TEXT,
    manager_ref TEXT,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_profiles_manager ON user_profiles (tenant_id, manager_id);
CREATE INDEX user_profiles_employee_number ON user_profiles (tenant_id, employee_number);

CREATE TABLE user_values (
    tenant_id BYTEA NOT NULL,
    user_id BYTEA NOT NULL,
    -- emails, phoneNumbers, ims, photos, addresses, entitlements, roles, x509Certificates
    attr TEXT NOT NULL,
    position INTEGER NOT NULL,
    value TEXT,
    -- Lowercased value, for the attributes whose comparisons ignore case.
    value_key TEXT COLLATE "C",
    type TEXT,
    -- NULL when the client did not say: a value reads back as it was sent.
    is_primary BOOLEAN,
    display TEXT,
    formatted TEXT,
    street_address TEXT,
    locality TEXT,
    region TEXT,
    postal_code TEXT,
    country TEXT,
    PRIMARY KEY (tenant_id, user_id, attr, position),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_values_lookup ON user_values (tenant_id, attr, value_key);
-- A user's `email` is their primary SCIM email: users that have one get it.
INSERT INTO user_values (tenant_id, user_id, attr, position, value, value_key, is_primary)
SELECT tenant_id, id, 'emails', 0, email, email_key, TRUE FROM users WHERE email IS NOT NULL;

-- Groups may hold groups as well as users.
CREATE TABLE group_subgroups (
    tenant_id BYTEA NOT NULL,
    group_id BYTEA NOT NULL,
    member_id BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, group_id, member_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, member_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_subgroups_member ON group_subgroups (tenant_id, member_id);
-- Members in the order they joined, as SCIM lists them: a bounded read of a
-- large group is an index range, not a sort of the whole group.
CREATE INDEX group_members_joined ON group_members (tenant_id, group_id, created_at, user_id);
CREATE INDEX group_subgroups_joined ON group_subgroups (tenant_id, group_id, created_at, member_id);

CREATE INDEX groups_external_id ON groups (tenant_id, external_id);

-- The last requests of each tenant's SCIM clients, so an admin can see why a
-- sync failed. Bounded: the service prunes it to the configured size.
CREATE TABLE scim_requests (
    tenant_id BYTEA NOT NULL REFERENCES tenants (id),
    id BYTEA NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    token_id TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    scim_type TEXT,
    detail TEXT,
    duration_ms INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    -- Redacted: passwords and other secrets never reach this column.
    request_body TEXT,
    PRIMARY KEY (tenant_id, id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON user_profiles, user_values, group_subgroups, scim_requests TO latchkey_app;

ALTER TABLE user_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_profiles
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE user_values ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_values
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE group_subgroups ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON group_subgroups
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE scim_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scim_requests
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
