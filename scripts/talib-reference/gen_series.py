#!/usr/bin/env python3
"""KRX-like daily bars for indicator fixtures (stdlib only; deterministic per seed).

Prints `date,open,high,low,close,volume` CSV: prices on the KRX tick grid (2023 unified table),
daily moves capped at the +-30 % limit, business days only (weekends and a few random
holidays skipped), lognormal volume. Options add the features the indicators must survive:
a flat stretch, a true price gap, a limit-up day, suspended days (normalised O=H=L=C, V=0, or
KRX's raw form O=H=L=0), and decimal (adjusted) prices.
"""
import argparse
import datetime
import math
import random


def tick(price):
    for bound, size in ((2000, 1), (5000, 5), (20000, 10), (50000, 50), (200000, 100),
                        (500000, 500)):
        if price < bound:
            return size
    return 1000


def on_grid(price, decimals):
    if decimals > 0:
        return round(price, decimals)
    t = tick(price)
    return max(t, int(round(price / t)) * t)


def upper_limit(base):
    width = math.floor(base * 0.3 / tick(base)) * tick(base)
    up = base + width
    return math.floor(up / tick(up)) * tick(up)


def lower_limit(base):
    width = math.floor(base * 0.3 / tick(base)) * tick(base)
    down = base - width
    return max(tick(base), math.ceil(down / tick(down)) * tick(down))


def fmt(x, decimals):
    return f"{x:.{decimals}f}" if decimals > 0 else str(int(x))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--bars", type=int, default=300)
    ap.add_argument("--price", type=float, default=25000)
    ap.add_argument("--vol", type=float, default=0.025, help="daily sigma of log returns")
    ap.add_argument("--flat", type=int, default=0, help="length of a flat stretch")
    ap.add_argument("--gap", action="store_true", help="one true gap up and one gap down")
    ap.add_argument("--limit-up", action="store_true", help="one limit-up close at the high")
    ap.add_argument("--suspended", type=int, default=0, help="number of suspended days")
    ap.add_argument("--suspended-run", type=int, default=1, help="consecutive suspended days")
    ap.add_argument("--krx-zero-ohl", action="store_true",
                    help="suspended days in KRX's raw form: O=H=L=0, C=previous close, V=0")
    ap.add_argument("--decimals", type=int, default=0, help="adjusted prices with decimals")
    a = ap.parse_args()
    rng = random.Random(a.seed)

    n = a.bars
    special = {}
    free = list(range(5, n))
    rng.shuffle(free)

    def take(kind, length=1):
        for start in list(free):
            span = range(start, start + length)
            if start + length <= n and all(i in free for i in span) and start + length < n:
                for i in span:
                    special[i] = kind
                    free.remove(i)
                return

    if a.flat:
        take("flat", a.flat)
    if a.gap:
        take("gap_up")
        take("gap_down")
    if a.limit_up:
        take("limit_up")
    for _ in range(a.suspended):
        take("suspended", a.suspended_run)

    day = datetime.date(2021, 1, 4)
    close = on_grid(a.price, a.decimals)
    vol_base = 2e9 / a.price
    print("date,open,high,low,close,volume")
    prev_high = prev_low = close
    for i in range(n):
        while day.weekday() >= 5 or rng.random() < 0.02:
            day += datetime.timedelta(days=1)
        kind = special.get(i)
        hi_lim, lo_lim = upper_limit(close), lower_limit(close)
        if kind in ("flat", "suspended"):
            o = h = l = c = close
            v = 0 if kind == "suspended" else int(rng.lognormvariate(math.log(vol_base / 50), 0.6))
            if kind == "suspended" and a.krx_zero_ohl:
                print(f"{day},0,0,0,{fmt(c, a.decimals)},0")
                day += datetime.timedelta(days=1)
                continue
        elif kind == "limit_up":
            o = on_grid(close * 1.05, a.decimals)
            c = h = hi_lim if a.decimals == 0 else round(close * 1.3, a.decimals)
            l = min(o, on_grid(close * 1.02, a.decimals))
            v = int(rng.lognormvariate(math.log(vol_base * 4), 0.3))
        elif kind in ("gap_up", "gap_down"):
            sign = 1 if kind == "gap_up" else -1
            o = on_grid(close * (1 + sign * 0.12), a.decimals)
            c = on_grid(o * (1 + sign * 0.02), a.decimals)
            h = on_grid(max(o, c) * 1.01, a.decimals)
            l = on_grid(min(o, c) * 0.99, a.decimals)
            if sign > 0:
                l = max(l, prev_high + tick(prev_high))
            else:
                h = min(h, prev_low - tick(prev_low))
            v = int(rng.lognormvariate(math.log(vol_base * 2), 0.4))
        else:
            o = on_grid(close * math.exp(rng.gauss(0, a.vol / 3)), a.decimals)
            c = on_grid(close * math.exp(rng.gauss(0.0003, a.vol)), a.decimals)
            o = min(max(o, lo_lim), hi_lim)
            c = min(max(c, lo_lim), hi_lim)
            h = on_grid(max(o, c) * math.exp(abs(rng.gauss(0, a.vol / 2))), a.decimals)
            l = on_grid(min(o, c) * math.exp(-abs(rng.gauss(0, a.vol / 2))), a.decimals)
            h = min(max(h, o, c), hi_lim)
            l = max(min(l, o, c), lo_lim)
            v = int(rng.lognormvariate(math.log(vol_base), 0.5))
        print(f"{day},{fmt(o, a.decimals)},{fmt(h, a.decimals)},{fmt(l, a.decimals)},"
              f"{fmt(c, a.decimals)},{v}")
        close, prev_high, prev_low = c, h, l
        day += datetime.timedelta(days=1)


if __name__ == "__main__":
    main()
