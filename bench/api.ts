/** A small JSON client for the service's REST API, for setting up data (not for load). */
export type Api = {
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
};

export function restClient(baseUrl: string, apiKey: string): Api {
  return {
    async call(method, path, body) {
      const response = await fetch(`${baseUrl}/api/v1/prm${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
      return JSON.parse(text);
    },
  };
}

/** Runs `work` for each item with at most `concurrency` at a time; results in item order. */
export async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
