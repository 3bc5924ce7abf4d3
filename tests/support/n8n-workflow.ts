import { createHmac } from 'node:crypto';

/**
 * Runs an exported n8n workflow the way n8n would, for the node types our examples use (Webhook,
 * Crypto HMAC, IF, Set, HTTP Request), with n8n's expression syntax (`={{ … }}`, `$json`,
 * `$('Node').item.json`). It tests the example's own settings against the real service: a wrong
 * field name, header or expression in the JSON fails the test. It is not n8n: what it does not know
 * it refuses.
 */
type Json = Record<string, unknown>;
type Node = { name: string; type: string; typeVersion: number; parameters: Json };
type Workflow = { nodes: Node[]; connections: Record<string, { main: { node: string }[][] }> };
export type HttpCall = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<Response>;
export type Delivery = { headers: Record<string, string>; body: string };
export type WorkflowRun = { ran: string[]; responses: { status: number; body: unknown }[] };

function evaluate(value: unknown, json: Json, outputs: Map<string, Json>): unknown {
  if (typeof value !== 'string' || !value.startsWith('=')) return value;
  const template = value.slice(1);
  const $ = (name: string) => {
    const output = outputs.get(name);
    if (!output) throw new Error(`the workflow reads node ${name}, which has not run`);
    return { item: { json: output } };
  };
  const run = (expression: string) => new Function('$json', '$', `return (${expression});`)(json, $) as unknown;
  const whole = /^\{\{([\s\S]*)\}\}$/.exec(template.trim());
  if (whole && !whole[1].includes('}}')) return run(whole[1]);
  return template.replace(/\{\{([\s\S]*?)\}\}/g, (_, expression: string) => String(run(expression)));
}

/** One node on one item: the items it passes on, per output. */
async function runNode(node: Node, json: Json, outputs: Map<string, Json>, http: HttpCall, run: WorkflowRun): Promise<Json[][]> {
  const parameter = (name: string) => evaluate(node.parameters[name], json, outputs);
  switch (node.type) {
    case 'n8n-nodes-base.crypto': {
      if (parameter('action') !== 'hmac' || parameter('type') !== 'SHA256') throw new Error(`${node.name}: only HMAC SHA256 is known here`);
      const digest = createHmac('sha256', String(parameter('secret'))).update(String(parameter('value'))).digest(parameter('encoding') as 'hex' | 'base64');
      return [[{ ...json, [String(parameter('dataPropertyName'))]: digest }]];
    }
    case 'n8n-nodes-base.if': {
      const { conditions, combinator } = node.parameters.conditions as { conditions: { leftValue: unknown; rightValue: unknown; operator: { operation: string } }[]; combinator: string };
      const results = conditions.map((condition) => {
        const left = String(evaluate(condition.leftValue, json, outputs) ?? '');
        const right = String(evaluate(condition.rightValue, json, outputs) ?? '');
        if (condition.operator.operation === 'equals') return left === right;
        if (condition.operator.operation === 'contains') return left.includes(right);
        throw new Error(`${node.name}: operation ${condition.operator.operation} is not known here`);
      });
      const passed = combinator === 'and' ? results.every(Boolean) : results.some(Boolean);
      return passed ? [[json], []] : [[], [json]];
    }
    case 'n8n-nodes-base.set': {
      const { assignments } = node.parameters.assignments as { assignments: { name: string; value: unknown }[] };
      const set = Object.fromEntries(assignments.map((assignment) => [assignment.name, evaluate(assignment.value, json, outputs)]));
      return [[{ ...(node.parameters.includeOtherFields ? json : {}), ...set }]];
    }
    case 'n8n-nodes-base.httpRequest': {
      if (node.parameters.contentType !== 'raw') throw new Error(`${node.name}: only a raw body is known here`);
      const { parameters } = node.parameters.headerParameters as { parameters: { name: string; value: unknown }[] };
      const headers = Object.fromEntries(parameters.map((header) => [header.name, String(evaluate(header.value, json, outputs))]));
      headers['content-type'] = String(parameter('rawContentType'));
      const response = await http(String(parameter('url')), { method: String(parameter('method')), headers, body: String(parameter('body')) });
      const text = await response.text();
      run.responses.push({ status: response.status, body: text ? JSON.parse(text) : null });
      // n8n stops the workflow on an error answer unless told otherwise.
      if (response.status >= 400) return [[]];
      return [[text ? (JSON.parse(text) as Json) : {}]];
    }
    default:
      throw new Error(`${node.name}: node type ${node.type} is not known here`);
  }
}

/** Runs the workflow from its Webhook node with one delivery, as n8n's Webhook node presents it. */
export async function runWorkflow(workflow: Workflow, delivery: Delivery, http: HttpCall): Promise<WorkflowRun> {
  const trigger = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.webhook');
  if (!trigger) throw new Error('the workflow has no Webhook node');
  const outputs = new Map<string, Json>();
  const run: WorkflowRun = { ran: [], responses: [] };
  const start: Json = { headers: Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name.toLowerCase(), value])), params: {}, query: {}, body: JSON.parse(delivery.body) };
  const queue: { node: Node; json: Json }[] = [];
  const passOn = (from: Node, items: Json[][]) => {
    items.forEach((branch, index) => {
      for (const next of workflow.connections[from.name]?.main[index] ?? []) {
        const node = workflow.nodes.find((candidate) => candidate.name === next.node);
        if (!node) throw new Error(`connection to unknown node ${next.node}`);
        for (const json of branch) queue.push({ node, json });
      }
    });
  };
  run.ran.push(trigger.name);
  outputs.set(trigger.name, start);
  passOn(trigger, [[start]]);
  while (queue.length > 0) {
    const { node, json } = queue.shift()!;
    run.ran.push(node.name);
    const items = await runNode(node, json, outputs, http, run);
    if (items[0]?.[0]) outputs.set(node.name, items[0][0]);
    passOn(node, items);
  }
  return run;
}
