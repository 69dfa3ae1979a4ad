/**
 * A datakit config compiled once: the graph, its execution order split by phase, every jq
 * filter, what the plan needs of the request and response.
 */
import { compileJq, type JqProgram } from '../../shared/jq';
import { isDatakitProperty } from './schema';
import { buildGraph, executionOrder, type Connection, type DatakitGraph, type NodeConfig } from './graph';
import { ApplyError } from '../../data-plane/runtime/entity';

export interface Plan {
  graph: DatakitGraph;
  access: NodeConfig[];
  response: NodeConfig[];
  incoming: Map<string, Connection[]>;
  jq: Map<string, JqProgram>;
  indexOf: Map<string, number>;
  vault: Record<string, unknown>;
  readsRequestBody: boolean;
  /** The response phase needs the whole upstream body (or replaces it). */
  buffersResponse: boolean;
}

export function plan(config: Record<string, any>): Plan {
  const nodes: NodeConfig[] = config.nodes;
  const vault = config.resources?.vault ?? {};
  const { graph, errors } = buildGraph(nodes, Object.keys(vault));
  if (errors.length) throw new ApplyError(`datakit: ${errors.map((e) => e.message).join('; ')}`);
  const jq = new Map<string, JqProgram>();
  for (const n of nodes) {
    if (n.type === 'jq') jq.set(n.name, compileJq(n.jq));
    if (n.type === 'property' && !isDatakitProperty(n.property))
      throw new ApplyError(`datakit: unknown property '${n.property}'`);
  }
  const incoming = new Map<string, Connection[]>();
  for (const c of graph.connections) {
    if (!incoming.has(c.to.node)) incoming.set(c.to.node, []);
    incoming.get(c.to.node)!.push(c);
  }
  const order = executionOrder(graph);
  const reads = (node: string, field: string | null) =>
    graph.connections.some((c) => c.from.node === node && (c.from.field === null || c.from.field === field));
  const response = order.filter((n) => graph.responsePhase.has(n.name));
  const writesResponseBody = graph.connections.some(
    (c) => c.to.node === 'response' && (c.to.field === null || c.to.field === 'body'),
  );
  return {
    graph,
    access: order.filter((n) => !graph.responsePhase.has(n.name)),
    response,
    incoming,
    jq,
    indexOf: new Map(nodes.map((n, i) => [n.name, i])),
    vault,
    readsRequestBody: reads('request', 'body'),
    buffersResponse:
      reads('service_response', 'body') || writesResponseBody || response.some((n) => n.type === 'exit'),
  };
}

/**
 * The client request as datakit sees it: captured when a node first reads any part of it (as a
 * whole, before), each part built on first read. The body is the one seen at capture, even if a
 * plugin replaces `ctx.body` before a later node reads it.
 */
