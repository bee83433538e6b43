-- BI views of lead scoring and the sales pipeline (doc/lead_scoring.md, README "Reference").  Like every
-- view (doc/conventions.md): security_invoker, and every table filtered on
-- current_tenant().
-- Note: OPERATOR(pg_catalog.x) forms all share one precedence and associate
-- left, so every mixed expression below is fully parenthesised.  top_reasons
-- is a scalar subquery so that queries not reading it (sales_pipeline) skip
-- it, and ORDER BY ... LIMIT computes it for the returned rows only.

CREATE OR REPLACE VIEW @extschema@.lead_scores WITH (security_invoker = true) AS
SELECT l.tenant_id,
       l.lead_id,
       l.name,
       l.company,
       l.stage,
       l.expected_revenue,
       s.model_score,
       s.engagement,
       c.combined_score,
       CASE WHEN c.combined_score OPERATOR(pg_catalog.>=) 75 THEN 'A'
            WHEN c.combined_score OPERATOR(pg_catalog.>=) 50 THEN 'B'
            WHEN c.combined_score OPERATOR(pg_catalog.>=) 25 THEN 'C'
            ELSE 'D' END AS grade,
       (l.stage OPERATOR(pg_catalog.<>) ALL (ARRAY['won', 'lost'])
        AND c.combined_score OPERATOR(pg_catalog.>=) COALESCE(m.mql_threshold, 60)) AS is_mql,
       CASE WHEN m.model IS NOT NULL AND l.features IS NOT NULL AND f.score_error IS NULL THEN ARRAY(
         SELECT COALESCE(m.feature_names[x.feature], 'feature ' OPERATOR(pg_catalog.||) x.feature)
                OPERATOR(pg_catalog.||) CASE WHEN x.contribution OPERATOR(pg_catalog.>=) 0 THEN ' +' ELSE ' ' END
                OPERATOR(pg_catalog.||) pg_catalog.round(x.contribution::numeric, 2)
           FROM @extschema@.lead_score_explain(m.model, l.features)
                WITH ORDINALITY AS x(feature, value, coef, contribution, ord)
          ORDER BY x.ord LIMIT 3) END AS top_reasons,
       m.model_id,
       f.score_error
  FROM @extschema@.leads l
  LEFT JOIN @extschema@.lead_models m
         ON m.tenant_id OPERATOR(pg_catalog.=) l.tenant_id AND m.active
        AND m.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
  LEFT JOIN (
        SELECT e.tenant_id, e.lead_id,
               @extschema@.engagement_score(COALESCE(e.points, ru.points),
                                            e.occurred_at, ru.half_life, pg_catalog.now()) AS engagement
          FROM @extschema@.lead_events e
          JOIN @extschema@.lead_scoring_rules ru
            ON ru.tenant_id OPERATOR(pg_catalog.=) e.tenant_id
           AND ru.event_kind OPERATOR(pg_catalog.=) e.kind AND ru.active
           AND ru.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
         WHERE e.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
         GROUP BY e.tenant_id, e.lead_id
       ) ev ON ev.tenant_id OPERATOR(pg_catalog.=) l.tenant_id AND ev.lead_id OPERATOR(pg_catalog.=) l.lead_id
  -- issue #13: a feature array the model cannot score (wrong length, NULL
  -- elements, more dimensions) leaves that lead unscored with the reason,
  -- instead of an error that fails the view for the whole tenant.  Immutable
  -- functions only (no format(), no text || int): Citus pushes a subquery
  -- without FROM down to the shards only then (doc/citus.md)
  CROSS JOIN LATERAL (
        SELECT CASE WHEN m.model IS NULL OR l.features IS NULL THEN NULL
                    WHEN pg_catalog.array_ndims(l.features) OPERATOR(pg_catalog.>) 1
                    THEN 'features is a ' OPERATOR(pg_catalog.||) pg_catalog.array_ndims(l.features)::text
                         OPERATOR(pg_catalog.||) '-dimensional array'
                    WHEN pg_catalog.cardinality(l.features) OPERATOR(pg_catalog.<>) @extschema@.lead_model_features(m.model)
                    THEN 'features has ' OPERATOR(pg_catalog.||) pg_catalog.cardinality(l.features)::text
                         OPERATOR(pg_catalog.||) ' elements, the model ' OPERATOR(pg_catalog.||) @extschema@.lead_model_features(m.model)::text
                    WHEN pg_catalog.array_position(l.features, NULL) IS NOT NULL
                    THEN 'features element ' OPERATOR(pg_catalog.||) pg_catalog.array_position(l.features, NULL)::text
                         OPERATOR(pg_catalog.||) ' is NULL'
                    WHEN l.features OPERATOR(pg_catalog.&&) ARRAY['NaN', 'Infinity', '-Infinity']::float8[]
                    THEN 'features has NaN or infinite elements'
               END AS score_error
       ) f
  CROSS JOIN LATERAL (
        SELECT CASE WHEN m.model IS NOT NULL AND l.features IS NOT NULL AND f.score_error IS NULL
                    THEN @extschema@.lead_score(m.model, l.features) END AS model_score,
               ev.engagement
       ) s
  CROSS JOIN LATERAL (
        SELECT CASE WHEN s.engagement OPERATOR(pg_catalog.>) 0
                    THEN s.engagement OPERATOR(pg_catalog./)
                         (s.engagement OPERATOR(pg_catalog.+) COALESCE(m.engagement_midpoint, 50))
                    ELSE 0::float8 END AS share
       ) e
  CROSS JOIN LATERAL (
        SELECT 100::float8 OPERATOR(pg_catalog.*)
               CASE WHEN s.model_score IS NULL THEN e.share
                    ELSE (COALESCE(m.model_weight, 0.7) OPERATOR(pg_catalog.*) s.model_score)
                         OPERATOR(pg_catalog.+)
                         ((1::float8 OPERATOR(pg_catalog.-) COALESCE(m.model_weight, 0.7))
                          OPERATOR(pg_catalog.*) e.share) END AS combined_score
       ) c
 WHERE l.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant();

COMMENT ON VIEW @extschema@.lead_scores IS
	'Every lead with its model score, decayed engagement, combined score 0-100, grade, MQL flag and top reasons';
COMMENT ON COLUMN @extschema@.lead_scores.tenant_id IS 'Tenant owning the lead';
COMMENT ON COLUMN @extschema@.lead_scores.lead_id IS 'Lead';
COMMENT ON COLUMN @extschema@.lead_scores.name IS 'Lead name';
COMMENT ON COLUMN @extschema@.lead_scores.company IS 'Company of the lead';
COMMENT ON COLUMN @extschema@.lead_scores.stage IS 'Lead stage';
COMMENT ON COLUMN @extschema@.lead_scores.expected_revenue IS 'Revenue expected if won';
COMMENT ON COLUMN @extschema@.lead_scores.model_score IS 'Probability of conversion from the tenant''s active model (NULL without model or features, or when score_error says why)';
COMMENT ON COLUMN @extschema@.lead_scores.engagement IS 'Engagement points: sum of the lead''s event points, halved every rule half-life, as of now (NULL without events)';
COMMENT ON COLUMN @extschema@.lead_scores.combined_score IS '100 * (w * model_score + (1 - w) * e / (e + midpoint)); without a model score 100 * e / (e + midpoint)';
COMMENT ON COLUMN @extschema@.lead_scores.grade IS 'A (>= 75), B (>= 50), C (>= 25) or D by combined score';
COMMENT ON COLUMN @extschema@.lead_scores.is_mql IS 'Open lead whose combined score reaches the model''s mql_threshold (default 60)';
COMMENT ON COLUMN @extschema@.lead_scores.top_reasons IS 'The three features adding most to the log-odds, as ''name +contribution''';
COMMENT ON COLUMN @extschema@.lead_scores.model_id IS 'Model that scored the lead';
COMMENT ON COLUMN @extschema@.lead_scores.score_error IS 'Why model_score is NULL although the lead has features and the tenant an active model: the feature array does not fit the model (wrong length, NULL elements, more dimensions); NULL otherwise';

CREATE OR REPLACE VIEW @extschema@.sales_pipeline WITH (security_invoker = true) AS
SELECT ls.tenant_id,
       'leads'::text AS pipeline,
       ls.stage,
       ls.grade,
       pg_catalog.count(*) AS items,
       pg_catalog.sum(ls.expected_revenue) AS amount,
       pg_catalog.sum(ls.expected_revenue OPERATOR(pg_catalog.*) ls.model_score::numeric) AS weighted_amount
  FROM @extschema@.lead_scores ls
 GROUP BY ls.tenant_id, ls.stage, ls.grade
UNION ALL
SELECT o.tenant_id,
       'sales_orders'::text,
       o.status,
       NULL::text,
       pg_catalog.count(*),
       pg_catalog.sum(COALESCE(t.amount, 0)),
       NULL::numeric
  FROM @extschema@.sales_orders o
  LEFT JOIN LATERAL (
        SELECT pg_catalog.sum(sl.qty OPERATOR(pg_catalog.*) sl.unit_price) AS amount
          FROM @extschema@.sales_order_lines sl
         WHERE sl.tenant_id OPERATOR(pg_catalog.=) o.tenant_id
           AND sl.order_id OPERATOR(pg_catalog.=) o.order_id
           AND (sl.status OPERATOR(pg_catalog.<>) 'cancelled' OR o.status OPERATOR(pg_catalog.=) 'cancelled')
           AND sl.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
       ) t ON true
 WHERE o.tenant_id OPERATOR(pg_catalog.=) @extschema@.current_tenant()
 GROUP BY o.tenant_id, o.status;

COMMENT ON VIEW @extschema@.sales_pipeline IS
	'Pipeline at a glance: leads by stage and grade, sales orders by status, with counts and amounts';
COMMENT ON COLUMN @extschema@.sales_pipeline.tenant_id IS 'Tenant';
COMMENT ON COLUMN @extschema@.sales_pipeline.pipeline IS 'leads or sales_orders';
COMMENT ON COLUMN @extschema@.sales_pipeline.stage IS 'Lead stage, or sales order status';
COMMENT ON COLUMN @extschema@.sales_pipeline.grade IS 'Lead grade (A-D); NULL for orders';
COMMENT ON COLUMN @extschema@.sales_pipeline.items IS 'Number of leads or orders';
COMMENT ON COLUMN @extschema@.sales_pipeline.amount IS 'Leads: sum of expected revenue; orders: sum of qty * unit_price of their lines (cancelled lines only for cancelled orders)';
COMMENT ON COLUMN @extschema@.sales_pipeline.weighted_amount IS 'Leads: expected revenue weighted by model score (NULL where unscored); NULL for orders';
