import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { awaitAnswer } from '../agent/await-turn.js';
import { prepareDemo } from '../demo/prepare.js';
import { demoClinic } from '../demo/seed.js';
import { Communication } from '../modules/communications/entities.js';
import { receiveInbound } from '../modules/communications/inbound.js';
import { findTenantBySlug, tenantInfo } from '../modules/tenancy/service.js';
import type { RunningServices } from '../services.js';
import { tenantEntityManager } from '../tools/runner.js';
import { commandArgs, required, UsageError } from './args.js';

const usage = 'usage: npm run chat -- --phone +15551234567 [--tenant demo]';

/**
 * Talks to the agent in the terminal as the patient with that phone number, through the same turn
 * loop as WhatsApp (channel `chat`): guided mode without a model, the model when one is configured.
 * Staff messages written into the conversation meanwhile are shown too.
 */
export async function chatCommand(services: RunningServices, argv: string[]): Promise<void> {
  const { values } = commandArgs(argv, { phone: { type: 'string' }, tenant: { type: 'string' } });
  const phone = parsePhoneNumberFromString(required(values, 'phone', usage), 'US');
  if (!phone?.isPossible()) throw new UsageError(`--phone must be a phone number, for example +15551234567.\n${usage}`);
  const slug = typeof values.tenant === 'string' ? values.tenant : demoClinic.slug;
  if (slug === demoClinic.slug) await prepareDemo(services); // a fresh machine: make the demo clinic first
  const tenant = tenantInfo(await findTenantBySlug(services.orm.em.fork(), slug));
  const mode = services.agentModel ? `model ${services.agentModel.id}` : 'guided mode (no model configured)';
  console.log(`Chatting with ${tenant.name} as ${phone.number} — ${mode}. Type HELP for the menu; Ctrl+D to leave.\n`);

  let seenUntil = new Date();
  const showNewReplies = async (conversationId: string) => {
    const replies = await tenantEntityManager(services, tenant.id).find(
      Communication,
      { conversationId, direction: 'outbound', createdAt: { $gt: seenUntil } },
      { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
    );
    for (const reply of replies) console.log(`${reply.authorKind === 'staff' ? 'staff' : 'clinic'}> ${reply.body}\n`);
    seenUntil = replies.at(-1)?.createdAt ?? seenUntil;
  };

  // Lines are read as they come, typed or piped (`printf 'hi\n1\n' | npm run chat -- ...`).
  const lines = createInterface({ input: process.stdin, terminal: false });
  const prompt = () => process.stdout.write('you> ');
  prompt();
  for await (const line of lines) {
    if (line.trim() === '') {
      prompt();
      continue;
    }
    if (!process.stdin.isTTY) process.stdout.write(`${line}\n`);
    const received = await receiveInbound(services, tenant, { channel: 'chat', contact: phone.number, body: line.trim(), channelMessageId: randomUUID() });
    const answer = received.messageId ? await awaitAnswer(services, tenant, received.messageId, received.turnJobId, 60_000) : undefined;
    if (!answer) console.log('clinic> (no answer yet; it will show with your next message)\n');
    else if (answer.outcome === 'silent') console.log('clinic> (a person from the clinic has this conversation; their replies show here)\n');
    await showNewReplies(received.conversationId);
    prompt();
  }
  process.stdout.write('\n');
}
