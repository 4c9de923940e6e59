DROP TABLE console_sessions;
DROP TABLE tenant_admins;
