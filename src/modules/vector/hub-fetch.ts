/**
 * `fetch` for the model hub that gives up when no answer (status and headers) has come within
 * `timeoutMs`: an unreachable hub behind a firewall that drops packets would otherwise hold a load for
 * minutes. A download that has started is not cut short.
 */
export function fetchWithAnswerTimeout(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer from ${hostOf(input)} within ${timeoutMs / 1000} s`)), timeoutMs);
    try {
      return await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal });
    } finally {
      clearTimeout(timer);
    }
  };
}

function hostOf(input: string | URL | Request): string {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return URL.canParse(url) ? new URL(url).host : url;
}
