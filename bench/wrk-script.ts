/** A wrk Lua script: one POST (`body`, `headers`) repeated, printing latency percentiles at the end. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeWrkScript(
  dir: string,
  name: string,
  body: string,
  headers: Record<string, string>,
): string {
  const script = join(dir, `${name}.lua`);
  const lines = Object.entries(headers).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`);
  writeFileSync(
    script,
    `wrk.method = "POST"
wrk.body = '${body}'
${lines.join('\n')}
done = function(summary, latency, requests)
  io.write(string.format("P50 %d\\nP99 %d\\nP999 %d\\n", latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
`,
  );
  return script;
}
