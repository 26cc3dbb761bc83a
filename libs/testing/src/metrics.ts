import type { AppProcess } from './gateway-process';

/** One sample of a metric of a running app, named with its labels as Prometheus prints them (0 if absent). */
export async function metric(app: AppProcess, series: string): Promise<number> {
  const text = await (await fetch(`${app.http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.split(' ')[0] === series);
  return line ? Number(line.split(' ')[1]) : 0;
}
