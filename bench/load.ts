import { Agent, request as httpRequest } from 'node:http';
import { ascending } from './stats.js';

/** One HTTP request of a load run; the body is sent as JSON text unless its content type says otherwise. */
export type LoadRequest = { method: 'GET' | 'POST'; path: string; body?: string; contentType?: string };

export type LoadResult = {
  requests: number;
  seconds: number;
  /** Every request's latency (send to last body byte), ascending. */
  latenciesMs: number[];
  /** Answers by status code, and network errors by their code, e.g. { "200": 5120, "ECONNRESET": 1 }. */
  outcomes: Record<string, number>;
  /** Requests that did not answer 2xx (network errors included). */
  failures: number;
  /** A few bodies of non-2xx answers, for the report. */
  failureSamples: string[];
  /** True when `next` ran out before the time was up. */
  exhausted: boolean;
};

/**
 * `concurrency` clients, each sending its next request as soon as the previous one answered, for
 * `durationMs`; requests still in flight at the end are waited for and counted. Keep-alive
 * connections, one per client.
 */
export async function runLoad(options: {
  baseUrl: string;
  headers: Record<string, string>;
  concurrency: number;
  durationMs: number;
  next: () => LoadRequest | undefined;
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const base = new URL(options.baseUrl);
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const failureSamples: string[] = [];
  let failures = 0;
  let exhausted = false;

  const started = performance.now();
  const deadline = started + options.durationMs;
  const client = async () => {
    while (performance.now() < deadline) {
      const next = options.next();
      if (!next) {
        exhausted = true;
        return;
      }
      const sent = performance.now();
      const answer = await sendRequest(agent, base, options.headers, next);
      latencies.push(performance.now() - sent);
      outcomes[answer.outcome] = (outcomes[answer.outcome] ?? 0) + 1;
      if (!answer.ok) {
        failures++;
        if (failureSamples.length < 3) failureSamples.push(`${answer.outcome}: ${answer.body.slice(0, 300)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests: latencies.length, seconds, latenciesMs: ascending(latencies), outcomes, failures, failureSamples, exhausted };
}

type Answer = { ok: boolean; outcome: string; body: string };

/** One request on a keep-alive agent (`node:http`, lighter than `fetch` on the machine the service shares). */
export function sendRequest(agent: Agent, base: URL, headers: Record<string, string>, next: LoadRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const body = next.body === undefined ? undefined : Buffer.from(next.body);
    const request = httpRequest(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: next.method,
        path: next.path,
        headers: body ? { ...headers, 'content-type': next.contentType ?? 'application/json', 'content-length': String(body.length) } : headers,
        timeout: 60_000,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const chunks: Buffer[] = [];
        // Only a failure's body is kept; a success's is read and dropped.
        response.on('data', (chunk: Buffer) => {
          if (!ok) chunks.push(chunk);
        });
        response.on('end', () => resolve({ ok, outcome: String(status), body: Buffer.concat(chunks).toString() }));
        response.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, outcome: error.code ?? 'response error', body: error.message }));
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('no answer within 60 s'), { code: 'TIMEOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, outcome: error.code ?? 'request error', body: error.message }));
    request.end(body);
  });
}
