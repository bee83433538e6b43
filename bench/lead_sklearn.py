#!/usr/bin/python3
"""Part (a) of bench/lead_scoring.sh: scikit-learn on the same design matrix.

Reads DIR/design.csv (label, 50 features), DIR/crmscm_ms.csv and
DIR/crmscm_coef.csv written by bench/lead_scoring_fit.sql; times
LogisticRegression(penalty=None) with its lbfgs (default), newton-cholesky
and newton-cg solvers at their default tolerances, with the default BLAS
threads and limited to one thread (crmscm's fit runs in one process), best of
5 each, and compares the coefficients with crmscm's.
"""
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

warnings.simplefilter('ignore')   # ConvergenceWarning of lbfgs on this design
out = sys.argv[1]
d = np.loadtxt(out + '/design.csv', delimiter=',')
y, X = d[:, 0], d[:, 1:]
ours_ms, scan_ms = np.loadtxt(out + '/crmscm_ms.csv', delimiter='\t')
ours = np.loadtxt(out + '/crmscm_coef.csv', delimiter=',')[:, 1]

print('design: %d rows x %d features; scikit-learn %s' % (X.shape[0], X.shape[1], sklearn.__version__))
try:
    from threadpoolctl import threadpool_limits
except ImportError:                                  # pragma: no cover
    threadpool_limits = None

rows = []
for threads in ('default', 1):
    for solver, kw in (('lbfgs', dict(max_iter=1000)),              # the default solver
                       ('newton-cholesky', dict(max_iter=100)),     # exact Newton, as crmscm
                       ('newton-cg', dict(max_iter=1000))):
        if threads == 1 and threadpool_limits is None:
            continue
        best = float('inf')
        for _ in range(5):
            m = LogisticRegression(penalty=None, solver=solver, **kw)
            t0 = time.perf_counter()
            if threads == 1:
                with threadpool_limits(limits=1):
                    m.fit(X, y)
            else:
                m.fit(X, y)
            best = min(best, (time.perf_counter() - t0) * 1000)
        coef = np.concatenate([m.intercept_, m.coef_[0]])
        rel = np.max(np.abs(coef - ours) / np.abs(ours))
        rows.append(('sklearn %s (%s threads)' % (solver, threads), best, rel))
print('%-40s %10s %15s %26s' % ('', 'best ms', 'sklearn/crmscm', 'max rel. coef difference'))
print('%-40s %10.1f %15s %26s' % ('crmscm.lead_model_fit (1 process)', ours_ms, '1.00', '-'))
print('%-40s %10.1f %15s %26s' % ('  (table scan alone)', scan_ms, '', ''))
for name, ms, rel in rows:
    print('%-40s %10.1f %15.2f %26.2e' % (name, ms, ms / ours_ms, rel))
same = [ms for _, ms, rel in rows if rel < 1e-4]
print('speed-up vs the fastest scikit-learn fit with the same coefficients (1e-4): %.2fx (target >= 3)'
      % (min(same) / ours_ms if same else float('nan')))
