DROP FUNCTION latchkey_claim_key_rotations(TIMESTAMP, INTEGER, INTEGER);
DROP TABLE key_rotation_schedules;
DROP FUNCTION latchkey_seats_in_use();
DROP INDEX audit_events_time;
DROP INDEX users_seats;
DROP TABLE licenses;
DROP TABLE installation;
