DROP INDEX users_family_name_key;
DROP INDEX users_given_name_key;
DROP INDEX users_display_name_key;
DROP INDEX users_email_key;
ALTER TABLE users DROP COLUMN family_name_key;
ALTER TABLE users DROP COLUMN given_name_key;
ALTER TABLE users DROP COLUMN display_name_key;
ALTER TABLE users DROP COLUMN email_key;
ALTER TABLE users ALTER COLUMN user_name_key TYPE TEXT COLLATE "default";
