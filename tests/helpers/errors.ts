import { expect } from 'vitest';
import { TraderError } from '../../core/errors.ts';

/** The TraderError a promise rejects with (fails the test if it resolves or throws something else). */
export async function rejection(p: Promise<unknown>): Promise<TraderError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TraderError);
  return e as TraderError;
}

/** Expects `p` to reject with a TraderError of `code` whose message matches. */
export async function expectTraderError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const e = await rejection(p);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
}
