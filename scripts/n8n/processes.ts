import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { rootCertificates as tlsRootCertificates } from 'node:tls';

/** Child processes, ports and a notification sink for `npm run test:n8n`; everything on 127.0.0.1. */

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (killed after `timeoutMs`), with its output captured. */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<Finished> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${cmd}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

export interface Background {
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a long-running process (a server); `stop` ends it. Killed when this script exits. */
export function startBackground(cmd: string, args: string[], env: NodeJS.ProcessEnv): Background {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  void exited.then(() => running.delete(child));
  return {
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The test's own certificate for `trader serve`: trusted by `request` (fetch cannot be given a CA). */
let trusted: Buffer | undefined;
export function trustCertificate(cert: Buffer): void {
  trusted = cert;
}

/** One HTTP(S) request, trusting the test's certificate as well as the usual ones. */
export function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers,
        ...(trusted ? { ca: [...tlsRootCertificates, trusted] } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.setTimeout(300_000, () => req.destroy(new Error(`no answer from ${url} within 300 s`)));
    req.end(init.body);
  });
}

/** Polls `url` until it answers 200; fails with the server's output after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, server: Background): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const status = await request(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return Math.round(performance.now() - started);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${url} did not answer 200 within ${timeoutMs / 1000} s; the server printed:\n${server.output().slice(-2000)}`,
  );
}

/** A stand-in for a chat webhook (Slack, Mattermost, Discord): records each JSON body posted to it. */
export async function startSink(): Promise<{ url: string; received: unknown[]; close: () => Promise<void> }> {
  const received: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        received.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } catch {
        res.writeHead(400).end('not JSON');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/notify`, received, close: () => new Promise((r) => server.close(() => r())) };
}
