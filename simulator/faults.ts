/**
 * Deterministic, switchable faults for the stand-in servers. Each fault applies to every
 * request or to a path prefix, for the next N matching requests (`times`) or until cleared.
 */

export type FaultSpec =
  | { kind: 'latency'; ms: number }
  | { kind: 'hang' }
  | { kind: 'rateLimit'; status: 429 | 418; retryAfterSeconds: number }
  | { kind: 'serverError'; status: 500 | 502 | 503 | 504; body?: string }
  | { kind: 'malformedJson' }
  | { kind: 'shortPage'; fraction: number }
  | { kind: 'clockSkew'; ms: number }
  | { kind: 'reset' }
  | { kind: 'reject'; status: number; body: unknown }
  | { kind: 'dropResponse' };

export type FaultKind = FaultSpec['kind'];

export interface FaultScope {
  /** only requests whose path starts with this (e.g. '/api/v3/klines'); default: all */
  path?: string;
  /** only requests with this HTTP method (e.g. 'POST'); default: any */
  method?: string;
  /** apply to the next N matching requests, then expire; default: until cleared */
  times?: number;
}

export interface FaultHandle {
  readonly id: number;
  readonly spec: FaultSpec;
  /** how many requests this fault has been applied to */
  readonly hits: number;
  /** applications left (Infinity = until cleared) */
  readonly remaining: number;
  clear(): void;
}

/** Faults that end the request instead of the route answering. */
export type TerminalFault = Extract<FaultSpec, { kind: 'hang' | 'rateLimit' | 'serverError' | 'reset' | 'reject' }>;

/** What the server should do to one request, decided once at its arrival. */
export interface FaultPlan {
  latencyMs: number;
  clockSkewMs: number;
  terminal?: TerminalFault;
  malformedJson: boolean;
  /** the route runs (its effects happen) but no answer is sent: the client times out */
  dropResponse: boolean;
  /** fraction of rows to keep on paged endpoints, or undefined */
  shortPage?: number;
  /** kinds applied, for the request log */
  applied: FaultKind[];
}

/** One armed fault: its spec, scope and counts. */
export interface Rule {
  id: number;
  spec: FaultSpec;
  path: string;
  method: string | undefined;
  remaining: number;
  hits: number;
}

const TERMINAL = new Set<FaultKind>(['hang', 'rateLimit', 'serverError', 'reset', 'reject']);

export class FaultController {
  private rules: Rule[] = [];
  private nextId = 1;

  add(spec: FaultSpec, scope: FaultScope = {}): FaultHandle {
    const times = scope.times ?? Infinity;
    if (!(times > 0)) throw new Error('fault times must be > 0');
    const rule: Rule = {
      id: this.nextId++,
      spec,
      path: scope.path ?? '',
      method: scope.method?.toUpperCase(),
      remaining: times,
      hits: 0,
    };
    this.rules.push(rule);
    return {
      id: rule.id,
      spec,
      get hits() {
        return rule.hits;
      },
      get remaining() {
        return rule.remaining;
      },
      clear: () => {
        this.rules = this.rules.filter((r) => r !== rule);
      },
    };
  }

  latency(ms: number, scope?: FaultScope): FaultHandle {
    return this.add({ kind: 'latency', ms }, scope);
  }
  /** never answer (the client must time out) */
  hang(scope?: FaultScope): FaultHandle {
    return this.add({ kind: 'hang' }, scope);
  }
  /** HTTP 429 + Retry-After + Binance's -1003 body */
  rateLimit(retryAfterSeconds: number, scope?: FaultScope): FaultHandle {
    return this.add({ kind: 'rateLimit', status: 429, retryAfterSeconds }, scope);
  }
  /** HTTP 418 (IP ban) + Retry-After */
  ban(retryAfterSeconds: number, scope?: FaultScope): FaultHandle {
    return this.add({ kind: 'rateLimit', status: 418, retryAfterSeconds }, scope);
  }
  /** 5xx with a gateway-style non-JSON body unless `body` is given */
  serverError(status: 500 | 502 | 503 | 504, scope?: FaultScope, body?: string): FaultHandle {
    return this.add(
      body === undefined ? { kind: 'serverError', status } : { kind: 'serverError', status, body },
      scope,
    );
  }
  /** 200 with the real JSON body cut in half */
  malformedJson(scope?: FaultScope): FaultHandle {
    return this.add({ kind: 'malformedJson' }, scope);
  }
  /** paged endpoints (klines) return only `fraction` of the rows they would (at least 1) */
  shortPage(scope?: FaultScope, fraction = 0.5): FaultHandle {
    return this.add({ kind: 'shortPage', fraction }, scope);
  }
  /** server time (time endpoint, serverTime fields, Date header) offset by ms */
  clockSkew(ms: number, scope?: FaultScope): FaultHandle {
    return this.add({ kind: 'clockSkew', ms }, scope);
  }
  /** destroy the socket without answering */
  reset(scope?: FaultScope): FaultHandle {
    return this.add({ kind: 'reset' }, scope);
  }
  /** answer `status` with this JSON body instead of the route (e.g. a Binance -2010) */
  reject(status: number, body: unknown, scope?: FaultScope): FaultHandle {
    return this.add({ kind: 'reject', status, body }, scope);
  }
  /** let the route act (an order is accepted) but never answer: a timeout after the fact */
  dropResponse(scope?: FaultScope): FaultHandle {
    return this.add({ kind: 'dropResponse' }, scope);
  }

  clear(): void {
    this.rules = [];
  }

  active(): ReadonlyArray<Readonly<Rule>> {
    return this.rules.map((r) => ({ ...r }));
  }

  /**
   * Decides the faults for one request and consumes their counts. Latency and clock skew
   * stack; the first terminal fault (in insertion order) wins; shortPage is consumed only
   * when the route is paged; malformedJson and dropResponse are not consumed by a request
   * that ends terminally.
   */
  plan(path: string, paged: boolean, method = 'GET'): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0, clockSkewMs: 0, malformedJson: false, dropResponse: false, applied: [] };
    const use = (r: Rule) => {
      r.hits++;
      r.remaining--;
      plan.applied.push(r.spec.kind);
    };
    const matching = this.rules.filter(
      (r) => path.startsWith(r.path) && (r.method === undefined || r.method === method),
    );
    for (const r of matching) {
      const s = r.spec;
      if (s.kind === 'latency') {
        plan.latencyMs += s.ms;
        use(r);
      } else if (s.kind === 'clockSkew') {
        plan.clockSkewMs += s.ms;
        use(r);
      } else if (TERMINAL.has(s.kind) && plan.terminal === undefined) {
        plan.terminal = s as TerminalFault;
        use(r);
      }
    }
    if (plan.terminal === undefined) {
      for (const r of matching) {
        const s = r.spec;
        if (s.kind === 'malformedJson' && !plan.malformedJson) {
          plan.malformedJson = true;
          use(r);
        } else if (s.kind === 'dropResponse' && !plan.dropResponse) {
          plan.dropResponse = true;
          use(r);
        } else if (s.kind === 'shortPage' && paged && plan.shortPage === undefined) {
          plan.shortPage = s.fraction;
          use(r);
        }
      }
    }
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return plan;
  }
}
