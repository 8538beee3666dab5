/* Reference driver: reads `date,open,high,low,close,volume` CSV bars on stdin and prints
 * TA-Lib's output for the krxbatch indicator set, computed over the whole series
 * (startIdx 0, endIdx n-1, default globals), in the column order of
 * talib_expected_seed1.csv, followed by plus_di14, minus_di14 and natr14.
 *
 * Input columns are echoed exactly as given; lookback rows are empty; numbers use %.17g.
 * A suspended day in KRX's raw form (O=H=L=0 and V=0) is normalised before TA-Lib sees it, as
 * indicators.md section 4 prescribes: O=H=L=C (C = the previous close when C is 0 too).
 * Build against TA-Lib's C sources (not part of this repository); see README.md here. */
#include <ta_libc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { k_max_line = 4096 };

typedef struct {
  const char *name;
  double *values; /* n entries, filled from beg */
  int beg;
  int count;
} Column;

static void die(const char *what) {
  fprintf(stderr, "talib_driver: %s\n", what);
  exit(1);
}

static void check(TA_RetCode rc, const char *what) {
  if (rc != TA_SUCCESS) {
    fprintf(stderr, "talib_driver: %s failed with %d\n", what, (int)rc);
    exit(1);
  }
}

int main(void) {
  char line[k_max_line];
  if (!fgets(line, sizeof line, stdin)) {
    die("empty input");
  }
  size_t cap = 1024, n = 0;
  char **raw = malloc(cap * sizeof *raw);
  double *o = malloc(cap * sizeof *o), *h = malloc(cap * sizeof *h), *l = malloc(cap * sizeof *l),
         *c = malloc(cap * sizeof *c), *v = malloc(cap * sizeof *v);
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '\0') {
      continue;
    }
    if (n == cap) {
      cap *= 2;
      raw = realloc(raw, cap * sizeof *raw);
      o = realloc(o, cap * sizeof *o);
      h = realloc(h, cap * sizeof *h);
      l = realloc(l, cap * sizeof *l);
      c = realloc(c, cap * sizeof *c);
      v = realloc(v, cap * sizeof *v);
    }
    raw[n] = strdup(line);
    char *p = strchr(line, ',');
    if (!p || sscanf(p + 1, "%lf,%lf,%lf,%lf,%lf", &o[n], &h[n], &l[n], &c[n], &v[n]) != 5) {
      die("bad line");
    }
    if (o[n] == 0.0 && h[n] == 0.0 && l[n] == 0.0 && v[n] == 0.0) {
      if (c[n] == 0.0 && n > 0) {
        c[n] = c[n - 1];
      }
      o[n] = h[n] = l[n] = c[n];
    }
    ++n;
  }
  const int last = (int)n - 1;
  check(TA_Initialize(), "TA_Initialize");

  enum { k_cols = 25 };
  Column cols[k_cols];
  const char *names[k_cols] = {"sma5",       "sma20",       "sma60",     "sma120",      "ema12",
                               "ema26",      "rsi14",       "macd",      "macd_signal", "macd_hist",
                               "bb_upper",   "bb_middle",   "bb_lower",  "atr14",       "stoch_slowk",
                               "stoch_slowd", "obv",        "mfi14",     "adx14",       "cci20",
                               "willr14",    "roc10",       "plus_di14", "minus_di14",  "natr14"};
  for (int i = 0; i < k_cols; ++i) {
    cols[i].name = names[i];
    cols[i].values = calloc(n + 1, sizeof(double));
    cols[i].beg = 0;
    cols[i].count = 0;
  }
#define OUT(i) &cols[i].beg, &cols[i].count, cols[i].values
  if (n > 0) {
    const int sma_periods[4] = {5, 20, 60, 120};
    for (int i = 0; i < 4; ++i) {
      check(TA_SMA(0, last, c, sma_periods[i], OUT(i)), "SMA");
    }
    check(TA_EMA(0, last, c, 12, OUT(4)), "EMA12");
    check(TA_EMA(0, last, c, 26, OUT(5)), "EMA26");
    check(TA_RSI(0, last, c, 14, OUT(6)), "RSI");
    check(TA_MACD(0, last, c, 12, 26, 9, &cols[7].beg, &cols[7].count, cols[7].values,
                  cols[8].values, cols[9].values),
          "MACD");
    cols[8].beg = cols[9].beg = cols[7].beg;
    cols[8].count = cols[9].count = cols[7].count;
    check(TA_BBANDS(0, last, c, 20, 2.0, 2.0, TA_MAType_SMA, &cols[10].beg, &cols[10].count,
                    cols[10].values, cols[11].values, cols[12].values),
          "BBANDS");
    cols[11].beg = cols[12].beg = cols[10].beg;
    cols[11].count = cols[12].count = cols[10].count;
    check(TA_ATR(0, last, h, l, c, 14, OUT(13)), "ATR");
    check(TA_STOCH(0, last, h, l, c, 14, 3, TA_MAType_SMA, 3, TA_MAType_SMA, &cols[14].beg,
                   &cols[14].count, cols[14].values, cols[15].values),
          "STOCH");
    cols[15].beg = cols[14].beg;
    cols[15].count = cols[14].count;
    check(TA_OBV(0, last, c, v, OUT(16)), "OBV");
    check(TA_MFI(0, last, h, l, c, v, 14, OUT(17)), "MFI");
    check(TA_ADX(0, last, h, l, c, 14, OUT(18)), "ADX");
    check(TA_CCI(0, last, h, l, c, 20, OUT(19)), "CCI");
    check(TA_WILLR(0, last, h, l, c, 14, OUT(20)), "WILLR");
    check(TA_ROC(0, last, c, 10, OUT(21)), "ROC");
    check(TA_PLUS_DI(0, last, h, l, c, 14, OUT(22)), "PLUS_DI");
    check(TA_MINUS_DI(0, last, h, l, c, 14, OUT(23)), "MINUS_DI");
    check(TA_NATR(0, last, h, l, c, 14, OUT(24)), "NATR");
  }
  fputs("date,open,high,low,close,volume", stdout);
  for (int i = 0; i < k_cols; ++i) {
    printf(",%s", cols[i].name);
  }
  putchar('\n');
  for (size_t t = 0; t < n; ++t) {
    fputs(raw[t], stdout);
    for (int i = 0; i < k_cols; ++i) {
      const int k = (int)t - cols[i].beg;
      if (cols[i].count > 0 && k >= 0 && k < cols[i].count) {
        printf(",%.17g", cols[i].values[k]);
      } else {
        putchar(',');
      }
    }
    putchar('\n');
  }
  TA_Shutdown();
  return 0;
}
