import { useApolloClient, useQuery } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { formatCost, SelectField } from '../format';
import type { UsageBucketsQuery, UsageDimension } from '../gql/graphql';
import { followDownload } from '../csv';
import { EXPORT_URL, USAGE_BUCKETS } from '../operations';
import { ErrorNotice } from '../problems';
import { TimeChart, type ChartSeries } from '../usage-chart';

type Bucket = UsageBucketsQuery['usage'][number];
type Step = 'DAY' | 'HOUR';
type Split = '' | 'KIND' | 'MODEL' | 'API_KEY' | 'MATCH' | 'TENANT';
type Metric = 'totalTokens' | 'calls' | 'cost' | 'tokensSaved' | 'costSaved';

const RANGES = [
  { days: 1, label: 'Last 24 hours' },
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
];

const METRICS: Record<Metric, { label: string; unit: string }> = {
  totalTokens: { label: 'Tokens', unit: 'tokens' },
  calls: { label: 'Calls', unit: 'calls' },
  cost: { label: 'Cost', unit: 'cost' },
  tokensSaved: { label: 'Tokens saved', unit: 'tokens saved' },
  costSaved: { label: 'Cost saved', unit: 'cost saved' },
};

const STEPS: Array<{ value: Step; label: string }> = [
  { value: 'DAY', label: 'Day' },
  { value: 'HOUR', label: 'Hour' },
];

const SPLITS: Array<{ value: Split; label: string }> = [
  { value: '', label: 'Nothing' },
  { value: 'KIND', label: 'Kind' },
  { value: 'MODEL', label: 'Model' },
  { value: 'API_KEY', label: 'API key' },
  { value: 'MATCH', label: 'Cache match' },
  { value: 'TENANT', label: 'Tenant (admin keys)' },
];

const HOUR_MS = 3_600_000;
const STEP_MS: Record<Step, number> = { DAY: 24 * HOUR_MS, HOUR: HOUR_MS };

/** The range asked: from the start of the first bucket (UTC) to now. */
function rangeOf(days: number, step: Step, now: number): { from: Date; to: Date } {
  const from = now - days * STEP_MS.DAY;
  return { from: new Date(from - (from % STEP_MS[step])), to: new Date(now) };
}

/** Money is an exact decimal string: a float is close enough for a chart and a total. */
const amountOf = (money: { amount: string } | null | undefined) => Number(money?.amount ?? 0);

const metricOf = (bucket: Bucket, metric: Metric) => (metric === 'cost' || metric === 'costSaved' ? amountOf(bucket[metric]) : bucket[metric]);

const splitValue = (bucket: Bucket, split: Split): string => {
  switch (split) {
    case 'KIND':
      return bucket.kind ?? '?';
    case 'MODEL':
      return bucket.model ?? '?';
    case 'API_KEY':
      return bucket.apiKeyId ?? 'open (no key)';
    case 'MATCH':
      return bucket.match ?? 'model work';
    case 'TENANT':
      return bucket.tenant ?? '?';
    case '':
      return 'all';
  }
};

const timeOf = (bucket: Bucket, step: Step) => Date.parse((step === 'HOUR' ? bucket.hour : bucket.day) ?? '');

/** Every bucket of the range (zero where nothing happened), one series per split value. */
function chartData(buckets: readonly Bucket[], step: Step, split: Split, metric: Metric, from: Date, to: Date) {
  const times: number[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += STEP_MS[step]) times.push(t);
  const index = new Map(times.map((t, i) => [t, i]));
  const bySplit = new Map<string, number[]>();
  for (const bucket of buckets) {
    const label = splitValue(bucket, split);
    const values = bySplit.get(label) ?? times.map(() => 0);
    const at = index.get(timeOf(bucket, step));
    if (at !== undefined) values[at]! += metricOf(bucket, metric);
    bySplit.set(label, values);
  }
  const series: ChartSeries[] = [...bySplit].map(([label, values]) => ({ label, values }));
  return { times: times.map((t) => t / 1000), series };
}

const formatTime = (bucket: Bucket, step: Step) => {
  const iso = (step === 'HOUR' ? bucket.hour : bucket.day) ?? '';
  return step === 'HOUR' ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso.slice(0, 10);
};

/** Usage: calls, tokens, cost and cache savings over time, split as asked, with the numbers in a table and a CSV. */
export function UsagePage() {
  const client = useApolloClient();
  const [days, setDays] = useState(7);
  const [step, setStep] = useState<Step>('DAY');
  const [split, setSplit] = useState<Split>('');
  const [metric, setMetric] = useState<Metric>('totalTokens');
  const [exportError, setExportError] = useState<unknown>(null);
  // The range is fixed when its inputs change, not on every render (it is the query's variables).
  const { from, to } = useMemo(() => rangeOf(days, step, Date.now()), [days, step]);
  const groupBy: UsageDimension[] = split ? [step, split] : [step];
  const usage = useQuery(USAGE_BUCKETS, { variables: { from: from.toISOString(), to: to.toISOString(), groupBy }, fetchPolicy: 'network-only' });
  const buckets = usage.data?.usage;
  const chart = useMemo(() => chartData(buckets ?? [], step, split, metric, from, to), [buckets, step, split, metric, from, to]);
  const sum = (pick: (b: Bucket) => number) => (buckets ?? []).reduce((total, b) => total + pick(b), 0);
  const currency = buckets?.find((b) => b.cost)?.cost?.currency;
  const name = `${METRICS[metric].label}${(metric === 'cost' || metric === 'costSaved') && currency ? ` (${currency})` : ''} per ${step === 'DAY' ? 'day' : 'hour'}${split ? ` by ${SPLITS.find((s) => s.value === split)!.label.replace(/ \(.*/, '').toLowerCase()}` : ''}`;

  const downloadCsv = async () => {
    setExportError(null);
    try {
      const result = await client.query({
        query: EXPORT_URL,
        variables: { kind: 'USAGE', format: 'CSV', usage: { from: from.toISOString(), to: to.toISOString(), groupBy } },
        fetchPolicy: 'no-cache',
      });
      if (result.data?.exportUrl) followDownload(result.data.exportUrl);
    } catch (error) {
      setExportError(error);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Usage</h1>
      <p className="hint">What the model work cost, and what the cache saved. Buckets are UTC days or hours.</p>
      <form className="usage-controls" aria-label="Usage view" onSubmit={(e) => e.preventDefault()}>
        <SelectField id="u-range" label="Range" value={String(days)} options={RANGES.map((r) => ({ value: String(r.days), label: r.label }))} onChange={(value) => setDays(Number(value))} />
        <SelectField id="u-step" label="Per" value={step} options={STEPS} onChange={setStep} />
        <SelectField id="u-metric" label="Show" value={metric} options={(Object.keys(METRICS) as Metric[]).map((value) => ({ value, label: METRICS[value].label }))} onChange={setMetric} />
        <SelectField id="u-split" label="Split by" value={split} options={SPLITS} onChange={setSplit} />
        <div className="field actions">
          <button type="button" className="secondary" disabled={!buckets} onClick={() => void downloadCsv()}>
            Download CSV
          </button>
        </div>
      </form>
      <ErrorNotice error={usage.error} />
      <ErrorNotice error={exportError} />
      {usage.loading && <p aria-busy="true">Loading…</p>}
      {buckets && (
        <>
          <ul className="usage-totals" aria-label="Totals">
            <li>
              <strong data-testid="total-calls">{sum((b) => b.calls)}</strong> calls
            </li>
            <li>
              <strong data-testid="total-tokens">{sum((b) => b.totalTokens)}</strong> tokens
            </li>
            <li>
              <strong data-testid="total-cost">{currency ? `${sum((b) => amountOf(b.cost)).toFixed(6)} ${currency}` : 'no price'}</strong> cost
            </li>
            <li>
              <strong data-testid="total-hits">{sum((b) => b.cacheHits)}</strong> cache hits
            </li>
            <li>
              <strong data-testid="total-saved">{sum((b) => b.tokensSaved)}</strong> tokens saved
            </li>
            <li>
              <strong data-testid="total-cost-saved">{buckets.some((b) => b.costSaved) ? `${sum((b) => amountOf(b.costSaved)).toFixed(6)} ${buckets.find((b) => b.costSaved)!.costSaved!.currency}` : '—'}</strong> cost saved
            </li>
          </ul>
          <TimeChart name={name} times={chart.times} series={chart.series} unit={METRICS[metric].unit} />
          {buckets.length === 0 ? (
            <p className="hint">No model work in this range yet.</p>
          ) : (
            <div className="table-wrap">
              <table className="rows" aria-label={`Usage per ${step === 'DAY' ? 'day' : 'hour'}`}>
                <thead>
                  <tr>
                    <th scope="col">{step === 'DAY' ? 'Day' : 'Hour'}</th>
                    {split && <th scope="col">{SPLITS.find((s) => s.value === split)!.label.replace(/ \(.*/, '')}</th>}
                    <th scope="col">Calls</th>
                    <th scope="col">Results</th>
                    <th scope="col">Tokens</th>
                    <th scope="col">Cache hits</th>
                    <th scope="col">Tokens saved</th>
                    <th scope="col">Cost</th>
                    <th scope="col">Cost saved</th>
                  </tr>
                </thead>
                <tbody>
                  {buckets.map((b, i) => (
                    <tr key={i}>
                      <td>{formatTime(b, step)}</td>
                      {split && <td>{splitValue(b, split)}</td>}
                      <td className="num">{b.calls}</td>
                      <td className="num">{b.results}</td>
                      <td className="num">{b.totalTokens}</td>
                      <td className="num">{b.cacheHits}</td>
                      <td className="num">{b.tokensSaved}</td>
                      <td className="num">{formatCost(b.cost)}</td>
                      <td className="num">{formatCost(b.costSaved)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}
