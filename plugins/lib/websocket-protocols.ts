/**
 * Kong OSS's key-auth and basic-auth run on `grpc, grpcs, http, https`; Tollgate offered `ws` and
 * `wss` too until 2026-12-07. A stored instance keeps only the protocols the schema now allows
 * (none left: the plugin's defaults), so a later update of it validates.
 */
import type { QueryRunner } from 'typeorm';

export function dropWebSocketProtocols(plugin: string) {
  return {
    name: '001_no_websocket_protocols',
    async up(q: QueryRunner): Promise<void> {
      await q.query(
        `UPDATE plugins SET doc = jsonb_set(doc, '{protocols}', coalesce(
           (SELECT jsonb_agg(p) FROM jsonb_array_elements(doc->'protocols') p
             WHERE p #>> '{}' NOT IN ('ws', 'wss')),
           '["grpc", "grpcs", "http", "https"]'::jsonb))
         WHERE name = $1 AND doc->'protocols' ?| array['ws', 'wss']`,
        [plugin],
      );
    },
  };
}
