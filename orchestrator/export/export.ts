import path from 'node:path';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { toTraderError } from '../../core/errors.ts';
import { assertWritableFile } from '../../core/usable-dir.ts';
import { pipeCounted, writeWholeFile, type Written } from '../../core/whole-file.ts';
import { storedBacktest } from '../../backtest/backtest-repo.ts';
import { cursorRows } from '../../store/cursor.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { traderHome } from '../../store/open.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { type ExportFilter, ExportKind, exportQuery } from './export-kinds.ts';
import { ExportFormat, formatHeader, formatRow, type TextRow } from './row-format.ts';

/**
 * `trader export` and the scheduled export job: trades, runs, the audit trail or one
 * backtest's trades as CSV or JSON lines, streamed from a cursor (a million rows in
 * constant memory) into a file that appears only when complete, or to stdout. Each call
 * is audited once as the seed's section 14 says: EXPORT_RUN PENDING, then SUCCESS with
 * the exported files, or FAILURE with the reason.
 */

export const ExportJob = z.object({
  kind: ExportKind,
  format: ExportFormat,
  from: z.date().optional(),
  to: z.date().optional(),
  modes: z.array(z.enum(['TEST', 'LIVE'])).min(1),
  backtestId: z.string().optional(),
  /** A file path; absent: the caller's stream (stdout). */
  file: z.string().optional(),
});
export type ExportJob = z.infer<typeof ExportJob>;

export const defaultExportDir = (env: NodeJS.ProcessEnv = process.env) => path.join(traderHome(env), 'exports');

export interface ExportedFile extends Written {
  kind: ExportKind;
  format: ExportFormat;
  /** null when written to a stream. */
  file: string | null;
  rows: number;
}

/**
 * Writes into a stream the export does not own (stdout): a failed pipeline destroys its
 * sink, and stdout must outlive the export to carry the error message.
 */
function borrowed(stream: Writable): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      if (stream.write(chunk)) done();
      else stream.once('drain', () => done());
    },
  });
}

/** Refuses what cannot be exported before anything is audited or written. */
async function checkJob(q: Queryable, job: ExportJob): Promise<void> {
  if (job.file) assertWritableFile(job.file, '--out');
  if (job.kind === 'backtest') await storedBacktest(q, job.backtestId ?? '');
}

async function exportOne(db: Db, job: ExportJob, stream?: Writable): Promise<ExportedFile> {
  const filter: ExportFilter = { from: job.from, to: job.to, modes: job.modes, backtestId: job.backtestId };
  const query = exportQuery(job.kind, filter);
  let rows = 0;
  const written = await db.transaction(async (tx) => {
    await tx.query('set transaction isolation level repeatable read, read only');
    async function* text(): AsyncGenerator<string> {
      yield formatHeader(job.format, query.columns);
      for await (const batch of cursorRows<TextRow>(tx, query.sql, query.params)) {
        rows += batch.length;
        yield batch.map((r) => formatRow(job.format, query.columns, r)).join('');
      }
    }
    return job.file ? writeWholeFile(job.file, text()) : pipeCounted(text(), [], borrowed(stream!));
  });
  return { kind: job.kind, format: job.format, file: job.file ? path.resolve(job.file) : null, rows, ...written };
}

export async function runExports(
  db: Db,
  jobs: ExportJob[],
  o: { actor: 'USER' | 'SYSTEM'; stream?: Writable },
): Promise<ExportedFile[]> {
  for (const job of jobs) await checkJob(db, job);
  const audit = (status: 'PENDING' | 'SUCCESS' | 'FAILURE', details: Record<string, unknown>) =>
    recordAudit(db, { mode: 'SYSTEM', actor: o.actor, action_type: 'EXPORT_RUN', status, details });
  const what = jobs.map((j) => ({ kind: j.kind, format: j.format, file: j.file ? path.resolve(j.file) : '-' }));
  await audit('PENDING', { exports: what });
  const done: ExportedFile[] = [];
  try {
    for (const job of jobs) done.push(await exportOne(db, job, o.stream));
  } catch (e) {
    const err = toTraderError(e);
    await audit('FAILURE', { exports: what, error: `${err.code}: ${err.message}` }).catch(() => undefined);
    throw err;
  }
  await audit('SUCCESS', {
    exported_files: done.map((d) => ({
      kind: d.kind,
      file: d.file ?? '-',
      rows: d.rows,
      size_bytes: d.bytes,
      sha256: d.sha256,
    })),
  });
  return done;
}
