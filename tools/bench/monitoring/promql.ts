/**
 * Just enough PromQL reading to check that dashboards and rules only query metrics the services
 * export: the metric names an expression selects, and whether a name is known from /metrics.
 */

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'inf',
  'nan',
]);

/** Series Prometheus makes itself for every target, not exported by the services. */
export const PROMETHEUS_SERIES = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
]);

/**
 * Metric names selected by a PromQL expression (sorted, unique). Function and aggregation names,
 * keywords, label names (in matchers, `by`/`on` lists and string arguments) and Grafana variables
 * (`$__rate_interval`, `$namespace`) are not metric names. Throws on unbalanced quotes or brackets,
 * so a broken expression cannot pass as one without metrics. `{__name__="x"}` counts as `x`.
 */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const withoutComments = expr.replace(/#[^\n]*/g, ' ');
  for (const m of withoutComments.matchAll(/__name__\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
    if (m[1] !== '=') throw new Error(`a metric name matched by ${m[1]} cannot be checked: ${expr}`);
    names.add(m[2]!);
  }
  let s = stripStrings(withoutComments);
  s = removeBalanced(s, '{', '}');
  s = removeBalanced(s, '[', ']');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)/g, ' ');
  s = s.replace(/\boffset\s+-?[0-9a-zA-Z$_]+/g, ' ').replace(/@\s*[0-9.]+/g, ' ');
  for (const m of s.matchAll(/(?<![\w.:$])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = m[0];
    const rest = s.slice(m.index + name.length);
    if (/^\s*\(/.test(rest)) continue; // a function or an aggregation
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}

function stripStrings(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '"' && c !== "'" && c !== '`') {
      out += c;
      continue;
    }
    let j = i + 1;
    while (j < s.length && s[j] !== c) j += c !== '`' && s[j] === '\\' ? 2 : 1;
    if (j >= s.length) throw new Error(`unterminated string in PromQL: ${s}`);
    out += ' "" ';
    i = j;
  }
  return out;
}

function removeBalanced(s: string, open: string, close: string): string {
  let out = '';
  let depth = 0;
  for (const c of s) {
    if (c === open) depth++;
    else if (c === close) {
      if (--depth < 0) throw new Error(`unbalanced "${close}" in PromQL: ${s}`);
      if (depth === 0) out += ' ';
    } else if (depth === 0) out += c;
  }
  if (depth !== 0) throw new Error(`unbalanced "${open}" in PromQL: ${s}`);
  return out;
}

/** Metric families from Prometheus text exposition (`# TYPE name type` lines): name → type. */
export function exportedFamilies(exposition: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of exposition.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/**
 * Whether `name` is a series of an exported family: the family itself, or a histogram's
 * `_bucket`/`_sum`/`_count` or a summary's `_sum`/`_count`.
 */
export function isExportedSeries(name: string, families: ReadonlyMap<string, string>): boolean {
  if (families.has(name)) return true;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!m) return false;
  const type = families.get(m[1]!);
  return type === 'histogram' || (type === 'summary' && m[2] !== 'bucket');
}

/** Names that neither a family exports, nor Prometheus makes, nor a recording rule defines. */
export function unknownNames(
  names: Iterable<string>,
  families: ReadonlyMap<string, string>,
  recorded: ReadonlySet<string>,
): string[] {
  return [...new Set(names)]
    .filter((n) => !isExportedSeries(n, families) && !PROMETHEUS_SERIES.has(n) && !recorded.has(n))
    .sort();
}

export interface DashboardQuery {
  panel: string;
  refId: string;
  expr: string;
}

/** Every Prometheus query of a Grafana dashboard (panels, panels in rows). */
export function dashboardQueries(dashboard: unknown): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const visit = (panels: unknown): void => {
    if (!Array.isArray(panels)) return;
    for (const p of panels as { title?: string; targets?: { expr?: string; refId?: string }[]; panels?: unknown }[]) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr === 'string' && t.expr.trim())
          out.push({ panel: p.title ?? '(untitled)', refId: t.refId ?? '?', expr: t.expr });
      }
      visit(p.panels);
    }
  };
  visit((dashboard as { panels?: unknown }).panels);
  return out;
}

/**
 * A dashboard expression with Grafana's variables replaced, so Prometheus can run it. Throws on a
 * variable not in `values`.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const value = values[name];
    if (value === undefined) throw new Error(`unknown dashboard variable ${whole} in ${expr}`);
    return value;
  });
}

/** Metric names the dashboard's query variables read (`label_values(metric, label)`). */
export function dashboardVariableMetrics(dashboard: unknown): string[] {
  const list = (
    (dashboard as { templating?: { list?: { type?: string; query?: unknown }[] } }).templating?.list ?? []
  ).filter((v) => v.type === 'query');
  return list.flatMap((v) => {
    const q = typeof v.query === 'string' ? v.query : ((v.query as { query?: string } | undefined)?.query ?? '');
    const m = /^label_values\(\s*([^,]+),\s*\w+\s*\)$/.exec(q.trim());
    if (!m) throw new Error(`dashboard variable query not understood: ${q}`);
    return metricNames(m[1]!);
  });
}
