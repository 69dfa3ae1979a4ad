/** One change of a `POST /batch` (what `tollgate sync` sends): CLI and control plane share it. */
export type BatchOperation =
  | { op: 'upsert'; entity: string; id: string; body: Record<string, unknown> }
  | { op: 'delete'; entity: string; id: string }
  | { op: 'add_member' | 'remove_member'; consumer_group: string; consumer: string };
