import type { Command } from 'commander';
import { bounds } from '../../core/bounds.ts';
import { TraderError, toTraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { assertMigrated } from '../../store/migrate.ts';
import { openDb } from '../../store/open.ts';
import { stoppable } from '../../sandbox/stop.ts';
import { quote } from '../../core/quote.ts';

/** Shared plumbing for CLI commands: one error path, one JSON path, one way to open the database. */

export interface JsonFlag {
  json?: boolean;
}

export function withJson(cmd: Command): Command {
  return cmd.option('--json', 'print one machine-readable JSON document on stdout');
}

/** Prints the result: a JSON document with --json, else the human text. */
export function output(opts: JsonFlag, doc: unknown, text: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else process.stdout.write(`${text()}\n`);
}

/**
 * Wraps a command action: any error becomes one sentence on stderr (and a JSON error
 * document with --json) and the documented exit code. Never a stack trace, unless
 * TRADER_DEBUG is set. `stoppable`: SIGTERM and SIGINT stop the work cooperatively (exit 143).
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void>,
  options: { stoppable?: boolean } = {},
) {
  return async (...args: A): Promise<void> => {
    const opts = args.find((a): a is JsonFlag => typeof a === 'object' && a !== null && 'json' in a) ?? {};
    try {
      // A long-running command stops within seconds of SIGTERM, its run closed as failed (sandbox/stop.ts).
      const code = options.stoppable ? await stoppable(() => fn(...args)) : await fn(...args);
      process.exitCode = code ?? 0;
    } catch (e) {
      reportError(e, opts.json ?? false);
    }
  };
}

/** `action` for a long-running command: SIGTERM and SIGINT stop its work within seconds (sandbox/stop.ts), exit 143. */
export function stoppableAction<A extends unknown[]>(fn: (...args: A) => Promise<number | void>) {
  return action(fn, { stoppable: true });
}

/** One sentence on stderr (and a JSON error document with --json) and the error's exit code. */
export function reportError(e: unknown, json: boolean): void {
  const err = toTraderError(e);
  if (err.code === 'INTERNAL' && process.env.TRADER_DEBUG) console.error(e);
  process.stderr.write(`trader: ${err.message}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: err.code, message: err.message } })}\n`);
  process.exitCode = err.exitCode;
}

/**
 * Opens the configured database for the duration of `fn`, always closing it. Unless
 * `migrated: false` (the db commands themselves), a database with pending migrations is
 * refused with the command that fixes it, instead of a raw "relation does not exist".
 * `share`: a long command (an optimiser study) serves the embedded database on its socket,
 * so other commands work while it runs (store/open.ts).
 */
export async function withDb<T>(
  command: string,
  fn: (db: Db) => Promise<T>,
  options: { migrated?: boolean; share?: boolean } = {},
): Promise<T> {
  const db = await openDb({ command: `trader ${command}`, ...(options.share ? { share: true } : {}) });
  try {
    if (options.migrated ?? true) await assertMigrated(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Parses a comma-separated list option into its trimmed, non-empty items. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function badInput(message: string): TraderError {
  return new TraderError('BAD_INPUT', message);
}

/** A whole-number flag value from `min` to `max` (see core/bounds.ts), else one clear sentence naming the flag. */
export function wholeNumber(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw badInput(
      `${flag} must be ${min === 1 ? 'a positive' : 'a'} whole number${min > 1 ? ` of at least ${min}` : ''}, not ${quote(value)}.`,
    );
  }
  if (n > max) throw badInput(`${flag} must be at most ${max}, not ${quote(value)}.`);
  return n;
}

/** A position id argument (`paper close`, `live close`), else one clear sentence. */
export function positionId(raw: string): number {
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id) || id < 1)
    throw badInput(`A position id is a positive whole number, not ${quote(raw)}.`);
  return id;
}

/** An amount of money (plain decimal notation) within `bounds.minAmount`..`bounds.maxAmount`. */
export function moneyAmount(value: string, flag: string, example = '10000'): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || n < bounds.minAmount || n > bounds.maxAmount)
    throw badInput(
      `${flag} must be a positive amount from ${bounds.minAmount} to ${bounds.maxAmount.toExponential()} (a trillion), like ${example}, not ${quote(value)}.`,
    );
  return n;
}
