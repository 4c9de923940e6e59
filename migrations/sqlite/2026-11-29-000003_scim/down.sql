DROP TABLE scim_requests;
DROP INDEX groups_external_id;
DROP INDEX group_members_joined;
DROP TABLE group_subgroups;
DROP TABLE user_values;
DROP TABLE user_profiles;
