/**
 * Tasks (MCP 2025-11-25) of a listener's sources, as handles the client holds: a source's task
 * id is never shown to the client. It gets a handle sealed with the listener's session secrets
 * that names the source and the caller (their partition) the task was made for; a handle that
 * does not open, or opens for another caller, is "not found" — a client can neither guess a
 * source's task ids nor steer a task request to another source or another caller's task.
 */
import type { Sealed } from '../../data-plane/mcp/server/session-ids';

/** The `_meta` key a tool result names its task under. */
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

interface HandleContent {
  /** The source's name. */
  s: string;
  /** The caller's partition. */
  p: string;
  /** The source's task id. */
  t: string;
}

export class TaskHandles {
  constructor(private readonly sealed: Sealed) {}

  handleOf(source: string, partition: string, taskId: string): string {
    return this.sealed.seal({ s: source, p: partition, t: taskId } satisfies HandleContent);
  }

  /** Which source's task a handle is, for this caller; null: not found. */
  read(handle: unknown, partition: string): { source: string; taskId: string } | null {
    if (typeof handle !== 'string') return null;
    const c = this.sealed.open(handle) as HandleContent | null;
    if (!c || typeof c.s !== 'string' || typeof c.t !== 'string' || c.p !== partition) return null;
    return { source: c.s, taskId: c.t };
  }

  /** A created task's ids as new handles. */
  sealing(source: string, partition: string): (id: unknown) => string | null {
    return (id) => (typeof id === 'string' ? this.handleOf(source, partition, id) : null);
  }

  /** A known task's id as the handle the client sent; any other id: none. */
  static asked(taskId: string, handle: string): (id: unknown) => string | null {
    return (id) => (id === taskId ? handle : null);
  }

  /**
   * A source's result with every task id it names (a created task, a task's state, a task's
   * payload) swapped for a handle; null when it names a task it may not (a source never hands
   * the client a handle to another task).
   */
  static rewrite(result: unknown, swap: (id: unknown) => string | null): unknown {
    if (!result || typeof result !== 'object' || Array.isArray(result)) return result;
    const out = { ...(result as Record<string, unknown>) };
    if (typeof out.taskId === 'string') {
      const h = swap(out.taskId);
      if (!h) return null;
      out.taskId = h;
    }
    if (out.task && typeof out.task === 'object') {
      const task = { ...(out.task as Record<string, unknown>) };
      const h = swap(task.taskId);
      if (!h) return null;
      out.task = { ...task, taskId: h };
    }
    const meta = out._meta as Record<string, unknown> | undefined;
    const related = meta?.[RELATED_TASK] as { taskId?: unknown } | undefined;
    if (related && typeof related === 'object') {
      const h = swap(related.taskId);
      out._meta = { ...meta, [RELATED_TASK]: h ? { ...related, taskId: h } : undefined };
      if (!h) delete (out._meta as Record<string, unknown>)[RELATED_TASK];
    }
    return out;
  }
}
