#!/usr/bin/python3
"""Independent reference values for the reorder-point tests (issue #6).

Computed with mpmath at 50 significant digits from the textbook definitions,
not from crmscm's code:
  Phi(z) = erfc(-z/sqrt 2)/2, L(z) = phi(z) - z (1 - Phi(z)),
  L2(z) = ((z^2+1)(1-Phi(z)) - z phi(z))/2, Phi^{-1}(p) via mpmath erfinv.
Writes normal_ref.csv: kind,x,value (value printed with 20 significant digits).
Run: /usr/bin/python3 test/data/reorder/make_ref.py
"""
import os
import mpmath as mp

mp.mp.dps = 50
here = os.path.dirname(os.path.abspath(__file__))


def phi(z):
    return mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)


def sf(z):
    return mp.erfc(z / mp.sqrt(2)) / 2


def loss(z):
    return phi(z) - z * sf(z)


def loss2(z):
    return ((z * z + 1) * sf(z) - z * phi(z)) / 2


rows = []
zs = ["-8", "-5", "-3", "-1.4", "-0.5", "0", "0.3", "1", "1.9", "2", "2.1",
      "2.5", "3.1", "4", "5", "6", "8", "10", "12", "20", "30"]
for zt in zs:
    z = mp.mpf(zt)
    rows.append(("cdf", zt, mp.ncdf(z)))
    rows.append(("loss", zt, loss(z)))
    rows.append(("loss2", zt, loss2(z)))
ps = ["1e-300", "1e-100", "1e-20", "1e-10", "1e-5", "0.001", "0.01", "0.02425",
      "0.1", "0.3", "0.5", "0.6", "0.75", "0.8", "0.9", "0.95", "0.975", "0.99",
      "0.999", "0.999999", "0.9999999999"]
for pt in ps:
    # the quantile of the double nearest to pt, exactly
    p = mp.mpf(float(pt))
    # solve Phi(x) = p by Newton in mpmath (the lower tail for p < 1/2)
    t = p if p < 0.5 else 1 - p
    # (on the log scale, so that the far tail converges in relative terms)
    x = mp.findroot(lambda x: mp.log(mp.ncdf(x)) - mp.log(t),
                    -mp.sqrt(-2 * mp.log(t)) if t < 0.5 else 0, tol=mp.mpf(10) ** -45)
    rows.append(("quantile", pt, x if p < 0.5 else -x))
with open(os.path.join(here, "normal_ref.csv"), "w") as f:
    f.write("kind,x,value\n")
    for k, x, v in rows:
        f.write("%s,%s,%s\n" % (k, x, mp.nstr(v, 20, min_fixed=1, max_fixed=0)))
