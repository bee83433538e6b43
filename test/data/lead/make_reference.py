#!/usr/bin/python3
"""
Independent reference values for the lead-scoring tests (issue #4).

Run with Debian's python3 (numpy, pandas, statsmodels, scikit-learn):

    /usr/bin/python3 test/data/lead/make_reference.py

It writes, next to itself, CSV files the tests read; they are committed so CI
need not run python.  Nothing here uses crmscm: the numbers come from
statsmodels (Logit, Newton, maximum likelihood), scikit-learn
(roc_auc_score, LogisticRegression) and numpy.

Bank-marketing encoding (identical to the one test/pgtap/lead_scoring.sql
builds in SQL, see doc/lead_scoring.md):
  * split: the 1-based data row number (file order) mod 5 = 0 is the 20 % test
    set, the other rows train;
  * numeric columns age, campaign, previous, emp.var.rate, cons.price.idx,
    cons.conf.idx, euribor3m, nr.employed standardised with the mean and the
    population standard deviation of the training rows;
  * pdays becomes the indicator pdays <> 999 ("contacted before");
  * default becomes the indicator default <> 'no' (the level 'yes' has 3
    rows, all non-converted: on its own it would be quasi-separated);
  * other categoricals one-hot, the alphabetically first level dropped as
    the reference;
  * duration left out (known only after the call, the names file says so).
The design then has one exactly collinear column, loan=unknown, which equals
housing=unknown row by row; crmscm drops it with a NOTICE, here it is dropped
explicitly.
"""
import os
import sys

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.metrics import roc_auc_score

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, '..', '..', '..'))

NUMERIC = ['age', 'campaign', 'previous', 'emp.var.rate', 'cons.price.idx',
           'cons.conf.idx', 'euribor3m', 'nr.employed']
CATEGORICAL = ['job', 'marital', 'education', 'housing', 'loan', 'contact',
               'month', 'day_of_week', 'poutcome']


def bank_design(d):
    """Return (names, X without intercept, y, is_test) as in the SQL encoding."""
    rowno = np.arange(1, len(d) + 1)
    test = rowno % 5 == 0
    train = ~test
    names, cols = [], []
    for c in NUMERIC:
        x = d[c].to_numpy(dtype=float)
        m = x[train].mean()
        s = x[train].std(ddof=0)
        names.append(c.replace('.', '_'))
        cols.append((x - m) / s)
    names.append('pdays_contacted')
    cols.append((d['pdays'] != 999).to_numpy(dtype=float))
    names.append('default_not_no')
    cols.append((d['default'] != 'no').to_numpy(dtype=float))
    for c in CATEGORICAL:
        levels = sorted(d[c].unique())
        for lv in levels[1:]:
            names.append(c + '=' + lv)
            cols.append((d[c] == lv).to_numpy(dtype=float))
    X = np.column_stack(cols)
    y = (d['y'] == 'yes').to_numpy(dtype=float)
    return names, X, y, test


def logit(X, y):
    """statsmodels Logit by Newton to full precision."""
    Xc = sm.add_constant(X, has_constant='add')
    res = sm.Logit(y, Xc).fit(method='newton', tol=1e-14, maxiter=100, disp=0)
    p = res.predict(Xc)
    a = p * (1 - p)
    H = Xc.T @ (Xc * a[:, None])
    return res, np.linalg.cond(H)


def write_csv(path, header, rows):
    with open(path, 'w') as f:
        f.write(','.join(header) + '\n')
        for r in rows:
            f.write(','.join(x if isinstance(x, str) else repr(float(x)) if not isinstance(x, (int, np.integer)) else str(x) for x in r) + '\n')


def main():
    # --- MADlib's patients example (logistic.sql_in), checked by statsmodels
    pat = np.array([
        (1, 1, 70), (1, 1, 80), (1, 1, 50), (1, 0, 60), (1, 0, 40), (1, 0, 65),
        (1, 0, 75), (1, 0, 80), (1, 0, 70), (1, 0, 60), (0, 1, 65), (0, 1, 50),
        (0, 1, 45), (0, 1, 35), (0, 1, 40), (0, 1, 50), (0, 0, 55), (0, 0, 45),
        (0, 0, 50), (0, 0, 60)], dtype=float)
    res, cond = logit(pat[:, 1:], pat[:, 0])
    write_csv(os.path.join(here, 'patients_reference.csv'),
              ['feature', 'coef', 'std_err', 'z', 'p_value', 'log_likelihood', 'condition_number'],
              [(i, res.params[i], res.bse[i], res.tvalues[i], res.pvalues[i], res.llf, cond)
               for i in range(3)])

    # --- UCI bank marketing
    d = pd.read_csv(os.path.join(root, 'data', 'bank', 'bank-additional-full.csv'), sep=';')
    names, X, y, test = bank_design(d)
    drop = names.index('loan=unknown')
    assert np.array_equal(X[:, drop], X[:, names.index('housing=unknown')])
    keep = [j for j in range(len(names)) if j != drop]
    res, cond = logit(X[~test][:, keep], y[~test])
    if not res.mle_retvals['converged']:
        sys.exit('statsmodels did not converge')
    coef = np.full(len(names) + 1, np.nan)
    se = np.full(len(names) + 1, np.nan)
    coef[[0] + [j + 1 for j in keep]] = res.params
    se[[0] + [j + 1 for j in keep]] = res.bse
    rows = [(0, '(intercept)', coef[0], se[0])]
    rows += [(j + 1, names[j], coef[j + 1], se[j + 1]) for j in range(len(names))]
    write_csv(os.path.join(here, 'bank_coef.csv'), ['feature', 'name', 'coef', 'std_err'],
              [(r[0], r[1], '' if np.isnan(r[2]) else repr(r[2]), '' if np.isnan(r[3]) else repr(r[3]))
               for r in rows])
    Xt = sm.add_constant(X[test][:, keep], has_constant='add')
    auc = roc_auc_score(y[test], res.predict(Xt))
    write_csv(os.path.join(here, 'bank_fit.csv'),
              ['train_rows', 'test_rows', 'log_likelihood', 'iterations', 'condition_number', 'test_auc'],
              [(int((~test).sum()), int(test.sum()), res.llf, res.mle_retvals['iterations'], cond, auc)])

    # --- AUC with many ties: integer formulas the SQL test repeats exactly
    i = np.arange(1, 2001)
    score = ((i * 7919) % 13) / 4.0          # 13 distinct scores: many ties
    label = ((i * 31) % 7 + (i % 13)) % 3 == 0
    write_csv(os.path.join(here, 'auc_ties.csv'), ['n', 'roc_auc_score'],
              [(2000, roc_auc_score(label, score))])


if __name__ == '__main__':
    main()
