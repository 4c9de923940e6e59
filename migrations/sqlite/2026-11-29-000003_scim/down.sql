DROP TABLE scim_requests;
DROP INDEX groups_external_id;
DROP TABLE group_subgroups;
DROP TABLE user_values;
DROP TABLE user_profiles;
