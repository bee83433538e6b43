-- Customer lifetime: the CDNOW sample loaded as historic orders, BG/NBD and
-- Gamma-Gamma models fitted in the database, customers by P(alive) and CLV.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
SET search_path = crmscm, public;
SET crmscm.tenant_id = 30;             -- a tenant of its own for this demo

\echo
\echo '== Customer lifetime: CDNOW sample (2,357 customers), purchases up to 1997-09-30'
CREATE TEMP TABLE cdnow (masterid int, sampleid int, date text, cds int, sales numeric);
\copy cdnow FROM 'data/cdnow/cdnowElog.csv' WITH (FORMAT csv, HEADER true)

-- Historic import: customers, closed orders, shipped lines (no stock is touched).
-- One order per purchase, one line with its dollar value.  The lifetime rows are
-- kept by deferred triggers, computed once at COMMIT.
BEGIN;
INSERT INTO items (sku, name) VALUES ('CDNOW', 'CDNOW purchase');
INSERT INTO customers (customer_id, name)
SELECT DISTINCT sampleid, 'CDNOW customer ' || sampleid FROM cdnow;
CREATE TEMP TABLE cdnow_orders AS
SELECT row_number() OVER (ORDER BY sampleid, date, masterid) AS n, sampleid, to_date(date, 'YYYYMMDD') AS day, sales
  FROM cdnow WHERE to_date(date, 'YYYYMMDD') <= '1997-09-30';
INSERT INTO sales_orders (order_id, customer_id, status, ordered_at)
SELECT 3000000 + n, sampleid, 'closed', (day + time '12:00') AT TIME ZONE 'UTC' FROM cdnow_orders;
INSERT INTO sales_order_lines (order_id, line_no, item_id, qty, unit_price, status, qty_shipped)
SELECT 3000000 + n, 1, (SELECT item_id FROM items WHERE sku = 'CDNOW'), 1, sales, 'shipped', 1 FROM cdnow_orders;
COMMIT;

SELECT count(*) AS customers, sum(orders) AS purchases, sum(order_days) AS purchase_days,
       round(sum(revenue), 2) AS revenue
  FROM customer_lifetime WHERE tenant_id = 30;

\echo
\echo '== Models fitted by crmscm.refit_models(''1997-09-30''), in weeks'
\echo '   (Fader, Hardie & Lee 2005: r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4;'
\echo '    Gamma-Gamma, Hardie note 025: p 6.25, q 3.74, v 15.44)'
SELECT round(((m).bgnbd).r::numeric, 4) AS r, round(((m).bgnbd).alpha::numeric, 4) AS alpha,
       round(((m).bgnbd).a::numeric, 4) AS a, round(((m).bgnbd).b::numeric, 4) AS b,
       round(((m).bgnbd).log_likelihood::numeric, 2) AS "BG/NBD LL",
       round(((m).gamma_gamma).p::numeric, 4) AS p, round(((m).gamma_gamma).q::numeric, 4) AS q,
       round(((m).gamma_gamma).v::numeric, 4) AS v,
       (m).customers, (m).repeat_customers AS "repeat buyers"
  FROM (SELECT refit_models('1997-09-30') AS m) s;

\echo
\echo '== Top 10 customers by 12-month CLV (1% monthly discount) on 1997-09-30'
SELECT customer_id AS customer, purchase_days, round(revenue, 2) AS revenue,
       recency_days, age_days, round(p_alive::numeric, 3) AS "P(alive)",
       round(expected_purchases_90d::numeric, 2) AS "purchases next 90d",
       round(clv_12m::numeric, 2) AS "CLV 12m", stage
  FROM customer_360 WHERE tenant_id = 30
 ORDER BY clv_12m DESC NULLS LAST, customer_id LIMIT 10;

\echo
\echo '== Repeat buyers least likely to be alive'
SELECT customer_id AS customer, purchase_days, first_order_day, last_order_day,
       round(p_alive::numeric, 4) AS "P(alive)", round(clv_12m::numeric, 2) AS "CLV 12m", stage
  FROM customer_360 WHERE tenant_id = 30 AND frequency > 0
 ORDER BY p_alive, customer_id LIMIT 5;

\echo
\echo '== Customers by P(alive) band'
SELECT CASE WHEN p_alive >= 0.9 THEN '0.9 - 1.0' WHEN p_alive >= 0.5 THEN '0.5 - 0.9'
            WHEN p_alive >= 0.1 THEN '0.1 - 0.5' ELSE '0.0 - 0.1' END AS "P(alive)",
       count(*) AS customers, round(avg(expected_purchases_90d)::numeric, 3) AS "avg purchases next 90d",
       round(avg(clv_12m)::numeric, 2) AS "avg CLV 12m", round(sum(clv_12m)::numeric, 0) AS "total CLV 12m"
  FROM customer_360 WHERE tenant_id = 30
 GROUP BY 1 ORDER BY 1 DESC;

\echo
\echo '== Lifecycle stages on 1997-09-30 (at_risk: 180 days without purchase or P(alive) < 0.5; churned: 365 days or P(alive) < 0.1)'
SELECT stage, count(*) AS customers, round(avg(p_alive)::numeric, 3) AS "avg P(alive)"
  FROM customer_360 WHERE tenant_id = 30 GROUP BY stage ORDER BY customers DESC;
