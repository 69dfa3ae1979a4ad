/**
 * Datakit's wiring, resolved once: every connection (declared on the target with `input(s)` or
 * on the source with `output(s)`), the data and branch dependencies, and the phase each node
 * runs in. The control plane validates with it; the data plane plans execution from it.
 */

export type NodeConfig = Record<string, any> & { name: string; type: string };

export interface Endpoint {
  node: string;
  /** null: the node as a whole ($self). */
  field: string | null;
}

export interface Connection {
  from: Endpoint;
  to: Endpoint;
}

export interface DatakitGraph {
  nodes: NodeConfig[];
  connections: Connection[];
  /** Node name -> names it waits for (data sources and controlling branches). */
  dependsOn: Map<string, Set<string>>;
  /** Nodes that run after the upstream answered (they read service_response). */
  responsePhase: Set<string>;
  /** Node name -> the branch nodes that list it under then/else. */
  controlledBy: Map<string, { branch: string; when: boolean }[]>;
}

export interface GraphError {
  path: (string | number)[];
  message: string;
}

/** What each implicit node offers (outputs) and accepts (inputs). */
export const IMPLICIT_OUTPUTS: Record<string, string[] | null> = {
  request: ['body', 'headers', 'query'],
  service_response: ['body', 'headers', 'status'],
  vault: null, // any configured secret name
};
export const IMPLICIT_INPUTS: Record<string, string[]> = {
  service_request: ['body', 'headers', 'query'],
  response: ['body', 'headers'],
};

export function parseLabel(label: string): Endpoint {
  const dot = label.indexOf('.');
  return dot === -1
    ? { node: label, field: null }
    : { node: label.slice(0, dot), field: label.slice(dot + 1) };
}

const show = (e: Endpoint) => (e.field === null ? e.node : `${e.node}.${e.field}`);

export function buildGraph(
  nodes: NodeConfig[],
  vaultNames: string[] = [],
): { graph: DatakitGraph; errors: GraphError[] } {
  const errors: GraphError[] = [];
  const index = new Map(nodes.map((n, i) => [n.name, i]));
  const connections: Connection[] = [];
  const byTarget = new Map<string, Connection>();

  const checkSource = (e: Endpoint, at: (string | number)[]): boolean => {
    if (e.node in IMPLICIT_OUTPUTS) {
      const fields = e.node === 'vault' ? vaultNames : IMPLICIT_OUTPUTS[e.node]!;
      if (e.field !== null && !fields.includes(e.field)) {
        errors.push({ path: at, message: `node '${e.node}' has no output '${e.field}'` });
        return false;
      }
      return true;
    }
    if (e.node in IMPLICIT_INPUTS) {
      errors.push({ path: at, message: `node '${e.node}' has no outputs` });
      return false;
    }
    if (!index.has(e.node)) {
      errors.push({ path: at, message: `unknown node '${e.node}'` });
      return false;
    }
    return true;
  };
  const checkTarget = (e: Endpoint, at: (string | number)[]): boolean => {
    if (e.node in IMPLICIT_INPUTS) {
      if (e.field !== null && !IMPLICIT_INPUTS[e.node].includes(e.field)) {
        errors.push({ path: at, message: `node '${e.node}' has no input '${e.field}'` });
        return false;
      }
      return true;
    }
    if (e.node in IMPLICIT_OUTPUTS) {
      errors.push({ path: at, message: `node '${e.node}' has no inputs` });
      return false;
    }
    if (!index.has(e.node)) {
      errors.push({ path: at, message: `unknown node '${e.node}'` });
      return false;
    }
    return true;
  };
  const connect = (from: Endpoint, to: Endpoint, at: (string | number)[]) => {
    const key = show(to);
    const existing = byTarget.get(key);
    if (existing) {
      if (show(existing.from) === show(from)) return; // declared on both ends
      errors.push({
        path: at,
        message: `invalid connection ("${show(from)}" -> "${show(to)}"): conflicts with existing connection ("${show(existing.from)}" -> "${show(to)}")`,
      });
      return;
    }
    const conn = { from, to };
    byTarget.set(key, conn);
    connections.push(conn);
  };

  nodes.forEach((n, i) => {
    if (typeof n.input === 'string') {
      const from = parseLabel(n.input);
      if (checkSource(from, ['nodes', i, 'input']))
        connect(from, { node: n.name, field: null }, ['nodes', i, 'input']);
    }
    for (const [field, label] of Object.entries(n.inputs ?? {})) {
      if (typeof label !== 'string') continue;
      const from = parseLabel(label);
      if (checkSource(from, ['nodes', i, 'inputs', field]))
        connect(from, { node: n.name, field }, ['nodes', i, 'inputs', field]);
    }
    if (typeof n.output === 'string') {
      const to = parseLabel(n.output);
      if (checkTarget(to, ['nodes', i, 'output']))
        connect({ node: n.name, field: null }, to, ['nodes', i, 'output']);
    }
    if (n.type !== 'branch') {
      for (const [field, label] of Object.entries(n.outputs ?? {})) {
        if (typeof label !== 'string') continue;
        const to = parseLabel(label);
        if (checkTarget(to, ['nodes', i, 'outputs', field]))
          connect({ node: n.name, field }, to, ['nodes', i, 'outputs', field]);
      }
    }
  });
  // A node-wise connection and field connections to the same target would fight over it.
  for (const c of connections) {
    if (c.to.field !== null) continue;
    const field = connections.find((o) => o !== c && o.to.node === c.to.node && o.to.field !== null);
    if (field && !(c.to.node in IMPLICIT_INPUTS))
      errors.push({
        path: ['nodes', index.get(c.to.node) ?? 0],
        message: `invalid connection ("${show(c.from)}" -> "${c.to.node}"): conflicts with existing connection ("${show(field.from)}" -> "${show(field.to)}")`,
      });
  }

  const dependsOn = new Map<string, Set<string>>(nodes.map((n) => [n.name, new Set<string>()]));
  const controlledBy = new Map<string, { branch: string; when: boolean }[]>();
  for (const c of connections) {
    if (index.has(c.to.node) && index.has(c.from.node)) dependsOn.get(c.to.node)!.add(c.from.node);
  }
  nodes.forEach((n, i) => {
    if (n.type !== 'branch') return;
    for (const [key, when] of [
      ['then', true],
      ['else', false],
    ] as const) {
      (n[key] ?? []).forEach((target: string, j: number) => {
        if (!index.has(target)) {
          errors.push({ path: ['nodes', i, key, j], message: `unknown node '${target}'` });
          return;
        }
        dependsOn.get(target)!.add(n.name);
        if (!controlledBy.has(target)) controlledBy.set(target, []);
        controlledBy.get(target)!.push({ branch: n.name, when });
      });
    }
  });

  const cycle = findCycle(nodes, dependsOn);
  if (cycle) errors.push({ path: ['nodes'], message: `circular dependency: ${cycle.join(' -> ')}` });

  // Response phase: reads service_response, directly or through another node.
  const responsePhase = new Set<string>();
  if (!cycle) {
    const reads = new Set(
      connections.filter((c) => c.from.node === 'service_response').map((c) => c.to.node),
    );
    let changed = true;
    while (changed) {
      changed = false;
      for (const n of nodes) {
        if (responsePhase.has(n.name)) continue;
        if (reads.has(n.name) || [...dependsOn.get(n.name)!].some((d) => responsePhase.has(d))) {
          responsePhase.add(n.name);
          changed = true;
        }
      }
    }
    nodes.forEach((n, i) => {
      if (n.type === 'call' && responsePhase.has(n.name))
        errors.push({
          path: ['nodes', i],
          message: `invalid dependency (node #${i + 1} (${n.name}) -> node service_response): circular dependency`,
        });
    });
  }

  return { graph: { nodes, connections, dependsOn, responsePhase, controlledBy }, errors };
}

function findCycle(nodes: NodeConfig[], dependsOn: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const visit = (name: string, trail: string[]): string[] | null => {
    if (state.get(name) === 2) return null;
    if (state.get(name) === 1) return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, 1);
    for (const dep of dependsOn.get(name) ?? []) {
      const cycle = visit(dep, [...trail, name]);
      if (cycle) return cycle;
    }
    state.set(name, 2);
    return null;
  };
  for (const n of nodes) {
    const cycle = visit(n.name, []);
    if (cycle) return cycle.reverse();
  }
  return null;
}

/** Nodes in an order that respects every dependency, config order breaking ties. */
export function executionOrder(graph: DatakitGraph): NodeConfig[] {
  const done = new Set<string>();
  const out: NodeConfig[] = [];
  while (out.length < graph.nodes.length) {
    const next = graph.nodes.find(
      (n) => !done.has(n.name) && [...graph.dependsOn.get(n.name)!].every((d) => done.has(d)),
    );
    if (!next) throw new Error('datakit graph has a cycle');
    done.add(next.name);
    out.push(next);
  }
  return out;
}
