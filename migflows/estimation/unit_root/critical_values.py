"""Tabulated moments and critical values used by the panel unit-root tests.

The numbers are facts transcribed from the published tables, in the layout of the copies
that R ``plm`` 2.6-2 ships (checked cell by cell against them), so that our statistics
match ``plm::purtest`` and ``plm::cipstest``. Interpolation follows plm's rules,
including its quirks, so that the results agree to rounding error.

Sources
-------
- Im, Pesaran & Shin (2003), "Testing for unit roots in heterogeneous panels",
  Journal of Econometrics 115, 53-74: Table 1 (right pane: moments of the DF t used by
  Z_tbar), Table 2 (critical values of t-bar, two missing minus signs restored as in
  plm), Table 3 (moments of the ADF t with p lags used by W_tbar).
- Levin, Lin & Chu (2002), "Unit root tests in panel data", Journal of Econometrics
  108, 1-24: Table 2 (mean and standard-deviation adjustments).
- Pesaran (2007), "A simple panel unit root test in the presence of cross-section
  dependence", Journal of Applied Econometrics 22, 265-312: Tables II(a)-(c)
  (critical values of CIPS and of the truncated CIPS*), truncation bounds p. 277.
- Hadri (2000), "Testing for stationarity in heterogeneous panel data",
  Econometrics Journal 3, 148-161: mean and variance of the LM statistic, eq. (17)
  (intercept) and eq. (25) (trend).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "HADRI_MOMENTS",
    "cips_critical_values",
    "cips_pvalue",
    "ips_tbar_critical_values",
    "ips_wtbar_moments",
    "ips_ztbar_moments",
    "llc_adjustment",
]

Deterministic = Literal["none", "c", "ct"]
nan = float("nan")

# ---------------------------------------------------------------------------
# IPS (2003) Table 3. Axes: [moment block][p = 0..8][T]; the four blocks are
# (intercept, mean), (intercept, var), (trend, mean), (trend, var). NaN where the
# paper tabulates nothing (too many lags for so few periods).
IPS_WTBAR_T = np.array([10, 15, 20, 25, 30, 40, 50, 60, 70, 100], dtype=float)
_IPS_WTBAR = np.array(
    [
        # intercept mean
        [
            [-1.504, -1.514, -1.522, -1.520, -1.526, -1.523, -1.527, -1.519, -1.524, -1.532],
            [-1.488, -1.503, -1.516, -1.514, -1.519, -1.520, -1.524, -1.519, -1.522, -1.530],
            [-1.319, -1.387, -1.428, -1.443, -1.460, -1.476, -1.493, -1.490, -1.498, -1.514],
            [-1.306, -1.366, -1.413, -1.433, -1.453, -1.471, -1.489, -1.486, -1.495, -1.512],
            [-1.171, -1.260, -1.329, -1.363, -1.394, -1.428, -1.454, -1.458, -1.470, -1.495],
            [nan, nan, -1.313, -1.351, -1.384, -1.421, -1.451, -1.454, -1.467, -1.494],
            [nan, nan, nan, -1.289, -1.331, -1.380, -1.418, -1.427, -1.444, -1.476],
            [nan, nan, nan, -1.273, -1.319, -1.371, -1.411, -1.423, -1.441, -1.474],
            [nan, nan, nan, -1.212, -1.266, -1.329, -1.377, -1.393, -1.415, -1.456],
        ],
        # intercept var
        [
            [1.069, 0.923, 0.851, 0.809, 0.789, 0.770, 0.760, 0.749, 0.736, 0.735],
            [1.255, 1.011, 0.915, 0.861, 0.831, 0.803, 0.781, 0.770, 0.753, 0.745],
            [1.421, 1.078, 0.969, 0.905, 0.865, 0.830, 0.798, 0.789, 0.766, 0.754],
            [1.759, 1.181, 1.037, 0.952, 0.907, 0.858, 0.819, 0.802, 0.782, 0.761],
            [2.080, 1.279, 1.097, 1.005, 0.946, 0.886, 0.842, 0.819, 0.801, 0.771],
            [nan, nan, 1.171, 1.055, 0.980, 0.912, 0.863, 0.839, 0.814, 0.781],
            [nan, nan, nan, 1.114, 1.023, 0.942, 0.886, 0.858, 0.834, 0.795],
            [nan, nan, nan, 1.164, 1.062, 0.968, 0.910, 0.875, 0.851, 0.806],
            [nan, nan, nan, 1.217, 1.105, 0.996, 0.929, 0.896, 0.871, 0.818],
        ],
        # trend mean
        [
            [-2.166, -2.167, -2.168, -2.167, -2.172, -2.173, -2.176, -2.174, -2.174, -2.177],
            [-2.173, -2.169, -2.172, -2.172, -2.173, -2.177, -2.180, -2.178, -2.176, -2.179],
            [-1.914, -1.999, -2.047, -2.074, -2.095, -2.120, -2.137, -2.143, -2.146, -2.158],
            [-1.922, -1.977, -2.032, -2.065, -2.091, -2.117, -2.137, -2.142, -2.146, -2.158],
            [-1.750, -1.823, -1.911, -1.968, -2.009, -2.057, -2.091, -2.103, -2.114, -2.135],
            [nan, nan, -1.888, -1.955, -1.998, -2.051, -2.087, -2.101, -2.111, -2.135],
            [nan, nan, nan, -1.868, -1.923, -1.995, -2.042, -2.065, -2.081, -2.113],
            [nan, nan, nan, -1.851, -1.912, -1.986, -2.036, -2.063, -2.079, -2.112],
            [nan, nan, nan, -1.761, -1.835, -1.925, -1.987, -2.024, -2.046, -2.088],
        ],
        # trend var
        [
            [1.132, 0.869, 0.763, 0.713, 0.690, 0.655, 0.633, 0.621, 0.610, 0.597],
            [1.453, 0.975, 0.845, 0.769, 0.734, 0.687, 0.654, 0.641, 0.627, 0.605],
            [1.627, 1.036, 0.882, 0.796, 0.756, 0.702, 0.661, 0.653, 0.634, 0.613],
            [2.482, 1.214, 0.983, 0.861, 0.808, 0.735, 0.688, 0.674, 0.650, 0.625],
            [3.947, 1.332, 1.052, 0.913, 0.845, 0.759, 0.705, 0.685, 0.662, 0.629],
            [nan, nan, 1.165, 0.991, 0.899, 0.792, 0.730, 0.705, 0.673, 0.638],
            [nan, nan, nan, 1.055, 0.945, 0.828, 0.753, 0.725, 0.689, 0.650],
            [nan, nan, nan, 1.145, 1.009, 0.872, 0.786, 0.747, 0.713, 0.661],
            [nan, nan, nan, 1.208, 1.063, 0.902, 0.808, 0.766, 0.728, 0.670],
        ],
    ]
).reshape(2, 2, 9, 10)

# IPS (2003) Table 2: critical values of t-bar (DF regressions without lags).
# Axes: [block][N][T]; blocks are intercept 1%, 5%, 10%, then trend 1%, 5%, 10%.
IPS_TBAR_N = np.array([5, 7, 10, 15, 20, 25, 50, 100], dtype=float)
IPS_TBAR_T = np.array([5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 100], dtype=float)
_IPS_TBAR = np.array(
    [
        # intercept 1%
        [
            [-3.79, -2.66, -2.54, -2.50, -2.46, -2.44, -2.43, -2.42, -2.42, -2.40, -2.40],
            [-3.45, -2.47, -2.38, -2.33, -2.32, -2.31, -2.29, -2.28, -2.28, -2.28, -2.27],
            [-3.06, -2.32, -2.24, -2.21, -2.19, -2.18, -2.16, -2.16, -2.16, -2.16, -2.15],
            [-2.79, -2.14, -2.10, -2.08, -2.07, -2.05, -2.04, -2.05, -2.04, -2.04, -2.04],
            [-2.61, -2.06, -2.02, -2.00, -1.99, -1.99, -1.98, -1.98, -1.98, -1.97, -1.97],
            [-2.51, -2.01, -1.97, -1.95, -1.94, -1.94, -1.93, -1.93, -1.93, -1.93, -1.92],
            [-2.20, -1.85, -1.83, -1.82, -1.82, -1.82, -1.81, -1.81, -1.81, -1.81, -1.81],
            [-2.00, -1.75, -1.74, -1.73, -1.73, -1.73, -1.73, -1.73, -1.73, -1.73, -1.73],
        ],
        # intercept 5%
        [
            [-2.76, -2.28, -2.21, -2.19, -2.18, -2.16, -2.16, -2.15, -2.16, -2.15, -2.15],
            [-2.57, -2.17, -2.11, -2.09, -2.08, -2.07, -2.07, -2.06, -2.06, -2.06, -2.05],
            [-2.42, -2.06, -2.02, -1.99, -1.99, -1.99, -1.98, -1.98, -1.97, -1.98, -1.97],
            [-2.28, -1.95, -1.92, -1.91, -1.90, -1.90, -1.90, -1.89, -1.89, -1.89, -1.89],
            [-2.18, -1.89, -1.87, -1.86, -1.85, -1.85, -1.85, -1.85, -1.84, -1.84, -1.84],
            [-2.11, -1.85, -1.83, -1.82, -1.82, -1.82, -1.81, -1.81, -1.81, -1.81, -1.81],
            [-1.95, -1.75, -1.74, -1.73, -1.73, -1.73, -1.73, -1.73, -1.73, -1.73, -1.73],
            [-1.84, -1.68, -1.67, -1.67, -1.67, -1.67, -1.67, -1.67, -1.67, -1.67, -1.67],
        ],
        # intercept 10%
        [
            [-2.38, -2.10, -2.06, -2.04, -2.04, -2.02, -2.02, -2.02, -2.02, -2.02, -2.01],
            [-2.27, -2.01, -1.98, -1.96, -1.95, -1.95, -1.95, -1.95, -1.94, -1.95, -1.94],
            [-2.17, -1.93, -1.90, -1.89, -1.88, -1.88, -1.88, -1.88, -1.88, -1.88, -1.88],
            [-2.06, -1.85, -1.83, -1.82, -1.82, -1.82, -1.81, -1.81, -1.81, -1.81, -1.81],
            [-2.00, -1.80, -1.79, -1.78, -1.78, -1.78, -1.78, -1.78, -1.78, -1.77, -1.77],
            [-1.96, -1.77, -1.76, -1.75, -1.75, -1.75, -1.75, -1.75, -1.75, -1.75, -1.75],
            [-1.85, -1.70, -1.69, -1.69, -1.69, -1.69, -1.68, -1.68, -1.68, -1.68, -1.69],
            [-1.77, -1.64, -1.64, -1.64, -1.64, -1.64, -1.64, -1.64, -1.64, -1.64, -1.64],
        ],
        # trend 1%
        [
            [-8.12, -3.42, -3.21, -3.13, -3.09, -3.05, -3.03, -3.02, -3.00, -3.00, -2.99],
            [-7.36, -3.20, -3.03, -2.97, -2.94, -2.93, -2.90, -2.88, -2.88, -2.87, -2.86],
            [-6.44, -3.03, -2.88, -2.84, -2.82, -2.79, -2.78, -2.77, -2.76, -2.75, -2.75],
            [-5.72, -2.86, -2.74, -2.71, -2.69, -2.68, -2.67, -2.65, -2.66, -2.65, -2.64],
            [-5.54, -2.75, -2.67, -2.63, -2.62, -2.61, -2.59, -2.60, -2.59, -2.58, -2.58],
            [-5.16, -2.69, -2.61, -2.58, -2.58, -2.56, -2.55, -2.55, -2.55, -2.54, -2.54],
            [-4.50, -2.53, -2.48, -2.46, -2.45, -2.45, -2.44, -2.44, -2.44, -2.44, -2.43],
            [-4.00, -2.42, -2.39, -2.38, -2.37, -2.37, -2.36, -2.36, -2.36, -2.36, -2.36],
        ],
        # trend 5%
        [
            [-4.66, -2.98, -2.87, -2.82, -2.80, -2.79, -2.77, -2.76, -2.75, -2.75, -2.75],
            [-4.38, -2.85, -2.76, -2.72, -2.70, -2.69, -2.68, -2.67, -2.67, -2.66, -2.66],
            [-4.11, -2.74, -2.66, -2.63, -2.62, -2.60, -2.60, -2.59, -2.59, -2.58, -2.58],
            [-3.88, -2.63, -2.57, -2.55, -2.53, -2.53, -2.52, -2.52, -2.52, -2.51, -2.51],
            [-3.73, -2.56, -2.52, -2.49, -2.48, -2.48, -2.48, -2.47, -2.47, -2.46, -2.46],
            [-3.62, -2.52, -2.48, -2.46, -2.45, -2.45, -2.44, -2.44, -2.44, -2.44, -2.43],
            [-3.35, -2.42, -2.38, -2.38, -2.37, -2.37, -2.36, -2.36, -2.36, -2.36, -2.36],
            [-3.13, -2.34, -2.32, -2.32, -2.31, -2.31, -2.31, -2.31, -2.31, -2.31, -2.31],
        ],
        # trend 10%
        [
            [-3.73, -2.77, -2.70, -2.67, -2.65, -2.64, -2.63, -2.62, -2.63, -2.62, -2.62],
            [-3.60, -2.68, -2.62, -2.59, -2.58, -2.57, -2.57, -2.56, -2.56, -2.55, -2.55],
            [-3.45, -2.59, -2.54, -2.52, -2.51, -2.51, -2.50, -2.50, -2.50, -2.49, -2.49],
            [-3.33, -2.52, -2.47, -2.46, -2.45, -2.45, -2.44, -2.44, -2.44, -2.44, -2.44],
            [-3.26, -2.47, -2.44, -2.42, -2.41, -2.41, -2.41, -2.40, -2.40, -2.40, -2.40],
            [-3.18, -2.44, -2.40, -2.39, -2.39, -2.38, -2.38, -2.38, -2.38, -2.38, -2.38],
            [-3.02, -2.36, -2.33, -2.33, -2.33, -2.32, -2.32, -2.32, -2.32, -2.32, -2.32],
            [-2.90, -2.30, -2.29, -2.28, -2.28, -2.28, -2.28, -2.28, -2.28, -2.28, -2.28],
        ],
    ]
).reshape(2, 3, 8, 11)

# IPS (2003) Table 1, right pane: mean and variance of the DF t (no lags), for Z_tbar.
IPS_ZTBAR_T = np.array([6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 100, 500, 1000, 2000], dtype=float)
IPS_ZTBAR_MEAN = np.array(
    [-1.520, -1.514, -1.501, -1.501, -1.504, -1.514, -1.522, -1.520, -1.526, -1.523,
     -1.527, -1.532, -1.531, -1.529, -1.533]
)  # fmt: skip
IPS_ZTBAR_VAR = np.array(
    [1.745, 1.414, 1.228, 1.132, 1.069, 0.923, 0.851, 0.809, 0.789, 0.770, 0.760,
     0.735, 0.715, 0.707, 0.706]
)  # fmt: skip

# LLC (2002) Table 2: (mu*, sigma*) by T, for no deterministics, intercept, trend.
LLC_T = np.array([25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100, 250, 500], dtype=float)
_LLC = {
    "none": (
        [0.004, 0.003, 0.002, 0.002, 0.001, 0.001, 0.001, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [1.049, 1.035, 1.027, 1.021, 1.017, 1.014, 1.011, 1.008, 1.007, 1.006, 1.005,
         1.001, 1.000],
    ),
    "c": (
        [-0.554, -0.546, -0.541, -0.537, -0.533, -0.531, -0.527, -0.524, -0.521, -0.520,
         -0.518, -0.509, -0.500],
        [0.919, 0.889, 0.867, 0.850, 0.837, 0.826, 0.810, 0.798, 0.789, 0.782, 0.776,
         0.742, 0.707],
    ),
    "ct": (
        [-0.703, -0.674, -0.653, -0.637, -0.624, -0.614, -0.598, -0.587, -0.578, -0.571,
         -0.566, -0.533, -0.500],
        [1.003, 0.949, 0.906, 0.871, 0.842, 0.818, 0.780, 0.751, 0.728, 0.710, 0.695,
         0.603, 0.500],
    ),
}  # fmt: skip

# Hadri (2000): (mean, variance) of the LM statistic, eq. (17) and (25).
HADRI_MOMENTS: dict[str, tuple[float, float]] = {
    "c": (1 / 6, 1 / 45),
    "ct": (1 / 15, 11 / 6300),
}

# Pesaran (2007) Tables II(a) (no deterministics), II(b) (intercept), II(c) (trend):
# critical values of CIPS. Axes: [case][level 1%, 5%, 10%][N][T], N and T below
# (plm's orientation: N in rows, T in columns).
CIPS_N = np.array([10, 15, 20, 30, 50, 70, 100, 200], dtype=float)
CIPS_T = np.array([10, 15, 20, 30, 50, 70, 100, 200], dtype=float)
_CIPS = np.array(
    [
        # Table II(a), level 1
        [
            [-2.16, -2.03, -2.00, -1.98, -1.97, -1.95, -1.94, -1.95],
            [-2.02, -1.91, -1.89, -1.87, -1.86, -1.86, -1.85, -1.85],
            [-1.93, -1.84, -1.83, -1.80, -1.80, -1.80, -1.79, -1.79],
            [-1.85, -1.77, -1.76, -1.74, -1.74, -1.74, -1.74, -1.73],
            [-1.78, -1.71, -1.70, -1.69, -1.69, -1.68, -1.68, -1.68],
            [-1.74, -1.68, -1.67, -1.67, -1.66, -1.66, -1.65, -1.65],
            [-1.71, -1.66, -1.65, -1.64, -1.63, -1.63, -1.63, -1.63],
            [-1.70, -1.63, -1.62, -1.61, -1.61, -1.61, -1.61, -1.61],
        ],
        # Table II(a), level 2
        [
            [-1.80, -1.74, -1.72, -1.72, -1.72, -1.71, -1.71, -1.71],
            [-1.71, -1.67, -1.65, -1.65, -1.64, -1.65, -1.64, -1.65],
            [-1.67, -1.63, -1.62, -1.61, -1.61, -1.61, -1.61, -1.61],
            [-1.61, -1.58, -1.58, -1.57, -1.57, -1.57, -1.57, -1.57],
            [-1.58, -1.55, -1.54, -1.55, -1.54, -1.54, -1.54, -1.54],
            [-1.56, -1.53, -1.53, -1.54, -1.53, -1.53, -1.53, -1.53],
            [-1.54, -1.52, -1.52, -1.52, -1.52, -1.52, -1.52, -1.52],
            [-1.53, -1.51, -1.50, -1.50, -1.51, -1.51, -1.51, -1.51],
        ],
        # Table II(a), level 3
        [
            [-1.61, -1.58, -1.58, -1.57, -1.58, -1.57, -1.56, -1.57],
            [-1.56, -1.53, -1.52, -1.53, -1.52, -1.52, -1.52, -1.53],
            [-1.52, -1.50, -1.50, -1.50, -1.50, -1.50, -1.50, -1.50],
            [-1.49, -1.48, -1.47, -1.47, -1.47, -1.47, -1.48, -1.47],
            [-1.46, -1.45, -1.45, -1.46, -1.45, -1.46, -1.46, -1.45],
            [-1.45, -1.44, -1.45, -1.45, -1.45, -1.45, -1.45, -1.45],
            [-1.44, -1.44, -1.44, -1.44, -1.44, -1.44, -1.44, -1.44],
            [-1.43, -1.43, -1.43, -1.43, -1.43, -1.43, -1.43, -1.43],
        ],
        # Table II(b), level 1
        [
            [-2.97, -2.66, -2.60, -2.57, -2.55, -2.54, -2.53, -2.53],
            [-2.76, -2.52, -2.47, -2.45, -2.44, -2.43, -2.42, -2.43],
            [-2.64, -2.45, -2.40, -2.38, -2.36, -2.36, -2.36, -2.36],
            [-2.51, -2.34, -2.32, -2.30, -2.30, -2.30, -2.30, -2.30],
            [-2.41, -2.26, -2.25, -2.23, -2.23, -2.23, -2.23, -2.23],
            [-2.37, -2.23, -2.20, -2.19, -2.20, -2.20, -2.20, -2.21],
            [-2.33, -2.19, -2.18, -2.17, -2.17, -2.17, -2.18, -2.18],
            [-2.28, -2.16, -2.14, -2.14, -2.14, -2.14, -2.15, -2.15],
        ],
        # Table II(b), level 2
        [
            [-2.52, -2.37, -2.34, -2.33, -2.33, -2.33, -2.32, -2.32],
            [-2.40, -2.28, -2.26, -2.25, -2.25, -2.25, -2.25, -2.25],
            [-2.33, -2.22, -2.21, -2.20, -2.20, -2.20, -2.20, -2.20],
            [-2.25, -2.17, -2.15, -2.15, -2.16, -2.15, -2.16, -2.16],
            [-2.19, -2.11, -2.11, -2.11, -2.11, -2.12, -2.12, -2.12],
            [-2.16, -2.09, -2.08, -2.08, -2.10, -2.10, -2.10, -2.10],
            [-2.14, -2.07, -2.07, -2.07, -2.08, -2.08, -2.08, -2.08],
            [-2.10, -2.04, -2.04, -2.05, -2.06, -2.06, -2.07, -2.07],
        ],
        # Table II(b), level 3
        [
            [-2.31, -2.22, -2.21, -2.21, -2.21, -2.21, -2.21, -2.21],
            [-2.22, -2.16, -2.14, -2.14, -2.14, -2.15, -2.15, -2.15],
            [-2.18, -2.11, -2.10, -2.11, -2.11, -2.11, -2.11, -2.11],
            [-2.12, -2.07, -2.07, -2.07, -2.08, -2.08, -2.08, -2.08],
            [-2.07, -2.03, -2.03, -2.04, -2.05, -2.05, -2.05, -2.05],
            [-2.05, -2.01, -2.01, -2.02, -2.03, -2.03, -2.03, -2.04],
            [-2.03, -2.00, -2.00, -2.01, -2.02, -2.02, -2.03, -2.03],
            [-2.01, -1.98, -1.99, -2.00, -2.01, -2.01, -2.02, -2.02],
        ],
        # Table II(c), level 1
        [
            [-3.88, -3.24, -3.15, -3.10, -3.06, -3.04, -3.03, -3.03],
            [-3.61, -3.09, -3.01, -2.96, -2.93, -2.93, -2.92, -2.91],
            [-3.46, -3.00, -2.92, -2.88, -2.85, -2.85, -2.85, -2.85],
            [-3.30, -2.89, -2.83, -2.81, -2.78, -2.78, -2.77, -2.77],
            [-3.15, -2.81, -2.76, -2.73, -2.72, -2.71, -2.71, -2.71],
            [-3.10, -2.77, -2.72, -2.69, -2.68, -2.68, -2.68, -2.67],
            [-3.05, -2.74, -2.70, -2.66, -2.65, -2.65, -2.65, -2.65],
            [-2.98, -2.71, -2.65, -2.63, -2.62, -2.62, -2.62, -2.62],
        ],
        # Table II(c), level 2
        [
            [-3.27, -2.93, -2.88, -2.86, -2.84, -2.83, -2.83, -2.83],
            [-3.11, -2.83, -2.78, -2.76, -2.76, -2.76, -2.75, -2.75],
            [-3.02, -2.77, -2.73, -2.72, -2.71, -2.70, -2.70, -2.70],
            [-2.94, -2.70, -2.67, -2.66, -2.65, -2.65, -2.65, -2.65],
            [-2.86, -2.64, -2.62, -2.61, -2.60, -2.61, -2.61, -2.61],
            [-2.82, -2.62, -2.59, -2.58, -2.58, -2.58, -2.59, -2.59],
            [-2.79, -2.60, -2.57, -2.56, -2.56, -2.57, -2.56, -2.57],
            [-2.75, -2.57, -2.55, -2.54, -2.54, -2.54, -2.55, -2.55],
        ],
        # Table II(c), level 3
        [
            [-2.98, -2.76, -2.74, -2.73, -2.73, -2.72, -2.72, -2.73],
            [-2.89, -2.69, -2.67, -2.66, -2.66, -2.66, -2.66, -2.66],
            [-2.82, -2.65, -2.63, -2.63, -2.63, -2.62, -2.63, -2.63],
            [-2.76, -2.60, -2.58, -2.58, -2.58, -2.58, -2.59, -2.59],
            [-2.71, -2.56, -2.54, -2.54, -2.55, -2.55, -2.55, -2.55],
            [-2.68, -2.54, -2.53, -2.52, -2.53, -2.53, -2.53, -2.54],
            [-2.66, -2.52, -2.51, -2.51, -2.51, -2.52, -2.52, -2.52],
            [-2.63, -2.50, -2.49, -2.49, -2.50, -2.50, -2.50, -2.51],
        ],
    ]
).reshape(3, 3, 8, 8)
_CIPS_CASE = {"none": 0, "c": 1, "ct": 2}
# Truncated CIPS* (same tables, starred columns): only the shortest T differ.
# (case, level index, T index) -> values over N.
_CIPS_TRUNCATED = {
    ("ct", 0, 0): [-3.51, -3.31, -3.20, -3.10, -3.00, -2.96, -2.93, -2.88],
    ("ct", 0, 1): [-3.21, -3.07, -2.98, -2.88, -2.80, -2.76, -2.74, -2.70],
    ("ct", 1, 0): [-3.10, -2.97, -2.89, -2.82, -2.75, -2.73, -2.70, -2.67],
    ("ct", 1, 1): [-2.92, -2.82, -2.76, -2.69, -2.64, -2.62, -2.59, -2.57],
    ("ct", 2, 0): [-2.87, -2.78, -2.73, -2.67, -2.63, -2.60, -2.58, -2.56],
    ("ct", 2, 1): [-2.76, -2.68, -2.64, -2.59, -2.55, -2.53, -2.51, -2.50],
    ("c", 0, 0): [-2.85, -2.66, -2.56, -2.44, -2.36, -2.32, -2.29, -2.25],
    ("c", 1, 0): [-2.47, -2.35, -2.29, -2.22, -2.16, -2.13, -2.11, -2.08],
    ("c", 2, 0): [-2.28, -2.20, -2.15, -2.10, -2.05, -2.03, -2.01, -1.99],
    ("none", 0, 0): [-2.14, -2.00, -1.91, -1.84, -1.77, -1.73, -1.71, -1.69],
    ("none", 1, 0): [-1.79, -1.71, -1.66, -1.61, -1.57, -1.55, -1.53, -1.52],
}
# The 10% column of Table II(a) for CIPS* differs from CIPS at N = 15, 30, 100 only.
_CIPS_TRUNCATED_SPARSE = {("none", 2, 0): {1: -1.55, 3: -1.48, 6: -1.43}}
# Truncation bounds K1, K2 for the individual CADF t (Pesaran 2007, p. 277).
CIPS_TRUNCATION_BOUNDS = {"none": (-6.12, 4.16), "c": (-6.19, 2.61), "ct": (-6.42, 1.70)}


def _bracket(x: float, grid: np.ndarray) -> tuple[int, int, float]:
    """Locate ``x`` on ``grid`` as plm's ``selectT`` does.

    Returns ``(lo, hi, w)`` with the value ``(1 - w) * v[lo] + w * v[hi]``; outside the
    grid the nearest end is used (``lo == hi``).
    """
    if x <= grid[0]:
        return 0, 0, 0.0
    if x >= grid[-1]:
        last = len(grid) - 1
        return last, last, 0.0
    hit = np.flatnonzero(grid == x)
    if hit.size:
        return int(hit[0]), int(hit[0]), 0.0
    hi = int(np.searchsorted(grid, x, side="right"))
    lo = hi - 1
    return lo, hi, float((x - grid[lo]) / (grid[hi] - grid[lo]))


def ips_wtbar_moments(
    periods: np.ndarray, lags: np.ndarray, deterministic: Deterministic
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of each unit's ADF t from IPS (2003) Table 3.

    Parameters
    ----------
    periods : ndarray
        Observations in each unit's ADF regression (``T_i - p_i - 1``), as plm uses.
    lags : ndarray
        Lag order of each unit's regression; orders above 8 use the ``p = 8`` row.
    deterministic : {"c", "ct"}
        Intercept, or intercept and trend.

    Returns
    -------
    tuple of ndarray
        Per-unit means and variances (NaN where the table has no entry). ``T`` outside
        10-100 takes the nearest tabulated column, as in plm.
    """
    block = 0 if deterministic == "c" else 1
    means = np.empty(len(periods))
    variances = np.empty(len(periods))
    rows = np.minimum(np.asarray(lags, dtype=int), 8)
    pairs = np.column_stack([np.asarray(periods, dtype=float), rows])
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    for k, (t, row) in enumerate(unique):
        lo, hi, w = _bracket(float(t), IPS_WTBAR_T)
        members = inverse.ravel() == k
        for out, moment in ((means, 0), (variances, 1)):
            values = _IPS_WTBAR[block, moment, int(row)]
            out[members] = values[lo] + w * (values[hi] - values[lo])
    return means, variances


def ips_ztbar_moments(periods: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the DF t from IPS (2003) Table 1 (right pane), per unit."""
    means = np.empty(len(periods))
    variances = np.empty(len(periods))
    for i, t in enumerate(periods):
        lo, hi, w = _bracket(float(t), IPS_ZTBAR_T)
        means[i] = IPS_ZTBAR_MEAN[lo] + w * (IPS_ZTBAR_MEAN[hi] - IPS_ZTBAR_MEAN[lo])
        variances[i] = IPS_ZTBAR_VAR[lo] + w * (IPS_ZTBAR_VAR[hi] - IPS_ZTBAR_VAR[lo])
    return means, variances


def llc_adjustment(periods: int, deterministic: Deterministic) -> tuple[float, float]:
    """Mean and standard-deviation adjustments of LLC (2002) Table 2 for ``T`` periods.

    Linear interpolation between tabulated ``T``; outside 25-500 the nearest end.
    """
    mu, sigma = (np.asarray(v) for v in _LLC[deterministic])
    lo, hi, w = _bracket(float(periods), LLC_T)
    return float(mu[lo] + w * (mu[hi] - mu[lo])), float(sigma[lo] + w * (sigma[hi] - sigma[lo]))


def ips_tbar_critical_values(n: int, periods: int, deterministic: Deterministic) -> np.ndarray:
    """1%, 5%, 10% critical values of t-bar (IPS 2003 Table 2).

    Off-grid points are interpolated by inverse-distance weighting of the neighbouring
    cells (L1 in one dimension, Euclidean in two), as plm does.
    """
    block = 0 if deterministic == "c" else 1
    table = _IPS_TBAR[block]  # [level, N, T]
    n_lo, n_hi, _ = _bracket(float(n), IPS_TBAR_N)
    t_lo, t_hi, _ = _bracket(float(periods), IPS_TBAR_T)
    if n_lo == n_hi and t_lo == t_hi:
        return table[:, n_lo, t_lo].copy()
    if n_lo == n_hi:
        w1 = 1 / abs(periods - IPS_TBAR_T[t_lo])
        w2 = 1 / abs(periods - IPS_TBAR_T[t_hi])
        return (w1 * table[:, n_lo, t_lo] + w2 * table[:, n_lo, t_hi]) / (w1 + w2)
    if t_lo == t_hi:
        w1 = 1 / abs(n - IPS_TBAR_N[n_lo])
        w2 = 1 / abs(n - IPS_TBAR_N[n_hi])
        return (w1 * table[:, n_lo, t_lo] + w2 * table[:, n_hi, t_lo]) / (w1 + w2)
    total = np.zeros(3)
    weights = 0.0
    for ni in (n_lo, n_hi):
        for ti in (t_lo, t_hi):
            w = 1 / float(np.hypot(n - IPS_TBAR_N[ni], periods - IPS_TBAR_T[ti]))
            total += w * table[:, ni, ti]
            weights += w
    return total / weights


def _r_approx_at(lo: float, hi: float, y_lo: float, y_hi: float, x: float) -> float:
    """Reproduce plm's ``approx(c(lo, hi), c(y_lo, y_hi), n = hi - lo)$y[x - lo]``.

    plm evaluates the straight line on ``hi - lo`` equally spaced points and picks point
    number ``x - lo``; that point sits at ``lo + (x - lo - 1) (hi - lo) / (hi - lo - 1)``,
    close to but not exactly at ``x``. We keep the rule so that p-values agree with plm.
    """
    k = round(hi - lo)
    idx = round(x - lo)  # 1-based position in R
    pos = lo + (idx - 1) * (hi - lo) / (k - 1)
    return y_lo + (pos - lo) / (hi - lo) * (y_hi - y_lo)


def cips_critical_values(
    n: int, periods: int, deterministic: Deterministic, *, truncated: bool = False
) -> tuple[np.ndarray, bool]:
    """1%, 5%, 10% critical values of CIPS (Pesaran 2007, Tables II(a)-(c)).

    Parameters
    ----------
    n : int
        Number of cross-section units.
    periods : int
        Observations in each CADF regression (``T - p - 1``), as plm uses.
    deterministic : {"none", "c", "ct"}
        Case I, II or III.
    truncated : bool, default False
        Critical values of the truncated statistic CIPS*.

    Returns
    -------
    tuple
        The three critical values and whether ``n`` or ``periods`` lay outside the table
        (10-200), in which case the nearest edge was used (plm fails there).
    """
    table = _CIPS[_CIPS_CASE[deterministic]].copy()  # [level, N, T]
    if truncated:
        for (case, level, t_idx), values in _CIPS_TRUNCATED.items():
            if case == deterministic:
                table[level, :, t_idx] = values
        for (case, level, t_idx), cells in _CIPS_TRUNCATED_SPARSE.items():
            if case == deterministic:
                for n_idx, value in cells.items():
                    table[level, n_idx, t_idx] = value
    clamped = not (CIPS_N[0] <= n <= CIPS_N[-1] and CIPS_T[0] <= periods <= CIPS_T[-1])
    n_eff = float(min(max(n, CIPS_N[0]), CIPS_N[-1]))
    t_eff = float(min(max(periods, CIPS_T[0]), CIPS_T[-1]))
    n_lo, n_hi, _ = _bracket(n_eff, CIPS_N)
    t_lo, t_hi, _ = _bracket(t_eff, CIPS_T)

    def along_n(level: int, t_idx: int) -> float:
        if n_lo == n_hi:
            return float(table[level, n_lo, t_idx])
        return _r_approx_at(
            CIPS_N[n_lo], CIPS_N[n_hi], table[level, n_lo, t_idx], table[level, n_hi, t_idx], n_eff
        )

    out = np.empty(3)
    for level in range(3):
        if t_lo == t_hi:
            out[level] = along_n(level, t_lo)
        else:
            out[level] = _r_approx_at(
                CIPS_T[t_lo], CIPS_T[t_hi], along_n(level, t_lo), along_n(level, t_hi), t_eff
            )
    return out, clamped


def cips_pvalue(statistic: float, critical_values: np.ndarray) -> tuple[float, str | None]:
    """P-value of CIPS interpolated between the 1%, 5%, 10% critical values (as plm).

    Returns the p-value and ``"below"`` / ``"above"`` when the statistic lies outside the
    tabulated range: the p-value is then reported as 0.01 (meaning < 0.01) or 0.10
    (meaning > 0.10).
    """
    levels = np.array([0.01, 0.05, 0.10])
    cv = np.asarray(critical_values, dtype=float)
    if statistic < cv.min():
        return 0.01, "below"
    if statistic > cv.max():
        return 0.10, "above"
    exact = np.flatnonzero(cv == statistic)
    if exact.size:
        return float(levels[exact[0]]), None
    order = np.argsort(cv, kind="stable")
    xs, ys = cv[order], levels[order]
    grid = np.linspace(xs[0], xs[-1], 200)
    pgrid = np.interp(grid, xs, ys)
    k = int(np.searchsorted(grid, statistic, side="right"))
    return float((pgrid[k - 1] + pgrid[min(k, 199)]) / 2), None
