-- At most one active and one next key per tenant and algorithm: the database
-- holds the rotation invariant even if two rotations ever race.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (tenant_id, alg) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (tenant_id, alg) WHERE state = 'next';
