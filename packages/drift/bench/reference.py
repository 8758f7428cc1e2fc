"""Reference side of the drift bench: scipy / numpy on the same data, timed in the same run.

Usage: python3 reference.py DIR   (DIR holds ks_ref.f64, ks_cur.f64, exact_ref.f64, exact_cur.f64, wide_ref.f64, wide_cur.f64
written by run.ts as raw little-endian float64). Prints one JSON object.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy import stats

REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 7


def psi_numpy(ref, cur):
    # Evidently's get_binned_data + _psi, in numpy.
    if np.unique(ref).size > 20:
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        r = np.histogram(ref, edges)[0] / len(ref)
        c = np.histogram(cur, edges)[0] / len(cur)
    else:
        keys = np.union1d(ref, cur)
        r = np.array([np.sum(ref == k) for k in keys]) / len(ref)
        c = np.array([np.sum(cur == k) for k in keys]) / len(cur)
    for p in (r, c):
        if np.any(p == 0):
            m = np.min(p[p != 0])
            np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return float(np.sum((r - c) * np.log(r / c)))


def timed(fn):
    fn()  # warm-up
    wall = []
    cpu = []
    out = None
    for _ in range(REPEATS):
        t = time.perf_counter()
        c = time.process_time()
        out = fn()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
    return out, {"wall": float(np.median(wall)), "cpu": float(np.median(cpu))}


def main():
    d = sys.argv[1]
    load = lambda name: np.fromfile(f"{d}/{name}.f64", dtype="<f8")
    ks_ref, ks_cur = load("ks_ref"), load("ks_cur")
    ex_ref, ex_cur = load("exact_ref"), load("exact_cur")
    wide_ref, wide_cur = load("wide_ref"), load("wide_cur")
    ks, ks_ms = timed(lambda: stats.ks_2samp(ks_ref, ks_cur))
    ps, ps_ms = timed(lambda: psi_numpy(ks_ref, ks_cur))
    ex, ex_ms = timed(lambda: stats.ks_2samp(ex_ref, ex_cur))
    wide, wide_ms = timed(lambda: stats.ks_2samp(wide_ref, wide_cur))
    ws, ws_ms = timed(lambda: stats.wasserstein_distance(ks_ref, ks_cur))
    print(json.dumps({
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__},
        "ks": {"statistic": float(ks.statistic), "pValue": float(ks.pvalue), "ms": ks_ms},
        "psi": {"value": ps, "ms": ps_ms},
        "exact": {"statistic": float(ex.statistic), "pValue": float(ex.pvalue), "ms": ex_ms},
        "wide": {"statistic": float(wide.statistic), "pValue": float(wide.pvalue), "ms": wide_ms},
        "wasserstein": {"value": float(ws), "ms": ws_ms},
    }))


if __name__ == "__main__":
    main()
