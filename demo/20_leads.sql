-- Lead scoring on the UCI bank-marketing data (41,188 telemarketing leads):
-- a logistic model fitted in the database, engagement points with decay, the
-- top open leads with their score and the reasons behind it.
\echo
\echo '== Lead scoring: UCI bank marketing (41,188 leads, 80 % closed for training, 20 % open)'
SET client_min_messages = warning;   -- the fit's NOTICE on the collinear loan=unknown column
\i data/bank/bank_load.sql

-- closed leads (the 80 % training split) are won or lost; the rest are open
INSERT INTO crmscm.leads (lead_id, name, company, source, stage, expected_revenue, features, attributes)
SELECT b.rowno, 'bank lead ' || b.rowno, r.job, 'telemarketing ' || r.month,
       CASE WHEN NOT b.is_test THEN CASE WHEN b.converted THEN 'won' ELSE 'lost' END
            WHEN b.rowno % 3 = 0 THEN 'contacted' ELSE 'new' END,
       1000 + 50 * (b.rowno % 20), b.features, b.attributes
  FROM public.bank_leads b JOIN public.bank_raw r USING (rowno);

SELECT crmscm.lead_model_train('bank marketing', (SELECT names FROM public.bank_feature_names)) AS model_id \gset
UPDATE crmscm.lead_models SET mql_threshold = 50 WHERE model_id = :model_id;

\echo
\echo '-- the model (crmscm.lead_model_fit over the 32,951 closed leads)'
SELECT crmscm.lead_model_rows(model) AS rows, crmscm.lead_model_positives(model) AS won,
       crmscm.lead_model_features(model) AS features, crmscm.lead_model_iterations(model) AS iterations,
       crmscm.lead_model_converged(model) AS converged,
       round(crmscm.lead_model_log_likelihood(model)::numeric, 3) AS log_likelihood,
       round(crmscm.lead_model_condition_number(model)::numeric) AS condition_number,
       (SELECT round(crmscm.auc(crmscm.lead_score(m.model, b.features), b.converted)::numeric, 4)
          FROM public.bank_leads b WHERE b.is_test) AS "AUC on the open 20 %",
       (SELECT round(crmscm.auc(crmscm.lead_nb_score(nb.m, b.attributes), b.converted)::numeric, 4)
          FROM public.bank_leads b,
               (SELECT crmscm.lead_nb_fit(converted, attributes) AS m FROM public.bank_leads WHERE NOT is_test) nb
         WHERE b.is_test) AS "naive Bayes AUC"
  FROM crmscm.lead_models m WHERE model_id = :model_id;

\echo
\echo '-- strongest effects (crmscm.lead_model_summary, by |z|)'
SELECT m.feature_names[s.feature] AS feature, round(s.coef::numeric, 3) AS coef,
       round(s.std_err::numeric, 3) AS std_err, round(s.z::numeric, 1) AS z,
       to_char(s.p_value, '9.9EEEE') AS p_value, round(s.odds_ratio::numeric, 2) AS odds_ratio
  FROM crmscm.lead_models m, crmscm.lead_model_summary(m.model) s
 WHERE m.model_id = :model_id AND s.feature > 0 AND s.coef IS NOT NULL
 ORDER BY abs(s.z) DESC LIMIT 8;

-- engagement rules and a deterministic week of events on the open leads
INSERT INTO crmscm.lead_scoring_rules (event_kind, points, half_life) VALUES
('web_visit', 5, '3 days'), ('email_click', 10, '7 days'), ('demo_request', 40, '14 days'),
('unsubscribe', -30, '60 days');
INSERT INTO crmscm.lead_events (lead_id, kind, occurred_at)
SELECT l.lead_id, k.kind, now() - make_interval(hours => ((l.lead_id * 37 + k.n * 11) % 168)::int)
  FROM crmscm.leads l
  CROSS JOIN LATERAL (VALUES (1, 'web_visit'), (2, 'email_click'), (3, 'demo_request'), (4, 'unsubscribe')) k(n, kind)
 WHERE l.stage IN ('new', 'contacted')
   AND (l.lead_id * (k.n + 3)) % CASE k.kind WHEN 'web_visit' THEN 3 WHEN 'email_click' THEN 5
                                             WHEN 'demo_request' THEN 23 ELSE 41 END = 0;

\echo
\echo '-- top 10 open leads (crmscm.lead_scores): model score, engagement, combined score, reasons'
SELECT lead_id, company AS job, round(model_score::numeric, 3) AS model_score,
       round(engagement::numeric, 1) AS engagement, round(combined_score::numeric, 1) AS score,
       grade, is_mql AS mql, array_to_string(top_reasons, ', ') AS top_reasons
  FROM crmscm.lead_scores
 WHERE stage IN ('new', 'contacted')
 ORDER BY combined_score DESC, lead_id LIMIT 10;

\echo
\echo '-- why lead 41,150 scores as it does (crmscm.lead_score_explain, log-odds contributions)'
SELECT m.feature_names[x.feature] AS feature, round(x.value::numeric, 3) AS value,
       round(x.contribution::numeric, 3) AS contribution
  FROM crmscm.lead_models m, crmscm.leads l,
       crmscm.lead_score_explain(m.model, l.features) x
 WHERE m.model_id = :model_id AND l.lead_id = 41150
 LIMIT 6;

\echo
\echo '-- open pipeline by grade (crmscm.sales_pipeline)'
SELECT grade, sum(items) AS leads, sum(amount) AS expected_revenue, round(sum(weighted_amount)) AS weighted_by_score
  FROM crmscm.sales_pipeline
 WHERE pipeline = 'leads' AND stage IN ('new', 'contacted')
 GROUP BY grade ORDER BY grade;
SET client_min_messages = notice;
