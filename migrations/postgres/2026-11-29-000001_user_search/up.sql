-- Search is a case-insensitive prefix match on user name, email and names,
-- served by an index per field: the keys are lowercased by the application
-- and searched with a range (`key >= 'ada' AND key < 'adb'`). Bytewise
-- order (COLLATE "C") makes that range exactly the keys with the prefix,
-- whatever the database's default collation.
ALTER TABLE users ALTER COLUMN user_name_key TYPE TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN email_key TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN display_name_key TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN given_name_key TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN family_name_key TEXT COLLATE "C";
UPDATE users SET
    email_key = lower(email),
    display_name_key = lower(display_name),
    given_name_key = lower(given_name),
    family_name_key = lower(family_name);
CREATE INDEX users_email_key ON users (tenant_id, email_key);
CREATE INDEX users_display_name_key ON users (tenant_id, display_name_key);
CREATE INDEX users_given_name_key ON users (tenant_id, given_name_key);
CREATE INDEX users_family_name_key ON users (tenant_id, family_name_key);
