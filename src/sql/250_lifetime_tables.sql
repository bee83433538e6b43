-- Customer lifetime bookkeeping and stored models (doc/lifetime.md).  Kept by the
-- triggers of 340_lifetime_triggers.sql; conventions: doc/conventions.md.

CREATE TABLE IF NOT EXISTS @extschema@.customer_lifetime (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	customer_id bigint NOT NULL,
	first_order_day date,
	last_order_day date,
	order_days int NOT NULL DEFAULT 0 CHECK (order_days >= 0),
	orders int NOT NULL DEFAULT 0 CHECK (orders >= 0),
	orders_placed int NOT NULL DEFAULT 0 CHECK (orders_placed >= 0),
	revenue numeric NOT NULL DEFAULT 0,
	repeat_revenue numeric NOT NULL DEFAULT 0,
	shipped_revenue numeric NOT NULL DEFAULT 0,
	stage text NOT NULL DEFAULT 'lead'
		CHECK (stage IN ('lead', 'prospect', 'customer', 'repeat', 'at_risk', 'churned')),
	stage_as_of date,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, customer_id),
	FOREIGN KEY (tenant_id, customer_id) REFERENCES @extschema@.customers (tenant_id, customer_id) ON DELETE CASCADE,
	-- NaN and +-Infinity are no quantities (issue #13): numeric NaN sorts above
	-- every number, so a check like qty > 0 alone lets it through
	CONSTRAINT customer_lifetime_revenue_finite CHECK (revenue > '-Infinity' AND revenue < 'Infinity'),
	CONSTRAINT customer_lifetime_repeat_revenue_finite CHECK (repeat_revenue > '-Infinity' AND repeat_revenue < 'Infinity'),
	CONSTRAINT customer_lifetime_shipped_revenue_finite CHECK (shipped_revenue > '-Infinity' AND shipped_revenue < 'Infinity')
);
COMMENT ON TABLE @extschema@.customer_lifetime IS
	'Purchase history summary per customer, kept current by triggers on sales orders and lines (at commit)';
COMMENT ON COLUMN @extschema@.customer_lifetime.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.customer_lifetime.customer_id IS 'Customer';
COMMENT ON COLUMN @extschema@.customer_lifetime.first_order_day IS 'First purchase day (UTC calendar day of ordered_at)';
COMMENT ON COLUMN @extschema@.customer_lifetime.last_order_day IS 'Last purchase day (UTC)';
COMMENT ON COLUMN @extschema@.customer_lifetime.order_days IS 'Distinct purchase days (frequency + 1)';
COMMENT ON COLUMN @extschema@.customer_lifetime.orders IS 'Purchases: confirmed orders with a line not cancelled, closed orders with a shipped line';
COMMENT ON COLUMN @extschema@.customer_lifetime.orders_placed IS 'Sales orders of any status, purchases or not';
COMMENT ON COLUMN @extschema@.customer_lifetime.revenue IS 'Purchase value: qty * unit_price of lines not cancelled (confirmed orders), qty_shipped * unit_price of shipped lines (closed orders)';
COMMENT ON COLUMN @extschema@.customer_lifetime.repeat_revenue IS 'Revenue of the purchase days after the first (the spend the Gamma-Gamma model uses)';
COMMENT ON COLUMN @extschema@.customer_lifetime.shipped_revenue IS 'qty_shipped * unit_price over the purchases';
COMMENT ON COLUMN @extschema@.customer_lifetime.stage IS 'Lifecycle stage on stage_as_of, see crmscm.lifetime_stage()';
COMMENT ON COLUMN @extschema@.customer_lifetime.stage_as_of IS 'Day the stage was computed for';
COMMENT ON COLUMN @extschema@.customer_lifetime.updated_at IS 'When the row was last recomputed';

CREATE TABLE IF NOT EXISTS @extschema@.lifetime_models (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	as_of date,
	unit_days float8 NOT NULL DEFAULT 7 CHECK (unit_days > 0),
	units_per_month float8 NOT NULL DEFAULT 4.345 CHECK (units_per_month > 0),
	monthly_discount float8 NOT NULL DEFAULT 0.01 CHECK (monthly_discount >= 0),
	at_risk_days int NOT NULL DEFAULT @extschema@._at_risk_days(NULL) CHECK (at_risk_days >= 0),
	churn_days int NOT NULL DEFAULT @extschema@._churn_days(NULL) CHECK (churn_days >= 0),
	bgnbd @extschema@.bgnbd,
	gamma_gamma @extschema@.gamma_gamma,
	customers bigint,
	repeat_customers bigint,
	fitted_at timestamptz,
	PRIMARY KEY (tenant_id),
	-- NaN and +-Infinity are no quantities (issue #13): numeric NaN sorts above
	-- every number, so a check like qty > 0 alone lets it through
	CONSTRAINT lifetime_models_unit_days_finite CHECK (unit_days > '-Infinity' AND unit_days < 'Infinity'),
	CONSTRAINT lifetime_models_units_per_month_finite CHECK (units_per_month > '-Infinity' AND units_per_month < 'Infinity'),
	CONSTRAINT lifetime_models_monthly_discount_finite CHECK (monthly_discount > '-Infinity' AND monthly_discount < 'Infinity')
);
-- The two defaults are defined once (src/sql/030_rules.sql); a table that
-- 0.2.0 created has them as literals, so they are set again here (the same
-- values; test/scripts/upgrade_chain.sh compares the upgraded schema)
ALTER TABLE @extschema@.lifetime_models
	ALTER COLUMN at_risk_days SET DEFAULT @extschema@._at_risk_days(NULL),
	ALTER COLUMN churn_days SET DEFAULT @extschema@._churn_days(NULL);
COMMENT ON TABLE @extschema@.lifetime_models IS
	'Per tenant: BG/NBD and Gamma-Gamma models fitted by crmscm.refit_models() and the settings of crmscm.customer_360';
COMMENT ON COLUMN @extschema@.lifetime_models.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.lifetime_models.as_of IS 'End of the observation period of the fit; NULL: evaluate customers on the current date';
COMMENT ON COLUMN @extschema@.lifetime_models.unit_days IS 'Days per model time unit (7: the models are in weeks)';
COMMENT ON COLUMN @extschema@.lifetime_models.units_per_month IS 'Model time units per month for CLV (4.345 weeks)';
COMMENT ON COLUMN @extschema@.lifetime_models.monthly_discount IS 'Monthly discount rate for CLV';
COMMENT ON COLUMN @extschema@.lifetime_models.at_risk_days IS 'Days without purchase after which a customer is at_risk';
COMMENT ON COLUMN @extschema@.lifetime_models.churn_days IS 'Days without purchase after which a customer is churned';
COMMENT ON COLUMN @extschema@.lifetime_models.bgnbd IS 'Fitted BG/NBD model (time unit unit_days)';
COMMENT ON COLUMN @extschema@.lifetime_models.gamma_gamma IS 'Fitted Gamma-Gamma spend model';
COMMENT ON COLUMN @extschema@.lifetime_models.customers IS 'Customers with a purchase up to as_of in the fit';
COMMENT ON COLUMN @extschema@.lifetime_models.repeat_customers IS 'Of which with repeat purchases (Gamma-Gamma fit)';
COMMENT ON COLUMN @extschema@.lifetime_models.fitted_at IS 'When the models were fitted';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_lifetime', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.lifetime_models', '');

-- The two tables below let the commit-time bookkeeping work in deltas
-- (340_lifetime_triggers.sql): what each order counted for when it was last
-- booked, and each customer's purchases per day.  customer_lifetime is
-- their sum; crmscm.refresh_customer_lifetime() rebuilds all three.

CREATE TABLE IF NOT EXISTS @extschema@.sales_order_totals (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	order_id bigint NOT NULL,
	customer_id bigint NOT NULL,
	purchase_day date NOT NULL,
	status text NOT NULL,
	purchase_lines int NOT NULL DEFAULT 0,
	amount numeric NOT NULL DEFAULT 0,
	shipped_amount numeric NOT NULL DEFAULT 0,
	-- no foreign key to sales_orders: when an order is deleted its row must
	-- outlive it until the commit-time bookkeeping has subtracted it
	PRIMARY KEY (tenant_id, order_id),
	-- NaN and +-Infinity are no quantities (issue #13): numeric NaN sorts above
	-- every number, so a check like qty > 0 alone lets it through
	CONSTRAINT sales_order_totals_amount_finite CHECK (amount > '-Infinity' AND amount < 'Infinity'),
	CONSTRAINT sales_order_totals_shipped_amount_finite CHECK (shipped_amount > '-Infinity' AND shipped_amount < 'Infinity')
);
CREATE INDEX IF NOT EXISTS sales_order_totals_tenant_id_customer_id_idx ON @extschema@.sales_order_totals (tenant_id, customer_id);
COMMENT ON TABLE @extschema@.sales_order_totals IS
	'Per sales order, what it counts for in customer_lifetime as of the last commit that changed it (maintained by triggers)';
COMMENT ON COLUMN @extschema@.sales_order_totals.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.sales_order_totals.order_id IS 'Sales order';
COMMENT ON COLUMN @extschema@.sales_order_totals.customer_id IS 'The order''s customer';
COMMENT ON COLUMN @extschema@.sales_order_totals.purchase_day IS 'UTC calendar day of ordered_at';
COMMENT ON COLUMN @extschema@.sales_order_totals.status IS 'The order''s status';
COMMENT ON COLUMN @extschema@.sales_order_totals.purchase_lines IS 'Lines that make the order a purchase (see crmscm.customer_purchases); 0: not a purchase';
COMMENT ON COLUMN @extschema@.sales_order_totals.amount IS 'Purchase value, as crmscm.customer_purchases.amount (0 if not a purchase)';
COMMENT ON COLUMN @extschema@.sales_order_totals.shipped_amount IS 'qty_shipped * unit_price of those lines';

CREATE TABLE IF NOT EXISTS @extschema@.customer_purchase_days (
	tenant_id bigint NOT NULL DEFAULT @extschema@.current_tenant(),
	customer_id bigint NOT NULL,
	purchase_day date NOT NULL,
	purchases int NOT NULL,
	amount numeric NOT NULL,
	shipped_amount numeric NOT NULL,
	PRIMARY KEY (tenant_id, customer_id, purchase_day),
	FOREIGN KEY (tenant_id, customer_id) REFERENCES @extschema@.customers (tenant_id, customer_id) ON DELETE CASCADE,
	-- NaN and +-Infinity are no quantities (issue #13): numeric NaN sorts above
	-- every number, so a check like qty > 0 alone lets it through
	CONSTRAINT customer_purchase_days_amount_finite CHECK (amount > '-Infinity' AND amount < 'Infinity'),
	CONSTRAINT customer_purchase_days_shipped_amount_finite CHECK (shipped_amount > '-Infinity' AND shipped_amount < 'Infinity')
);
COMMENT ON TABLE @extschema@.customer_purchase_days IS
	'Per customer and purchase day: purchases and their value (maintained by triggers; the RFM input per day)';
COMMENT ON COLUMN @extschema@.customer_purchase_days.tenant_id IS 'Tenant owning the row';
COMMENT ON COLUMN @extschema@.customer_purchase_days.customer_id IS 'Customer';
COMMENT ON COLUMN @extschema@.customer_purchase_days.purchase_day IS 'UTC calendar day';
COMMENT ON COLUMN @extschema@.customer_purchase_days.purchases IS 'Purchases (orders) that day';
COMMENT ON COLUMN @extschema@.customer_purchase_days.amount IS 'Their value';
COMMENT ON COLUMN @extschema@.customer_purchase_days.shipped_amount IS 'Their shipped value';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.sales_order_totals', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer_purchase_days', '');
