-- The full suggestion recomputed from the order history (what the view did
-- before issue #18): the same columns as bench/reorder_view.sql.
SELECT count(*) AS pairs, round(sum(demand_mean)::numeric, 3) AS sum_mean,
       round(sum(demand_sd)::numeric, 3) AS sum_sd,
       round(sum(reorder_point)::numeric, 1) AS sum_rop,
       sum(suggested_qty) AS sum_suggested, count(*) FILTER (WHERE reorder_now) AS reorder_now,
       count(DISTINCT reason) AS reasons, count(DISTINCT abc_class) AS classes
FROM crmscm.reorder_suggestions_at((now() AT TIME ZONE 'UTC')::date, from_history => true);
