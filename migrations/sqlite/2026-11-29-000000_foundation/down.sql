DROP TABLE signing_keys;
DROP TABLE audit_events;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE users;
DROP TABLE api_tokens;
DROP TABLE platform_tokens;
DROP TABLE tenants;
