-- Allocation by customer value (issue #17, doc/synergy.md):
-- customer tiers, the tier thresholds of a tenant, allocation rules.
-- Conventions: doc/conventions.md.

CREATE TABLE IF NOT EXISTS @extschema@.customer_tiers (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	customer_id bigint NOT NULL,
	tier text NOT NULL CHECK (tier IN ('A', 'B', 'C')),
	explicit boolean NOT NULL DEFAULT false,
	clv_12m float8,
	CONSTRAINT customer_tiers_clv_12m_finite CHECK (clv_12m > '-Infinity' AND clv_12m < 'Infinity'),
	assigned_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, customer_id),
	FOREIGN KEY (tenant_id, customer_id) REFERENCES @extschema@.customers (tenant_id, customer_id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.customer_tiers IS
	'Customer tiers A (best), B, C for allocation: from 12-month CLV by crmscm.refit_tiers() (run by crmscm.refit_models()), or set explicitly (crmscm.set_customer_tier()); a customer without a row is C';
COMMENT ON COLUMN @extschema@.customer_tiers.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.customer_tiers.customer_id IS 'Customer';
COMMENT ON COLUMN @extschema@.customer_tiers.tier IS 'A, B or C: the backorder queue serves A before B before C within one order priority';
COMMENT ON COLUMN @extschema@.customer_tiers.explicit IS 'Set by hand: crmscm.refit_tiers() leaves the row alone';
COMMENT ON COLUMN @extschema@.customer_tiers.clv_12m IS 'The 12-month CLV the tier was derived from (customer_360.clv_12m at the last refit); NULL: no CLV or set by hand';
COMMENT ON COLUMN @extschema@.customer_tiers.assigned_at IS 'When the tier was last assigned';

CREATE TABLE IF NOT EXISTS @extschema@.tier_thresholds (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	a_share numeric NOT NULL DEFAULT 0.2 CHECK (a_share >= 0 AND a_share <= 1),
	b_share numeric NOT NULL DEFAULT 0.3 CHECK (b_share >= 0 AND b_share <= 1),
	a_min_clv float8,
	b_min_clv float8,
	CONSTRAINT tier_thresholds_a_share_finite CHECK (a_share > '-Infinity' AND a_share < 'Infinity'),
	CONSTRAINT tier_thresholds_b_share_finite CHECK (b_share > '-Infinity' AND b_share < 'Infinity'),
	CONSTRAINT tier_thresholds_a_min_clv_finite CHECK (a_min_clv > '-Infinity' AND a_min_clv < 'Infinity'),
	CONSTRAINT tier_thresholds_b_min_clv_finite CHECK (b_min_clv > '-Infinity' AND b_min_clv < 'Infinity'),
	customers bigint,
	assigned_at timestamptz,
	PRIMARY KEY (tenant_id),
	CONSTRAINT tier_thresholds_shares CHECK (a_share + b_share <= 1)
);
COMMENT ON TABLE @extschema@.tier_thresholds IS
	'Per tenant: which shares of the customers ranked by 12-month CLV are tiers A and B, and the CLV thresholds the last crmscm.refit_tiers() found';
COMMENT ON COLUMN @extschema@.tier_thresholds.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.tier_thresholds.a_share IS 'Share of the customers with a CLV, highest CLV first, that are tier A (default 0.2: the top 20 %)';
COMMENT ON COLUMN @extschema@.tier_thresholds.b_share IS 'Share of them, after tier A, that are tier B (default 0.3: the next 30 %)';
COMMENT ON COLUMN @extschema@.tier_thresholds.a_min_clv IS 'Lowest 12-month CLV in tier A at the last assignment';
COMMENT ON COLUMN @extschema@.tier_thresholds.b_min_clv IS 'Lowest 12-month CLV in tier B at the last assignment';
COMMENT ON COLUMN @extschema@.tier_thresholds.customers IS 'Customers with a CLV ranked at the last assignment';
COMMENT ON COLUMN @extschema@.tier_thresholds.assigned_at IS 'When the tiers were last assigned';

CREATE TABLE IF NOT EXISTS @extschema@.allocation_rules (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	item_id bigint NOT NULL,
	tier text NOT NULL CHECK (tier IN ('A', 'B')),
	share numeric NOT NULL CHECK (share >= 0 AND share <= 1),
	CONSTRAINT allocation_rules_share_finite CHECK (share > '-Infinity' AND share < 'Infinity'),
	PRIMARY KEY (tenant_id, item_id, tier),
	FOREIGN KEY (tenant_id, item_id) REFERENCES @extschema@.items (tenant_id, item_id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.allocation_rules IS
	'Protection levels: share x on hand of each warehouse''s stock of the item that only the tier or better may reserve (the shares of an item add up to at most 1)';
COMMENT ON COLUMN @extschema@.allocation_rules.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.allocation_rules.item_id IS 'Item';
COMMENT ON COLUMN @extschema@.allocation_rules.tier IS 'A or B: the tier (and better) the share is kept for';
COMMENT ON COLUMN @extschema@.allocation_rules.share IS 'Share of on hand, in [0, 1]: lines of worse tiers reserve only while the available stock stays above it';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_tiers', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tier_thresholds', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocation_rules', '');
