#!/usr/bin/python3
"""SciPy maximum likelihood of the BG/NBD model: the baseline of bench/lifetime.sh.

The same log-likelihood as crmscm.bgnbd_fit (Fader, Hardie & Lee 2005, eq. 6,
in log space as lifetimes writes it), vectorised with NumPy, with its analytic
gradient, minimised by L-BFGS-B over log-parameters.  Usage:

    lifetime_scipy.py customers.csv        (columns frequency,recency,t; no header)

Prints: best of two fits over all rows (wall and CPU seconds), the parameters,
then the same fit over the distinct (frequency, recency, t) patterns with weights.
"""
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

data = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)


def make(x, tx, T, w):
    W = w.sum()
    rep = x > 0

    def f(th):
        r, alpha, a, b = np.exp(th)
        A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        lT = np.log(alpha + T)
        ltx = np.log(alpha + tx)
        A3 = -(r + x) * lT
        A4 = np.where(rep, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * ltx, -np.inf)
        D = np.logaddexp(A3, A4)
        w3 = np.exp(A3 - D)
        w4 = np.exp(A4 - D)
        ll = np.sum(w * (A1 + A2 + D))
        psiabx = digamma(a + b + x)
        gr = np.sum(w * (digamma(r + x) - digamma(r) + np.log(alpha) - w3 * lT - w4 * ltx))
        galpha = np.sum(w * (r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + tx)))
        ga = np.sum(w * (digamma(a + b) - psiabx + w4 / a))
        gb = np.sum(w * (digamma(a + b) + digamma(b + x) - digamma(b) - psiabx
                         - w4 / (b + np.maximum(x, 1) - 1)))
        g = -np.array([r * gr, alpha * galpha, a * ga, b * gb]) / W
        return -ll / W, g

    return f


def fit(x, tx, T, w):
    th0 = np.array([0.0, np.log(np.average(T, weights=w)), 0.0, 0.0])
    t0, c0 = time.perf_counter(), time.process_time()
    res = minimize(make(x, tx, T, w), th0, jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 2000})
    return (time.perf_counter() - t0, time.process_time() - c0), np.exp(res.x), -res.fun * w.sum(), res.nit


x, tx, T = data[:, 0], data[:, 1], data[:, 2]
runs = [fit(x, tx, T, np.ones_like(x)) for _ in range(2)]
secs, p, ll, nit = runs[0]
print("scipy_all_rows_seconds %.3f" % min(r[0][0] for r in runs))
print("scipy_all_rows_cpu %.3f" % min(r[0][1] for r in runs))
print("scipy_params %.6f %.6f %.6f %.6f ll %.4f iterations %d rows %d" % (p[0], p[1], p[2], p[3], ll, nit, len(x)))
t0 = time.perf_counter()
u, w = np.unique(data, axis=0, return_counts=True)
secs, p, ll, nit = fit(u[:, 0], u[:, 1], u[:, 2], w.astype(float))
secs = secs[0] + time.perf_counter() - t0
print("scipy_patterns_seconds %.3f" % secs)
print("scipy_patterns_params %.6f %.6f %.6f %.6f ll %.4f patterns %d" % (p[0], p[1], p[2], p[3], ll, len(u)))
