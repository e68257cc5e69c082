"""Ten million synthetic reports, generated inside ClickHouse (INSERT ... SELECT FROM numbers).

A country's year: N reports spread evenly over the last 365 days, five reports per
matter (the simulator averages about four), about a thousand townships, eleven
categories, 5% of matters alerted (two alert versions each), their events and
lifecycle cases; one matter version and one risk score per report, as the
pipeline writes them. The last day's reports also have their version-0 row
("received", written by the intake before the worker), still unmerged, so FINAL
has real work to do. Texts come from a small set of phrases: they compress
better than real reports, so disk per report is measured separately on
simulator rows (bench/dashboard.py). The SQL runs on ClickHouse 18.16 and chdb 26.
"""

from __future__ import annotations

from warehouse.backend import Backend

YEAR = 365 * 86400
PER_MATTER = 5
ALERTED = 20  # one matter in 20 raises an alert
# Shared expressions over `number` (the report number, 0 = newest).
AT = "toDateTime(toUInt32(now()) - intDiv(number * {year}, {n}), 'UTC')"
MATTER = "concat('M', substring(lower(hex(cityHash64(intDiv(number, {pm})))), 1, 12))"
TOWNSHIP = "concat('330', toString(100000 + cityHash64(intDiv(number, {pm}), 't') % 1000))"
CATEGORIES = (
    "['land_requisition', 'demolition', 'wage_arrears', 'enterprise_restructuring', "
    "'environment', 'property_management', 'neighbour_dispute', 'public_services', "
    "'social_security', 'shortage', 'other']"
)
CATEGORY = f"{CATEGORIES}[1 + cityHash64(intDiv(number, {{pm}}), 'c') % 11]"


def _expr(template: str, n: int) -> str:
    return template.format(year=YEAR, n=n, pm=PER_MATTER)


def reports_sql(db: str, n: int, rows: int | None = None, version_zero: bool = False) -> str:
    """Reports 0 .. ``rows`` (0 is the newest) of ``n``; version 0 = received, no matter."""
    at, matter, township = _expr(AT, n), _expr(MATTER, n), _expr(TOWNSHIP, n)
    version = "toUInt64(0)" if version_zero else f"toUInt64(1 + number % {PER_MATTER})"
    return f"""
INSERT INTO {db}.reports (report_id, receipt, received_at, informant_id, region_code,
  region_text, category, title, content, people_involved, signals, channel, village,
  township, county, matter_id, version)
SELECT concat('r', toString(number)), upper(substring(hex(cityHash64(number, 'rc')), 1, 10)),
  {at}, concat('inf-', toString(cityHash64(number, 'i') % 200000)),
  concat({township}, toString(200 + number % 30)), CAST(NULL AS Nullable(String)),
  {_expr(CATEGORY, n)}, concat('反映', {township}, '村民诉求第', toString(number % 977), '号'),
  concat('信息员报告：', {township}, '有群众反映问题，涉及', toString(number % 97),
         '户，已拖延', toString(number % 13), '个月，希望尽快处理。'),
  toInt32(number % 200), if(number % 7 = 0, ['collective_petition'], emptyArrayString()),
  'form', concat({township}, toString(200 + number % 30)), {township}, '330681',
  {"''" if version_zero else matter}, {version}
FROM numbers({n if rows is None else rows})
"""


def matters_sql(db: str, n: int) -> str:
    at, matter, township = _expr(AT, n), _expr(MATTER, n), _expr(TOWNSHIP, n)
    return f"""
INSERT INTO {db}.matters (matter_id, version, title, category, keywords, township, county,
  n_reports, n_informants, n_villages, people_max, signals, first_seen, last_seen)
SELECT {matter}, toUInt64(number % {PER_MATTER}), concat('反映', {township}, '村民诉求'),
  {_expr(CATEGORY, n)}, ['补偿', '拖欠'], {township}, '330681',
  toUInt32(1 + number % {PER_MATTER}), toUInt32(1 + number % 3), toUInt32(1),
  toInt32(number % 200), emptyArrayString(),
  toDateTime(toUInt32({at}) - (number % {PER_MATTER}) * 3600, 'UTC'), {at}
FROM numbers({n})
"""


def risk_sql(db: str, n: int) -> str:
    at, matter = _expr(AT, n), _expr(MATTER, n)
    return f"""
INSERT INTO {db}.risk_scores (matter_id, version, report_id, risk, level, factors,
  explanation, scored_at, model)
SELECT {matter}, toUInt64(number % {PER_MATTER}), concat('r', toString(number)),
  (cityHash64(number, 'k') % 1000) / 1000.0, 'blue', ['reports'], '多名信息员反映', {at},
  'gbm-v1'
FROM numbers({n})
"""


def alerts_sql(db: str, n: int) -> str:
    """Two versions (raised, then updated) of each alerted matter's alert."""
    m = n // PER_MATTER
    at = f"toDateTime(toUInt32(now()) - intDiv(number * {YEAR}, {m}), 'UTC')"
    mid = "substring(lower(hex(cityHash64(number))), 1, 12)"  # as MATTER, without the M
    township = "concat('330', toString(100000 + cityHash64(number, 't') % 1000))"
    level = "['yellow', 'orange', 'red'][1 + cityHash64(number, 'l') % 3]"
    status = f"if({at} > now() - 30 * 86400, 'raised', 'closed')"
    return f"""
INSERT INTO {db}.alerts (alert_id, matter_id, version, level, risk, status, title, category,
  township, explanation, raised_at, updated_at)
SELECT concat('A', {mid}), concat('M', {mid}), toUInt64(v), {level},
  (cityHash64(number, 'r') % 1000) / 1000.0, if(v = 1, 'raised', {status}),
  concat('反映', {township}, '村民诉求'), {CATEGORIES}[1 + cityHash64(number, 'c') % 11],
  {township}, '多名信息员反映，涉及人数较多', {at}, {at} + v * 600
FROM (SELECT number, arrayJoin([1, 2]) AS v FROM numbers({m})
      WHERE cityHash64(number, 'a') % {ALERTED} = 0)
"""


def events_sql(db: str) -> str:
    return f"""
INSERT INTO {db}.alert_events (event_id, alert_id, matter_id, kind, level, at, actor, note)
SELECT concat('E', alert_id, toString(version)), alert_id, matter_id,
  if(version = 1, 'raised', 'level_changed'), level, updated_at, 'system', ''
FROM {db}.alerts
"""


def cases_sql(db: str) -> str:
    return f"""
INSERT INTO {db}.alert_cases (matter_id, alert_id, version, status, level, title, category,
  township, risk, step, due_kind, due_at, lead_unit, co_units, leaders, opened_at,
  updated_at, state)
SELECT matter_id, alert_id, version, status, level, title, ifNull(category, ''),
  ifNull(township, ''), risk, toUInt8(0), 'acknowledge', updated_at + 7200,
  'zhuji_office', emptyArrayString(), emptyArrayString(), raised_at, updated_at, '{{}}'
FROM {db}.alerts WHERE version = 2
"""


def load(backend: Backend, n: int) -> None:
    """Fill the (migrated) database with ``n`` reports and what the pipeline derives."""
    db = backend.database
    for sql in (reports_sql(db, n), matters_sql(db, n), risk_sql(db, n), alerts_sql(db, n),
                events_sql(db), cases_sql(db)):  # fmt: skip
        backend.command(sql)
    # The newest day's reports, as the intake recorded them before the worker did.
    day = max(1, n * 86400 // YEAR)
    backend.command(reports_sql(db, n, rows=day, version_zero=True))
