import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentCaller } from '../src/agent/tool-caller.js';
import { receiveInbound } from '../src/modules/communications/inbound.js';
import { backfillAtStart, embedPending } from '../src/modules/vector/embedding.js';
import { ingestArticles } from '../src/modules/vector/ingest-articles.js';
import { runOperation } from '../src/tools/runner.js';
import { createHarness, type Harness, type TestTenant } from './support/harness.js';
import { randomSid } from './support/conversation-driver.js';
import { testEmbedder } from './support/embedding-model.js';
import { addKnowledge, chunkCounts, expectedMode, search, VECTOR_BASE } from './support/vector-fixtures.js';

const API = '/api/v1/prm';
let harness: Harness;
let clinic: TestTenant;

beforeAll(async () => {
  harness = await createHarness({ embedder: await testEmbedder() });
  clinic = await harness.newTenant();
});
afterAll(() => harness.close());

/** Runs the tenant's jobs; none may have failed, even once (a retry would hide a race). */
async function drain(tenant: TestTenant = clinic) {
  await harness.services.jobs.drain({ tenantId: tenant.tenant.id });
  const failures = await harness.services.orm.em.fork().execute<{ kind: string; last_error: string }[]>(
    `select kind, last_error from job where tenant_id = ? and last_error is not null`,
    [tenant.tenant.id],
  );
  expect(failures).toEqual([]);
}

async function patient(familyName: string, consent?: { channel: string }) {
  const created = await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Ana', familyName, dateOfBirth: '1980-01-02', sex: 'female' });
  if (consent) await clinic.call('POST', `${API}/patients/${created.id}/consents`, { channel: consent.channel, purpose: 'conversation_search' });
  return created.id;
}

/**
 * A WhatsApp thread whose conversation staff link to the patient after its first message (as a
 * verification would): earlier messages are indexed by the link, later ones as they arrive.
 */
async function thread(contact: string, patientId: string | null, bodies: string[]) {
  let conversationId = '';
  for (const body of bodies) {
    const received = await receiveInbound(harness.services, clinic.tenant, { channel: 'whatsapp', contact, body, channelMessageId: randomSid() });
    if (patientId && conversationId === '') await clinic.call('POST', `${API}/conversations/${received.conversationId}/link-patient`, { patientId });
    conversationId = received.conversationId;
  }
  await drain();
  return conversationId;
}

const chunksOf = async (column: 'patient_id' | 'source_id', id: string) => {
  const [row] = await harness.services.orm.em.fork().execute<{ count: number }[]>(`select count(*)::int as count from text_chunk where tenant_id = ? and ${column} = ?`, [clinic.tenant.id, id]);
  return row.count;
};

describe('messages and transcripts', () => {
  it('indexes inbound and outbound messages of a consenting patient through jobs', async () => {
    const patientId = await patient('Umbrella', { channel: 'whatsapp' });
    await thread('+15550100001', patientId, ['I left my blue umbrella in the waiting room']);
    const found = await search(clinic, 'blue umbrella', { patientId });
    expect(found.mode).toBe(expectedMode(harness));
    expect(found.results[0]).toMatchObject({ patientId, source: { type: 'message' } });
    expect(found.results[0].text).toBe('I left my blue umbrella in the waiting room');
    // The bot's reply is a message of the thread too.
    const [replies] = await harness.services.orm.em.fork().execute<{ count: number }[]>(
      `select count(*)::int as count from text_chunk c join communication m on m.id = c.source_id where c.tenant_id = ? and m.direction = 'outbound' and c.patient_id = ?`,
      [clinic.tenant.id, patientId],
    );
    expect(replies.count).toBeGreaterThan(0);
  });

  it('counts consent given for all channels', async () => {
    const patientId = await patient('Allchannels', { channel: 'all' });
    await thread('+15550100002', patientId, ['My knee brace squeaks']);
    expect((await search(clinic, 'knee brace')).results[0].patientId).toBe(patientId);
  });

  it('indexes nothing without consent or without a patient, and says why when asked to', async () => {
    const patientId = await patient('Noconsent');
    const conversationId = await thread('+15550100003', patientId, ['My parrot bit the mailman']);
    const strangers = await thread('+15550100004', null, ['A stranger asks about the parrot clinic']);
    // An unknown number's messages cannot be indexed: they do not even get a job.
    const [jobs] = await harness.services.orm.em.fork().execute<{ count: number }[]>(
      `select count(*)::int as count from job j join communication m on m.id::text = j.payload->>'entityId' where j.kind = 'vector.ingest_message' and m.conversation_id = ?`,
      [strangers],
    );
    expect(jobs.count).toBe(0);
    expect(await chunksOf('patient_id', patientId)).toBe(0);
    expect((await search(clinic, 'parrot')).results.filter((result) => result.text.includes('parrot'))).toEqual([]);
    const refused = await clinic.request('POST', `${VECTOR_BASE}/ingest/conversation`, { body: { conversationId } });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('conversation_search');

    // A later grant brings the patient's earlier messages in; one for another channel does not.
    await clinic.call('POST', `${API}/patients/${patientId}/consents`, { channel: 'sms', purpose: 'conversation_search' });
    await drain();
    expect(await chunksOf('patient_id', patientId)).toBe(0);
    await clinic.call('POST', `${API}/patients/${patientId}/consents`, { channel: 'whatsapp', purpose: 'conversation_search' });
    await drain();
    expect((await search(clinic, 'parrot mailman')).results[0]).toMatchObject({ patientId, text: 'My parrot bit the mailman' });
  });

  it('indexes a whole thread as a transcript, replacing it when ingested again', async () => {
    const patientId = await patient('Transcript', { channel: 'whatsapp' });
    const conversationId = await thread('+15550100005', patientId, ['The pharmacy gave me the wrong inhaler', 'It is the orange one']);
    const first = await clinic.call<{ chunks: number; sourceType: string }>('POST', `${VECTOR_BASE}/ingest/conversation`, { conversationId });
    expect(first).toMatchObject({ sourceType: 'transcript', skipped: false });
    const again = await clinic.call<{ chunks: number }>('POST', `${VECTOR_BASE}/ingest/conversation`, { conversationId });
    expect(again.chunks).toBe(first.chunks);
    expect(await chunksOf('source_id', conversationId)).toBe(first.chunks);
    const found = await search(clinic, 'orange inhaler', { sourceTypes: ['transcript'] });
    expect(found.results[0].source).toMatchObject({ type: 'transcript', id: conversationId });
    expect(found.results[0].text).toContain('Patient: The pharmacy gave me the wrong inhaler');
  });

  it('never returns a patient’s words once consent is revoked, and deletes them', async () => {
    const patientId = await patient('Revoked', { channel: 'whatsapp' });
    const conversationId = await thread('+15550100006', patientId, ['My hamster has a limp']);
    await clinic.call('POST', `${VECTOR_BASE}/ingest/conversation`, { conversationId });
    expect((await search(clinic, 'hamster limp')).results[0].patientId).toBe(patientId);
    expect(await chunksOf('patient_id', patientId)).toBeGreaterThan(0);

    await clinic.call('POST', `${API}/patients/${patientId}/consents/revoke`, { channel: 'whatsapp', purpose: 'conversation_search' });
    // Before the revocation's job runs, the search itself refuses them.
    expect((await search(clinic, 'hamster limp')).results.filter((result) => result.patientId === patientId)).toEqual([]);
    expect((await search(clinic, 'hamster', { patientId })).results).toEqual([]);
    await drain();
    expect(await chunksOf('patient_id', patientId)).toBe(0);
    // Nothing new is indexed while it stays revoked.
    await thread('+15550100006', patientId, ['The hamster is better']);
    expect(await chunksOf('patient_id', patientId)).toBe(0);
  });
});

describe('patients deleted or merged', () => {
  it('deletes a deleted patient’s words, and moves a merged patient’s words to the kept record', async () => {
    const deleted = await patient('Deleted', { channel: 'whatsapp' });
    await thread('+15550100008', deleted, ['My goldfish needs a checkup']);
    expect(await chunksOf('patient_id', deleted)).toBeGreaterThan(0);
    await clinic.call('DELETE', `${API}/patients/${deleted}`);
    await drain();
    expect(await chunksOf('patient_id', deleted)).toBe(0);

    const kept = await patient('Kept', { channel: 'whatsapp' });
    const duplicate = await clinic.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Ana', familyName: 'Kept', dateOfBirth: '1980-01-02', sex: 'female', allowDuplicate: true });
    await clinic.call('POST', `${API}/patients/${duplicate.id}/consents`, { channel: 'whatsapp', purpose: 'conversation_search' });
    await thread('+15550100009', duplicate.id, ['The tortoise ate my prescription']);
    const before = await chunksOf('patient_id', duplicate.id);
    expect(before).toBeGreaterThan(0);
    await clinic.call('POST', `${API}/patients/${kept}/merge`, { sourcePatientId: duplicate.id });
    await drain();
    expect(await chunksOf('patient_id', duplicate.id)).toBe(0);
    expect(await chunksOf('patient_id', kept)).toBe(before);
    expect((await search(clinic, 'tortoise prescription', { patientId: kept })).results[0].text).toBe('The tortoise ate my prescription');
  });
});

describe('tickets', () => {
  it('on a shared number, never indexes one patient’s messages under the next patient linked', async () => {
    // A clinic of its own: its transcripts must not compete with the other tests' in search.
    const shared = await harness.newTenant();
    const register = (familyName: string) => shared.call<{ id: string }>('POST', `${API}/patients`, { givenName: 'Sam', familyName, dateOfBirth: '1980-01-02' });
    const first = await register('Sharedfirst');
    const second = await register('Sharedsecond');
    await shared.call('POST', `${API}/patients/${second.id}/consents`, { channel: 'whatsapp', purpose: 'conversation_search' });
    const say = (body: string) => receiveInbound(harness.services, shared.tenant, { channel: 'whatsapp', contact: '+15550100077', body, channelMessageId: randomSid() });
    const { conversationId } = await say('the rash on my elbow is worse');
    await shared.call('POST', `${API}/conversations/${conversationId}/link-patient`, { patientId: first.id });
    await shared.call('POST', `${API}/conversations/${conversationId}/link-patient`, { patientId: second.id });
    await say('where do I park my bicycle');
    await shared.call('POST', `${VECTOR_BASE}/ingest/conversation`, { conversationId });
    await harness.services.jobs.drain({ tenantId: shared.tenant.id });
    const texts = await harness.services.orm.em.fork().execute<{ text: string; patient_id: string }[]>('select text, patient_id from text_chunk where tenant_id = ?', [shared.tenant.id]);
    expect(texts.map((row) => row.text).join('\n')).toContain('bicycle');
    expect(texts.filter((row) => row.text.includes('rash'))).toEqual([]);
  });

  it('indexes a ticket’s subject, description and notes as they change', async () => {
    const ticket = await clinic.call<{ id: string }>('POST', `${API}/tickets`, { subject: 'Invoice question', description: 'Patient was billed twice for the flu vaccine.' });
    await clinic.call('POST', `${API}/tickets/${ticket.id}/notes`, { body: 'Refund approved by the billing office.' });
    await drain();
    const found = await search(clinic, 'refund billed twice', { sourceTypes: ['ticket_note'] });
    expect(found.results.map((result) => result.source.id)).toEqual([ticket.id]);
    expect(found.results[0].text).toContain('Refund approved');

    await clinic.call('PATCH', `${API}/tickets/${ticket.id}`, { description: 'Billed twice for the tetanus shot.' });
    await drain();
    const changed = await search(clinic, 'tetanus', { sourceTypes: ['ticket_note'] });
    expect(changed.results[0].text).toContain('tetanus');
    expect(changed.results[0].text).not.toContain('flu vaccine');
    expect(await chunksOf('source_id', ticket.id)).toBe(1);
  });
});

describe('the agent’s knowledge tool', () => {
  it('searches knowledge only, whatever patients have said', async () => {
    const patientId = await patient('Parking', { channel: 'whatsapp' });
    const conversationId = await thread('+15550100007', patientId, ['Where is the parking garage entrance?']);
    await addKnowledge(clinic, 'Parking', 'The parking garage entrance is on Pine Street, behind the clinic.');
    await drain();
    expect((await search(clinic, 'parking garage entrance')).results.some((result) => result.source.type === 'message')).toBe(true);

    const caller = await agentCaller(harness.services, clinic.tenant, conversationId);
    const outcome = await runOperation(harness.services, caller, { tool: 'search_knowledge', input: { query: 'parking garage entrance', sourceTypes: ['message'] } });
    expect(outcome.ok).toBe(false); // the tool has no such argument
    const answered = await runOperation(harness.services, caller, { tool: 'search_knowledge', input: { query: 'parking garage entrance' } });
    if (!answered.ok) throw answered.error;
    const output = answered.output as { mode: string; results: { title: string; text: string }[] };
    expect(output.mode).toBe(expectedMode(harness));
    expect(output.results.map((result) => result.title)).toEqual(['Parking']);
    expect(harness.services.registry.get('search_knowledge')?.access).toMatchObject({ patientFacing: true });
    expect(Object.keys(harness.services.registry.get('search_knowledge')?.input.shape ?? {})).toEqual(['query', 'limit']);
  });
});

describe('articles in bulk (npm run ingest)', () => {
  it('stores each article and embeds its chunks while the next one is stored, reporting a refused one and going on', async () => {
    const other = await harness.newTenant();
    const caller = { tenant: other.tenant, actor: { kind: 'system' as const, id: 'test-ingest', role: 'system' as const }, channel: 'cli' as const };
    const articles = [
      { name: 'a.md', title: 'Parking', text: 'The garage entrance is on Mill Street. Parking is free for patients.' },
      { name: 'b.md', title: 'Flu shots', text: 'Flu shots are given on Tuesdays without an appointment.' },
      { name: 'empty.md', title: 'Empty', text: '' },
      { name: 'c.md', title: 'Payments', text: 'We take cards and cash. Invoices are sent by email.' },
    ];
    const outcomes: string[] = [];
    await ingestArticles(harness.services, caller, articles, (outcome) => outcomes.push(`${outcome.name}:${outcome.ok ? outcome.ingested.chunks : outcome.error.code}`));
    expect(outcomes).toEqual(['a.md:1', 'b.md:1', 'empty.md:invalid_input', 'c.md:1']);
    const { stats, of } = await chunkCounts(other);
    // Every stored chunk has its vector when the database stores vectors, and none waits for a backfill.
    expect(of('knowledge')).toMatchObject(stats.pgvector ? { chunks: 3, withVectors: 3, withoutVectors: 0 } : { chunks: 3, withVectors: 0 });
    expect((await search(other, 'where is the garage entrance')).results[0].source.title).toBe('Parking');
  });
});

describe('embedding waiting chunks', () => {
  it('embeds every chunk exactly once over many batches, reading the next batch while the model embeds one', async () => {
    const other = await harness.newTenant();
    const sentence = (index: number) => `Sentence ${index} tells the patient about parking, payments, vaccines and the opening hours of the clinic on weekdays.`;
    const text = Array.from({ length: 120 }, (_, index) => sentence(index)).join(' ');
    // Stored through the operation, which leaves the vectors to a backfill (not run here).
    await other.call('POST', `${VECTOR_BASE}/ingest/knowledge`, { title: 'Long article', text });
    const { stats, of } = await chunkCounts(other);
    const chunks = of('knowledge').chunks;
    expect(chunks).toBeGreaterThan(8);
    const calls: string[][] = [];
    const model = harness.services.embedder;
    const counting = { ...model, embed: (texts: readonly string[]) => (calls.push([...texts]), model.embed(texts)) };
    // Batches of 4 (PRM_EMBEDDING_BATCH 1, read four at a time): several reads and writes overlap the model.
    const services = { ...harness.services, embedder: counting, config: { ...harness.services.config, embedding: { ...harness.services.config.embedding, batchSize: 1 } } };
    const embedded = await embedPending(services, other.tenant.id);
    if (!stats.pgvector) {
      expect(embedded).toBe(0);
      return;
    }
    expect(embedded).toBe(chunks);
    expect(calls.every((batch) => batch.length <= 4)).toBe(true);
    expect(calls.flat()).toHaveLength(chunks);
    expect(new Set(calls.flat()).size).toBe(chunks);
    expect(of('knowledge')).toMatchObject({ chunks });
    expect((await chunkCounts(other)).of('knowledge')).toMatchObject({ chunks, withVectors: chunks, withoutVectors: 0 });
    expect(await embedPending(services, other.tenant.id)).toBe(0);
  });
});

describe('without a model', () => {
  it('stores chunks without vectors, answers lexically, and the backfill fills them in once a model is ready', async () => {
    const lexical = await createHarness();
    try {
      const other = await lexical.newTenant();
      await addKnowledge(other, 'Vaccines', 'Travel vaccines need an appointment two weeks before the trip.');
      const before = await search(other, 'travel vaccines');
      expect(before.mode).toBe('lexical');
      expect(before.results[0].source.title).toBe('Vaccines');
      const { stats, of } = await chunkCounts(other);
      expect(stats).toMatchObject({ mode: 'lexical', embedder: { state: 'unavailable' } });
      expect(of('knowledge')).toMatchObject({ chunks: 1, withVectors: 0, withoutVectors: 1 });
      const [jobs] = await lexical.services.orm.em.fork().execute<{ count: number }[]>(
        `select count(*)::int as count from job where tenant_id = ? and kind = 'vector.backfill' and status = 'pending'`,
        [other.tenant.id],
      );
      expect(jobs.count).toBe(harness.databaseKind === 'embedded' ? 1 : 0);
      // A backfill that ran out of attempts is asked for again at the next start, once.
      await addKnowledge(other, 'Flu', 'Flu shots every Tuesday.');
      await lexical.services.orm.em.fork().execute(`update job set status = 'failed' where tenant_id = ? and kind = 'vector.backfill'`, [other.tenant.id]);
      await backfillAtStart(lexical.services);
      await backfillAtStart(lexical.services);
      const [again] = await lexical.services.orm.em.fork().execute<{ count: number }[]>(
        `select count(*)::int as count from job where tenant_id = ? and kind = 'vector.backfill' and status = 'pending'`,
        [other.tenant.id],
      );
      expect(again.count).toBe(harness.databaseKind === 'embedded' ? 1 : 0);
      if (harness.databaseKind === 'embedded') {
        // A backfill asked for while one ran (a second one pending): the one that finds no model ends
        // and leaves the retrying to the later one, instead of both retrying in turn.
        await lexical.services.orm.em.fork().execute(
          `insert into job (id, tenant_id, kind, payload, serial_key, status, attempts, max_attempts, run_at, created_at)
           select gen_random_uuid(), tenant_id, kind, payload, serial_key, 'pending', 0, max_attempts, now(), now() + interval '1 second'
             from job where tenant_id = ? and kind = 'vector.backfill' and status = 'pending'`,
          [other.tenant.id],
        );
        await lexical.services.jobs.drain({ tenantId: other.tenant.id });
        const backfills = await lexical.services.orm.em.fork().execute<{ status: string; attempts: number }[]>(
          `select status, attempts from job where tenant_id = ? and kind = 'vector.backfill' and status <> 'failed' order by created_at`,
          [other.tenant.id],
        );
        expect(backfills).toEqual([{ status: 'succeeded', attempts: 1 }, { status: 'pending', attempts: 1 }]);
        await lexical.services.orm.em.fork().execute(`update job set run_at = now() where tenant_id = ? and kind = 'vector.backfill' and status = 'pending'`, [other.tenant.id]);
      }

      // The same database, now with a model: the backfill job fills the vector in.
      await harness.services.jobs.drain({ tenantId: other.tenant.id });
      const after = await harness.app.request(`${VECTOR_BASE}/search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${other.keys.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'travel vaccines' }),
      });
      expect(((await after.json()) as { mode: string }).mode).toBe(expectedMode(harness));
      const { of: afterBackfill } = await chunkCounts(other);
      expect(afterBackfill('knowledge').withVectors).toBe(harness.databaseKind === 'embedded' ? 2 : 0);
    } finally {
      await lexical.close();
    }
  });
});
