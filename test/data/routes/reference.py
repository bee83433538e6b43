#!/usr/bin/python3
"""Reference for test/pgtap/routing.sql: the shortest closed great-circle tour from
Hamburg through the other 15 cities of data/cities.csv, by exact Held-Karp dynamic
programming (numpy), independent of crmscm's C search.  Distances: great circle on
the sphere of radius 6371.0087714 km (Vincenty's atan2 form, as doc/geography.md describes).
Writes hamburg_tour_km.txt next to this script.  Run: /usr/bin/python3 reference.py
"""
import csv
import math
import os

import numpy as np

R = 6371.0087714
here = os.path.dirname(os.path.abspath(__file__))
rows = list(csv.DictReader(open(os.path.join(here, '../../../data/cities.csv'))))
depot = [r for r in rows if r['name'] == 'Hamburg'][0]
pts = [depot] + sorted([r for r in rows if r['name'] != 'Hamburg'], key=lambda r: r['name'])


def dist(a, b):
    p1, l1, p2, l2 = map(math.radians, (float(a['lat']), float(a['lon']), float(b['lat']), float(b['lon'])))
    dl = l2 - l1
    y = math.hypot(math.cos(p2) * math.sin(dl), math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl))
    x = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return R * math.atan2(y, x)


n = len(pts)
D = np.array([[dist(a, b) for b in pts] for a in pts])
m = n - 1
dp = np.full((1 << m, m), np.inf)
for j in range(m):
    dp[1 << j][j] = D[0][j + 1]
for mask in range(1, 1 << m):
    row = dp[mask]
    if not np.isfinite(row).any():
        continue
    for j in range(m):
        if mask >> j & 1:
            continue
        v = (row + D[1:, j + 1]).min()
        nm = mask | (1 << j)
        if v < dp[nm][j]:
            dp[nm][j] = v
full = (1 << m) - 1
best = min(dp[full][j] + D[j + 1][0] for j in range(m))
with open(os.path.join(here, 'hamburg_tour_km.txt'), 'w') as f:
    f.write('%.9f\n' % best)
print('%.9f' % best)
