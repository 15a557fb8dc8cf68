"""NowCast: the weighted 12-hour mean that stands in for a 24-hour PM mean in hourly reporting.

Both methods define the same algorithm; VN_AQI adopted EPA's:

* Decision 1459/QĐ-TCMT, section 2.2.1.a ("Tính giá trị Nowcast đối với thông số PM2.5 và PM10"):
  w* = Cmin/Cmax over the 12 hourly means; w = 1/2 if w* <= 1/2, else w = w*;
  NowCast = sum(w^(i-1) * c_i) / sum(w^(i-1)); a missing c_i gets weight 0;
  no value unless at least 2 of c1, c2, c3 (the three most recent hours) have data.
* EPA TAD EPA-454/B-24-002, section IV, "How the NowCast is calculated": the same
  weight factor (1 - range/max, at least 0.5) and the same weighted mean, and
  the same "two of the three most recent hours" requirement.

For w = 1/2 the decision writes the sum without the divisor,
(1/2)c1 + (1/2)^2 c2 + ... + (1/2)^12 c12; with all 12 hours present that equals
the normalised form times (1 - 2^-12), i.e. the same value to 0.03 %, and with
missing hours only the normalised form is a mean at all. This module uses the
normalised form in both cases.
"""

from __future__ import annotations

from collections.abc import Sequence

from vkc.errors import InputError

HOURS = 12
MIN_WEIGHT = 0.5
METHODS = ("vn", "us")


def nowcast(values: Sequence[float | None], method: str = "vn") -> float | None:
    """The NowCast of up to 12 hourly means, newest first (``None`` for a missing hour).

    Returns None when fewer than two of the three most recent hours have data.
    The value is not rounded; the US sub-index functions truncate it as EPA
    prescribes. ``method`` ("vn" or "us") names the document followed; both
    documents give the same algorithm.
    """
    if method not in METHODS:
        raise InputError(f"method: must be one of {', '.join(METHODS)}, not {method!r}", field="method")
    if len(values) > HOURS:
        raise InputError(f"values: at most {HOURS} hourly means, newest first; got {len(values)}", field="values")
    recent = [v for v in values[:3] if v is not None]
    if len(recent) < 2:
        return None
    present = [(hours_ago, float(v)) for hours_ago, v in enumerate(values) if v is not None]
    highest = max(v for _, v in present)
    if highest == 0:
        return 0.0
    weight = max(min(v for _, v in present) / highest, MIN_WEIGHT)
    weighted = sum(weight**hours_ago * v for hours_ago, v in present)
    total = sum(weight**hours_ago for hours_ago, _ in present)
    return weighted / total
