/**
 * The one progress bar of every long command, on stderr and only on a terminal: machines
 * reading stdout get nothing extra. The ETA counts only the work done since the bar
 * started, so a resumed study's earlier trials do not make it look faster than it is.
 */
export type Progress = (done: number, total: number, note?: string) => void;

const clock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

export function progressBar(enabled: boolean, unit: string): Progress | undefined {
  if (!enabled) return undefined;
  const started = performance.now();
  let first: number | null = null;
  return (done, total, note) => {
    first ??= done;
    const width = 30;
    const filled = Math.round((done / total) * width);
    const rate = (done - first) / (performance.now() - started);
    const eta = rate > 0 && done < total ? ` ETA ${clock((total - done) / rate)}` : '';
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor((done / total) * 100)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${unit}${eta}${note ? ` ${note}` : ''}\x1b[K${done === total ? '\n' : ''}`,
    );
  };
}
