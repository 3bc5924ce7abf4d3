import { DateTime } from 'luxon';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { createApiKey } from '../../src/modules/tenancy/service.js';
import { buildClinic } from '../clinic.js';
import { benchTenant, openInProcess } from '../in-process.js';
import type { Row, Section } from '../section.js';

const FIRST_DAY = '2027-01-04';

export const queryCounts: Section = {
  title: 'Queries per REST request',
  about:
    'The SQL statements one request sends, counted from MikroORM’s query log with the app in-process (`createApp(services).request`), on a small clinic of its own. ' +
    'Every statement is a round trip to the database; transaction begin and commit count. The statements are listed in order.',
  async run(database, progress) {
    const clock = fixedClock(DateTime.fromISO(FIRST_DAY, { zone: 'America/New_York' }).toJSDate());
    const opened = await openInProcess(database, { clock });
    try {
      const { services } = opened;
      const caller = await benchTenant(services, 'Bench query clinic');
      progress('building a small clinic');
      const clinic = await buildClinic(services, caller, { practitioners: 3, patients: 10, firstDay: FIRST_DAY, days: 7, bookEvery: 4 });
      const { key } = await createApiKey(services.orm.em.fork(), { tenantId: caller.tenant.id, name: 'bench', role: 'admin' });
      const app = createApp(services);
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await app.request(`/api/v1/prm${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
        return JSON.parse(text) as Record<string, unknown>;
      };
      const slots = (await call('GET', `/slots?from=${FIRST_DAY}&to=${FIRST_DAY}&limit=5`)).items as { practitionerId: string; startAt: string }[];
      const free = slots[slots.length - 1];
      const requests: [string, () => Promise<unknown>][] = [
        ['GET /patients/{id}', () => call('GET', `/patients/${clinic.patientIds[0]}`)],
        ['POST /appointments', () => call('POST', '/appointments', { patientId: clinic.patientIds[1], practitionerId: free.practitionerId, startAt: free.startAt })],
        ['GET /slots (7 days)', () => call('GET', `/slots?from=${FIRST_DAY}&to=2027-01-10`)],
        ['POST /tickets', () => call('POST', '/tickets', { subject: 'Question about a bill' })],
      ];
      const rows: Row[] = [];
      for (const [name, request] of requests) {
        const { queries } = await opened.countQueries(request);
        rows.push({ label: `${name}: queries`, value: String(queries.length) });
        rows.push({ label: `${name}: statements`, value: queries.map(describe).join(' → ') });
      }
      return { rows };
    } finally {
      await opened.close();
    }
  },
};

/** "select patient", "insert tool_run", "begin": the verb and the first table of a logged statement. */
function describe(logged: string): string {
  // eslint-disable-next-line no-control-regex
  const sql = logged.replace(/\x1b\[\d+m/g, '').replace(/^\[query\]\s*/, '').trim();
  const verb = (/^\w+/.exec(sql)?.[0] ?? '?').toLowerCase();
  const target = /\b(?:from|into|update|join)\s+"?(\w+)"?/i.exec(sql)?.[1] ?? /^select\s+(\w+)\(/i.exec(sql)?.[1];
  return target ? `${verb} ${target}` : verb;
}
