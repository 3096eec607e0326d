"""Charts of the draws: Vega-Lite specs built with altair, drawn by vl-convert."""

from api.charts.data import crs_chart, invitations_chart, pool_chart
from api.charts.model import Chart, ChartTable

__all__ = ["Chart", "ChartTable", "crs_chart", "invitations_chart", "pool_chart"]
