import { defineOperation } from '../../tools/operation.js';
import { removeSource } from './chunk-store.js';
import { ingestConversation, ingestKnowledge, ingestMessage, ingestTicket } from './ingest.js';
import {
  DeleteSourceInput,
  DeleteSourceOutput,
  HealthInput,
  HealthOutput,
  IngestConversationInput,
  IngestKnowledgeInput,
  IngestMessageInput,
  IngestOutput,
  IngestTicketInput,
  SearchInput,
  SearchKnowledgeInput,
  SearchKnowledgeOutput,
  SearchOutput,
  StatsInput,
  StatsOutput,
} from './schema.js';
import { searchText } from './search.js';
import { vectorHealth, vectorStats } from './status.js';

const tag = 'vector';
const writes = { readOnly: false, destructive: false, idempotent: true };
const reads = { readOnly: true, destructive: false, idempotent: true };

export const vectorOperations = [
  defineOperation({
    name: 'ingest_conversation',
    title: 'Index a conversation',
    description: 'Indexes a conversation’s whole thread as one transcript for search, replacing its earlier index. Needs the patient’s conversation_search consent.',
    tag,
    input: IngestConversationInput,
    output: IngestOutput,
    annotations: writes,
    access: { roles: ['staff'], phi: true },
    http: { method: 'post', path: '/vector/ingest/conversation' },
    run: (ctx, input) => ingestConversation(ctx, input.conversationId),
  }),
  defineOperation({
    name: 'ingest_message',
    title: 'Index a message',
    description: 'Indexes one message for search. Needs the patient’s conversation_search consent. Messages are also indexed on their own as they arrive.',
    tag,
    input: IngestMessageInput,
    output: IngestOutput,
    annotations: writes,
    access: { roles: ['staff'], phi: true },
    http: { method: 'post', path: '/vector/ingest/message' },
    run: (ctx, input) => ingestMessage(ctx, input.messageId),
  }),
  defineOperation({
    name: 'ingest_ticket',
    title: 'Index a ticket',
    description: 'Indexes a ticket’s subject, description and notes for search. Tickets are also indexed on their own as they change.',
    tag,
    input: IngestTicketInput,
    output: IngestOutput,
    annotations: writes,
    access: { roles: ['staff'], phi: true },
    http: { method: 'post', path: '/vector/ingest/ticket' },
    run: (ctx, input) => ingestTicket(ctx, input.ticketId),
  }),
  defineOperation({
    name: 'ingest_knowledge',
    title: 'Add a knowledge article',
    description: 'Adds or replaces (by title) an article of the clinic’s knowledge: policies, directions, preparation. Unchanged text is not indexed again.',
    tag,
    input: IngestKnowledgeInput,
    output: IngestOutput,
    annotations: writes,
    access: { roles: ['staff'] },
    http: { method: 'post', path: '/vector/ingest/knowledge' },
    run: (ctx, input) => ingestKnowledge(ctx, input),
  }),
  defineOperation({
    name: 'search_text',
    title: 'Search conversations, tickets and knowledge',
    description: 'Finds what was said and what the clinic knows, by meaning and by words: transcripts, messages, ticket notes and knowledge, best first, with a highlighted snippet.',
    tag,
    input: SearchInput,
    output: SearchOutput,
    annotations: reads,
    access: { roles: ['staff', 'agent'], phi: true },
    http: { method: 'post', path: '/vector/search' },
    run: (ctx, input) => searchText(ctx, { query: input.query, ...input.filters, limit: input.limit }),
  }),
  defineOperation({
    name: 'search_knowledge',
    title: 'Search the clinic’s knowledge',
    description:
      'Searches the clinic’s own articles (hours, parking, policies, what to bring, preparation) for passages that answer a question. Use it for questions about the clinic; answer only from what it returns.',
    tag,
    input: SearchKnowledgeInput,
    output: SearchKnowledgeOutput,
    annotations: reads,
    access: { roles: ['staff', 'agent'], patientFacing: true },
    http: { method: 'post', path: '/vector/search/knowledge' },
    run: async (ctx, input) => {
      // Knowledge only, fixed here: the model has no argument that could reach anyone's messages.
      const found = await searchText(ctx, { query: input.query, sourceTypes: ['knowledge'], limit: input.limit });
      return { mode: found.mode, results: found.results.map(({ source, snippet, text, score, matchedAllWords, similarity }) => ({ title: source.title ?? '', snippet, text, score, matchedAllWords, similarity })) };
    },
  }),
  defineOperation({
    name: 'vector_stats',
    title: 'Search index statistics',
    description: 'Chunks per source type, with and without vectors; the embedding model, its state, and the search mode.',
    tag,
    input: StatsInput,
    output: StatsOutput,
    annotations: reads,
    access: { roles: ['staff'] },
    http: { method: 'get', path: '/vector/stats' },
    run: (ctx) => vectorStats(ctx),
  }),
  defineOperation({
    name: 'delete_text_source',
    title: 'Remove a source from search',
    description: 'Removes every chunk of one source (and a knowledge article itself) from the search index.',
    tag,
    input: DeleteSourceInput,
    output: DeleteSourceOutput,
    annotations: { readOnly: false, destructive: true, idempotent: true },
    access: { roles: ['staff'] },
    http: { method: 'delete', path: '/vector/source/{type}/{id}' },
    run: async (ctx, input) => ({ deleted: await removeSource(ctx, input.type, input.id) }),
  }),
  defineOperation({
    name: 'vector_health',
    title: 'Search health',
    description: 'Whether search works by meaning or by words only, and how fast the model embeds.',
    tag,
    input: HealthInput,
    output: HealthOutput,
    annotations: reads,
    access: { roles: ['staff', 'agent'] },
    http: { method: 'get', path: '/vector/health/check' },
    run: (ctx) => vectorHealth(ctx),
  }),
];
