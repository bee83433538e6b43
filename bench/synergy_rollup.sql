-- Part C of bench/synergy.sh: delivery performance rolled up per customer
-- (what customer_360.otif_90d does for 90 days, here over all history).
SELECT format('%s customers, %s lines measured, OTIF %s %%, mean days late %s',
              count(*), sum(n), round(100 * sum(otif) / nullif(sum(measured), 0), 2), round(sum(late) / nullif(sum(measured), 0), 3))
  FROM (SELECT customer_id, count(*) AS n, count(*) FILTER (WHERE otif) AS otif,
               count(otif) AS measured, sum(days_late) AS late
          FROM crmscm.delivery_performance GROUP BY customer_id) c;
