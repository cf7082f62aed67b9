import { TraderError } from './errors.ts';

/**
 * Times on the command line are UTC: a date (2024-01-01, midnight UTC) or a date-time
 * with an explicit zone (2024-01-01T12:00:00Z or +02:00). A zoneless date-time would be
 * read in the machine's local zone, so it is refused rather than guessed.
 */
const isoUtc = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function parseUtcTime(value: string, flag: string): Date {
  const ms = isoUtc.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new TraderError('BAD_INPUT', `${flag} '${value}' is not a UTC time: use 2024-01-01 or 2024-01-01T12:00:00Z (a zone is required with a time).`);
  }
  return new Date(ms);
}
